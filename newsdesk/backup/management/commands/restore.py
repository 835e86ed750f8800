"""`newsdesk restore ARCHIVE`: put a backup back into the configured database and media."""

from pathlib import Path

from django.conf import settings
from django.core.cache import caches
from django.core.management.base import BaseCommand, CommandError
from django.db import DEFAULT_DB_ALIAS, connections

from newsdesk.backup.archive import ArchiveError
from newsdesk.backup.restore import Target, restore_backup
from newsdesk.core.pubsub import delete_keys
from newsdesk.media.storage import bucket_storage


class Command(BaseCommand):
    help = (
        "Restore an archive written by `newsdesk backup` into the configured database "
        "(DATABASE_URL, or the SQLite file in NEWSDESK_DATA_DIR) and media (the folder, or the "
        "buckets of NEWSDESK_MEDIA_STORAGE). Checks every "
        "checksum first; a damaged archive changes nothing. Stop the site before restoring."
    )

    def add_arguments(self, parser):
        parser.add_argument("archive", type=Path)
        parser.add_argument(
            "--force",
            action="store_true",
            help="Replace a database and media folder that already hold a site.",
        )
        parser.add_argument(
            "--check",
            action="store_true",
            help="Only verify the archive's checksums; change nothing.",
        )

    def handle(self, *args, archive, force, check, verbosity, **options):
        def log(line):
            if verbosity > 0:
                self.stdout.write(line)

        connection = connections[DEFAULT_DB_ALIAS]
        target = Target(connection.settings_dict, Path(settings.MEDIA_ROOT), bucket_storage())
        # The SQLite file is replaced with a rename and PostgreSQL's tables are dropped and
        # made again: no connection of ours may hold either open.
        connections.close_all()
        try:
            summary = restore_backup(archive, target, force=force, check_only=check, log=log)
        except ArchiveError as error:
            raise CommandError(str(error)) from error
        except OSError as error:
            raise CommandError(f"The restore stopped: {error}.") from error
        if not check:
            # Cached pages show the content from before the restore (Redis keeps them across
            # restarts). Only Newsdesk's keys: the Redis database may hold others' too.
            for cache in caches.all():
                cache.clear()
            if settings.REDIS_URL:
                delete_keys()  # the page cache's shared store as well as Django's cache
        for line in summary.lines():
            log(line)
