"""`newsdesk mirror OUTDIR`: write or refresh a static copy of the public site."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from newsdesk.mirror.builder import DEFAULT_MAX_PAGES, Builder
from newsdesk.mirror.store import StoreError
from newsdesk.mirror.summary import MirrorError


class Command(BaseCommand):
    help = (
        "Write a static copy of the public site into OUTDIR, with relative links, for any "
        "static host, a file system or an onion service. Re-running updates only what changed. "
        "Exits non-zero, changing nothing, if a page fails or an internal link is broken."
    )

    def add_arguments(self, parser):
        parser.add_argument("outdir", type=Path, help="The folder to write the copy into.")
        parser.add_argument(
            "--full",
            action="store_true",
            help="Render every page instead of only what changed since the last run.",
        )
        parser.add_argument(
            "--max-pages",
            type=int,
            default=DEFAULT_MAX_PAGES,
            help=f"Stop with an error past this many pages (default {DEFAULT_MAX_PAGES:,}).",
        )
        parser.add_argument(
            "--progress-every",
            type=int,
            default=500,
            help="Print a progress line every N files (default 500).",
        )

    def handle(self, *args, outdir, full, max_pages, progress_every, verbosity, **options):
        def log(line):
            if verbosity > 0:
                self.stdout.write(line)

        builder = Builder(
            outdir, full=full, max_pages=max_pages, progress_every=progress_every, log=log
        )
        try:
            summary = builder.run()
        except (MirrorError, StoreError) as error:
            raise CommandError(str(error)) from error
        for line in summary.lines():
            log(line)
