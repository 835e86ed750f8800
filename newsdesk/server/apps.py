from django.apps import AppConfig


class ServerConfig(AppConfig):
    name = "newsdesk.server"
    label = "server"
    verbose_name = "Server and worker"
