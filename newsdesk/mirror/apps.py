from django.apps import AppConfig


class MirrorConfig(AppConfig):
    name = "newsdesk.mirror"
    label = "mirror"
    verbose_name = "Static mirror"
