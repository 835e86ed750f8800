from django.apps import AppConfig


class SeoConfig(AppConfig):
    # Not "sitemaps": that label belongs to django.contrib.sitemaps.
    name = "newsdesk.seo"
    label = "seo"
    verbose_name = "Sitemaps and robots.txt"
