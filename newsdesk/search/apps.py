from django.apps import AppConfig


class SearchConfig(AppConfig):
    # wagtail.search is "wagtailsearch", so the plain label is free.
    name = "newsdesk.search"
    label = "search"
    verbose_name = "Reader search"
