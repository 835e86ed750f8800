"""`newsdesk mirror OUTDIR`: write or refresh a static copy of the public site."""

import os
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from newsdesk.mirror.builder import DEFAULT_MAX_PAGES, Builder
from newsdesk.mirror.store import StoreError
from newsdesk.mirror.summary import MirrorError, address_lines


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
        parser.add_argument(
            "--workers",
            type=int,
            default=os.cpu_count() or 1,
            help="Render pages in this many processes (default: one per core, here "
            f"{os.cpu_count() or 1}).",
        )

    def handle(self, *args, outdir, full, max_pages, progress_every, workers, verbosity, **options):
        def log(line):
            if verbosity > 0:
                self.stdout.write(line)

        lines = address_lines(
            settings.NEWSDESK_BASE_URL, settings.NEWSDESK_BASE_URL_IS_DEFAULT, served_at()
        )
        # Said before the run and again in the summary; a default address is a warning.
        (self.stderr.write if settings.NEWSDESK_BASE_URL_IS_DEFAULT else log)("\n".join(lines))
        builder = Builder(
            outdir,
            full=full,
            max_pages=max_pages,
            progress_every=progress_every,
            log=log,
            workers=workers,
        )
        try:
            summary = builder.run()
        except (MirrorError, StoreError) as error:
            raise CommandError(str(error)) from error
        for line in summary.lines():
            log(line)
        if settings.NEWSDESK_BASE_URL_IS_DEFAULT:
            self.stderr.write(
                f"The copy links to {settings.NEWSDESK_BASE_URL}, the local default; set "
                "NEWSDESK_BASE_URL to the site's public address and run again."
            )


def served_at():
    """The address of Wagtail's site record, which `newsdesk serve` sets from its own
    NEWSDESK_BASE_URL (a server started with another PORT shows here)."""
    from wagtail.models import Site

    site = Site.objects.filter(is_default_site=True).first()
    if site is None:
        return None
    scheme = "https" if site.port == 443 else "http"
    port = "" if site.port in (80, 443) else f":{site.port}"
    return f"{scheme}://{site.hostname}{port}"
