from django.apps import AppConfig


class NarrationConfig(AppConfig):
    name = "newsdesk.narration"
    label = "narration"
    verbose_name = "Narration"

    def ready(self):
        from newsdesk.narration import checks, signals  # noqa: F401  (registers them)
