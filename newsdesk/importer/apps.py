from django.apps import AppConfig


class ImporterConfig(AppConfig):
    name = "newsdesk.importer"
    label = "importer"
    verbose_name = "Import"
