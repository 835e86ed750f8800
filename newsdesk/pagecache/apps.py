from django.apps import AppConfig


class PageCacheConfig(AppConfig):
    name = "newsdesk.pagecache"
    label = "pagecache"
    verbose_name = "Page cache"

    def ready(self):
        from newsdesk.pagecache import recorder, signals  # noqa: F401  (registers them)

        recorder.connect()
