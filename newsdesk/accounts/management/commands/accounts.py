"""`newsdesk accounts`: sign-in locks and second factors, for administrators at a shell."""

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from newsdesk.accounts import mfa, throttle


class Command(BaseCommand):
    help = "List and lift sign-in locks; reset a user's two-step sign-in."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        sub.add_parser("locks", help="List the sign-in locks in force now.")
        unlock = sub.add_parser("unlock", help="Lift sign-in locks.")
        unlock.add_argument("username", nargs="?", help="every lock on this user name")
        unlock.add_argument("--address", help="every lock on this IP address")
        unlock.add_argument("--all", action="store_true", help="every lock")
        reset = sub.add_parser("reset-mfa", help="Remove a user's authenticator and codes.")
        reset.add_argument("username")

    def handle(self, *args, action, **options):
        getattr(self, action.replace("-", "_"))(**options)

    def locks(self, **options):
        now = timezone.now()
        rows = list(throttle.locks())
        for row in rows:
            seconds = int((row.locked_until - now).total_seconds())
            self.stdout.write(f"{row.scope}\t{row.key}\t{row.failures} failures\t{seconds} s")
        if not rows:
            self.stdout.write("No sign-in locks.")

    def unlock(self, username=None, address=None, all=False, **options):  # noqa: A002
        if not (username or address or all):
            raise CommandError("Name a user, give --address, or --all.")
        deleted = throttle.unlock(username=username, address=address)
        self.stdout.write(f"Lifted {deleted} counter(s).")

    def reset_mfa(self, username, **options):
        user = get_user_model().objects.filter(username=username).first()
        if user is None:
            raise CommandError(f"No user {username!r}.")
        mfa.reset(user)
        self.stdout.write(
            f"{username} has no second factor now and enrols again at the next sign-in."
        )
