from django.apps import AppConfig


class ReadApiConfig(AppConfig):
    name = "newsdesk.readapi"
    label = "readapi"
    verbose_name = "Read API"
