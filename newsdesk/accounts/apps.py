from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "newsdesk.accounts"
    label = "accounts"
    verbose_name = "Editor accounts"

    def ready(self):
        from newsdesk.accounts import receivers  # noqa: F401  (connects the sign-in signals)
