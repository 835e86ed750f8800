"""`newsdesk token create|list|revoke`: API tokens for the live updates API (docs/api.md).

The tokens are Wagtail's own (wagtail.models.APIToken): only a digest is stored, so the
plaintext is printed once, at creation.
"""

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone
from wagtail.log_actions import log
from wagtail.models import APIToken


class Command(BaseCommand):
    help = "Create, list and revoke API tokens for the live updates API."

    def add_arguments(self, parser):
        commands = parser.add_subparsers(dest="action", title="actions", required=True)

        create = commands.add_parser("create", help="Create a token; prints it once.")
        create.add_argument("user", help="The username the token acts as.")
        create.add_argument("--name", default="", help="A label, e.g. 'Telegram bot'.")

        list_ = commands.add_parser("list", help="List tokens (without their secrets).")
        list_.add_argument("user", nargs="?", help="Only this user's tokens.")
        list_.add_argument("--all", action="store_true", help="Include revoked tokens.")

        revoke = commands.add_parser("revoke", help="Revoke a token by its id (see list).")
        revoke.add_argument("id", type=int)

    def handle(self, *args, action, **options):
        getattr(self, f"handle_{action}")(**options)

    def get_user(self, username):
        User = get_user_model()
        try:
            return User.objects.get(**{User.USERNAME_FIELD: username})
        except User.DoesNotExist:
            raise CommandError(
                f"No user {username!r}. Create the user in the admin (Settings > Users) first."
            ) from None

    def handle_create(self, *, user, name, **options):
        owner = self.get_user(user)
        name = name.strip() or f"Token for {owner.get_username()}, {timezone.now():%Y-%m-%d}"
        token, plaintext = APIToken.create_token(user=owner, name=name)
        log(token, "wagtail.apitoken.create", data={"source": "management_command"})
        self.stdout.write(f"Created API token {token.pk} ({name}) for {owner.get_username()}:")
        self.stdout.write("")
        self.stdout.write(f"    {plaintext}")
        self.stdout.write("")
        self.stdout.write(
            "Copy it now: it cannot be shown again (only a digest is stored). "
            f"Revoke it with `newsdesk token revoke {token.pk}`."
        )
        if not owner.is_active:
            self.stderr.write(
                f"Warning: {owner.get_username()} is inactive; the token will not work."
            )
        elif not owner.has_perm("live.add_liveupdate"):
            self.stderr.write(
                f"Warning: {owner.get_username()} may not post live updates; add them to the "
                "Contributors or Editors group."
            )
        elif not owner.has_perm("live.publish_liveupdate"):
            self.stderr.write(
                f"Note: {owner.get_username()} may not publish, so updates posted with this "
                "token are saved as drafts for an editor."
            )

    def handle_list(self, *, user, all, **options):
        tokens = APIToken.objects.select_related("user").order_by("-created")
        if user:
            tokens = tokens.filter(user=self.get_user(user))
        if not all:
            tokens = tokens.filter(revoked_at__isnull=True)
        if not tokens:
            self.stdout.write("No tokens.")
            return
        for token in tokens:
            state = f"revoked {_when(token.revoked_at)}" if token.revoked_at else "active"
            self.stdout.write(
                f"{token.pk}\t{token.prefix}…\t{token.user.get_username()}\t{token.name}\t"
                f"created {_when(token.created)}\tlast used {_when(token.last_used_at)}\t{state}"
            )

    def handle_revoke(self, *, id, **options):
        token = APIToken.objects.select_related("user").filter(pk=id).first()
        if token is None:
            raise CommandError(f"No token with id {id}; `newsdesk token list` shows them.")
        if token.revoked_at:
            raise CommandError(f"Token {id} was already revoked ({_when(token.revoked_at)}).")
        token.revoke()
        log(token, "wagtail.apitoken.revoke", data={"source": "management_command"})
        self.stdout.write(f"Revoked token {id} ({token.name}, {token.user.get_username()}).")


def _when(moment):
    return f"{timezone.localtime(moment):%Y-%m-%d %H:%M}" if moment else "never"
