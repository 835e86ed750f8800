from django.apps import AppConfig


class LiveConfig(AppConfig):
    name = "newsdesk.live"
    label = "live"
    verbose_name = "Live coverage"

    def ready(self):
        from newsdesk.live import checks, receivers  # noqa: F401  (registers them)
