from django.apps import AppConfig


class PartsConfig(AppConfig):
    name = "newsdesk.parts"
    label = "parts"
    verbose_name = "Stored page parts"

    def ready(self):
        from newsdesk.pagecache.actions import invalidating
        from newsdesk.parts import store

        invalidating.connect(store.drop_invalidated, dispatch_uid="newsdesk.parts.drop")
