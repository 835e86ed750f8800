"""`newsdesk import PATH…`: bring articles in from page dumps, HTML pages and WordPress
exports (docs/import.md). Each file is imported whole or not at all."""

import logging
from contextlib import contextmanager
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from newsdesk.importer.data import SourceError
from newsdesk.importer.sources import FORMATS, detect_format, expand, read_stories
from newsdesk.importer.writer import Options, write_stories


class Command(BaseCommand):
    help = (
        "Import articles (and their live feeds) from plain-text page dumps, saved HTML pages "
        "and WordPress WXR exports. Prints 'created|updated|unchanged <type> <url path>' per "
        "object. A malformed file is refused whole; the others still import."
    )

    def add_arguments(self, parser):
        parser.add_argument("paths", nargs="+", metavar="PATH", help="Files or folders.")
        parser.add_argument(
            "--format", choices=FORMATS, help="Read every file as this format (default: detect)."
        )
        parser.add_argument(
            "--time-zone",
            default=settings.TIME_ZONE,
            metavar="ZONE",
            help=f"Zone of times written without one (default: {settings.TIME_ZONE}).",
        )
        parser.add_argument(
            "--live-feed",
            default="",
            metavar="SLUG",
            help="Put live-feed entries in this feed (default: one feed per day, live-YYYY-MM-DD).",
        )
        parser.add_argument(
            "--publish", action="store_true", help="Publish what is imported (default: drafts)."
        )
        parser.add_argument(
            "--dry-run",
            action="store_true",
            help="Show what would happen; every file is rolled back, nothing is written.",
        )
        parser.add_argument(
            "--fetch-images",
            action="store_true",
            help="Fetch hero images: files under the source's folder, or allowed hosts.",
        )
        parser.add_argument(
            "--allow-image-host",
            action="append",
            default=[],
            metavar="HOST",
            help="With --fetch-images, a host images may be downloaded from (repeatable).",
        )

    def handle(self, *args, paths, **options):
        try:
            zone = ZoneInfo(options["time_zone"])
        except (ZoneInfoNotFoundError, ValueError):
            raise CommandError(f"Unknown time zone {options['time_zone']!r}.") from None
        writer_options = Options(
            zone=zone,
            publish=options["publish"],
            live_feed=options["live_feed"],
            fetch_images=options["fetch_images"],
            allowed_image_hosts=frozenset(h.lower() for h in options["allow_image_host"]),
        )
        files = expand([Path(path) for path in paths])
        if not files:
            raise CommandError("No files to import.")
        totals, failed = {"created": 0, "updated": 0, "unchanged": 0}, []
        with _quiet_libraries(options["verbosity"]):
            for path in files:
                report = self.import_file(path, options["format"], zone, writer_options, options)
                if report is None:
                    failed.append(str(path))
                    continue
                for action in totals:
                    totals[action] += report.counts[action]
        self.summary(len(files), totals, failed, options["dry_run"])
        if failed:
            raise CommandError(f"{len(failed)} of {len(files)} file(s) failed: {', '.join(failed)}")

    def import_file(self, path, format, zone, writer_options, options):
        try:
            raw = path.read_bytes()
        except OSError as error:
            self.stderr.write(f"error: {path}: cannot read it: {error.strerror or error}")
            return None
        try:
            chosen = format or detect_format(path, raw)
            stories = read_stories(path, raw, chosen, zone)
            report = write_stories(
                stories,
                writer_options,
                source=str(path),
                base_dir=path.parent,
                dry_run=options["dry_run"],
            )
        except SourceError as error:
            where = f"{path}:{error.line}" if error.line else str(path)
            self.stderr.write(f"error: {where}: {error.message}; nothing of this file imported")
            return None
        for line in report.lines:
            self.stdout.write(line)
        for warning in report.warnings:
            self.stderr.write(f"warning: {path}: {warning}")
        return report

    def summary(self, count, totals, failed, dry_run):
        imported = count - len(failed)
        counts = ", ".join(f"{number} {action}" for action, number in totals.items())
        line = f"Imported {imported} of {count} file(s): {counts}."
        if failed:
            line += f" Failed: {', '.join(failed)}."
        self.stdout.write(line)
        if dry_run:
            self.stdout.write("Dry run: every change above was rolled back; nothing was written.")


@contextmanager
def _quiet_libraries(verbosity):
    """Wagtail logs every page it creates and publishes, and trafilatura every page it finds
    no text in; the command already prints one line per object and its own errors, so at the
    default verbosity those logs are noise (thousands of lines for a WordPress export)."""
    loggers = {"wagtail": logging.WARNING, "trafilatura": logging.ERROR}
    if verbosity >= 2:
        yield
        return
    levels = {name: logging.getLogger(name).level for name in loggers}
    for name, level in loggers.items():
        logging.getLogger(name).setLevel(level)
    try:
        yield
    finally:
        for name, level in levels.items():
            logging.getLogger(name).setLevel(level)
