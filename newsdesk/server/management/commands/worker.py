from django.core.management import call_command
from django.core.management.base import BaseCommand

from newsdesk.server import scheduler


class Command(BaseCommand):
    help = (
        "Run the background worker: queued tasks (django-tasks database backend) and "
        "scheduled publishing."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--interval",
            type=float,
            default=1,
            help="Seconds between polls of the task queue when it is empty (default: 1).",
        )

    def handle(self, *args, interval, verbosity, **options):
        self.stdout.write(
            f"Worker started: tasks every {interval:g} s when idle, scheduled publishing "
            f"every {scheduler.SCHEDULE_INTERVAL_SECONDS} s."
        )
        stop = scheduler.start_in_background()
        try:
            call_command(
                "db_worker",
                queue_name="*",
                interval=interval,
                reload=False,
                verbosity=verbosity,
            )
        finally:
            stop.set()
