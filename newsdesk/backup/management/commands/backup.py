"""`newsdesk backup [PATH]`: the database and media files in one archive (docs/backup.md)."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from newsdesk.backup.archive import ArchiveError
from newsdesk.backup.create import create_backup


class Command(BaseCommand):
    help = (
        "Write one archive (.tar) with the database, the media files and a manifest of "
        "checksums. Safe while the site runs. Default: NEWSDESK_DATA_DIR/backups/"
        "newsdesk-YYYYmmdd-HHMMSS.tar (UTC)."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "path", nargs="?", type=Path, help="The archive to write, or a folder to write it in."
        )

    def handle(self, *args, path, verbosity, **options):
        def log(line):
            if verbosity > 0:
                self.stdout.write(line)

        try:
            summary = create_backup(path, log=log)
        except ArchiveError as error:
            raise CommandError(str(error)) from error
        except OSError as error:
            raise CommandError(
                f"The backup was not written: {error}. Nothing was left under the final name."
            ) from error
        for line in summary.lines():
            log(line)
