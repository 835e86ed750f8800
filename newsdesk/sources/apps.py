from django.apps import AppConfig


class SourcesConfig(AppConfig):
    name = "newsdesk.sources"
    label = "sources"
    verbose_name = "Sources"
