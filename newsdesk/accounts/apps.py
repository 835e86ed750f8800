from django.apps import AppConfig
from django.db.models.signals import post_migrate


class AccountsConfig(AppConfig):
    name = "newsdesk.accounts"
    label = "accounts"
    verbose_name = "Editor accounts"

    def ready(self):
        from newsdesk.accounts import receivers  # noqa: F401  (connects the sign-in signals)
        from newsdesk.accounts.roles import ensure_roles

        # After core's own post_migrate (the site and its root page): accounts comes later
        # in INSTALLED_APPS, and the roles' page permissions hang off that root page.
        post_migrate.connect(ensure_roles, sender=self, dispatch_uid="newsdesk.ensure_roles")
