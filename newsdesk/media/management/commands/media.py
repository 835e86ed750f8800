"""`newsdesk media push`: move an existing site's media from disk into its buckets."""

from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from newsdesk.media.push import push_media
from newsdesk.media.storage import BucketUnavailable, bucket_storage


class Command(BaseCommand):
    help = "Media in object storage (docs/operations.md#media-in-object-storage)."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        push = sub.add_parser(
            "push",
            help=(
                "Copy every file under the media folder (NEWSDESK_DATA_DIR/media) into the "
                "buckets of NEWSDESK_MEDIA_STORAGE, verified by SHA-256. Safe to run again: "
                "what the buckets already hold is skipped."
            ),
        )
        push.add_argument(
            "--dry-run", action="store_true", help="Count what would be uploaded; upload nothing."
        )

    def handle(self, *args, action, **options):
        getattr(self, action)(**options)

    def push(self, *, dry_run=False, verbosity=1, **options):
        storage = bucket_storage()
        if storage is None:
            raise CommandError(
                "NEWSDESK_MEDIA_STORAGE is not set, so there is no bucket to push to: set it "
                "(docs/configuration.md#newsdesk_media_storage) in the environment of this "
                "command, then run it again."
            )
        media_root = Path(settings.MEDIA_ROOT)
        if not media_root.is_dir():
            raise CommandError(
                f"There is no media folder at {media_root}: nothing to push. Is "
                "NEWSDESK_DATA_DIR the one the site used?"
            )
        try:
            storage.check()
        except BucketUnavailable as error:
            raise CommandError(f"{error} Nothing was uploaded.") from None

        def log(line):
            if verbosity > 0:
                self.stdout.write(line)

        summary = push_media(media_root, storage, dry_run=dry_run, log=log)
        for line in summary.lines():
            self.stdout.write(line)
        if summary.failed:
            raise CommandError(f"{len(summary.failed):,} files were not pushed (listed above).")
