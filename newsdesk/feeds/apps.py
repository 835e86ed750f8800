from django.apps import AppConfig


class FeedsConfig(AppConfig):
    name = "newsdesk.feeds"
    label = "feeds"
    verbose_name = "Feeds"

    def ready(self):
        from newsdesk.feeds import checks  # noqa: F401  (registers them)
