"""Wagtail's `publish_scheduled`, replaced by the version that is safe to run on several
hosts at once (newsdesk/server/scheduled.py), for sites that run it from cron as well."""

from django.core.management.base import BaseCommand
from django.utils import timezone

from newsdesk.server import scheduled


class Command(BaseCommand):
    help = (
        "Publish revisions whose go-live time has passed and unpublish expired pages, each "
        "exactly once even when several workers or hosts run this at the same time."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--dryrun", action="store_true", help="List what is due; change nothing."
        )

    def handle(self, *args, dryrun, verbosity, **options):
        if dryrun:
            now = timezone.now()
            expired = scheduled.expired_items(now)
            due = scheduled.due_revision_ids(now)
            self.stdout.write(f"{len(expired)} item(s) to unpublish, {len(due)} to publish.")
            return
        unpublished, published = scheduled.run_once()
        if verbosity:
            self.stdout.write(f"Unpublished {unpublished}, published {published}.")
