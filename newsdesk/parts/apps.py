from django.apps import AppConfig


class PartsConfig(AppConfig):
    name = "newsdesk.parts"
    label = "parts"
    verbose_name = "Stored page parts"
