from django.apps import AppConfig


class BarePageConfig(AppConfig):
    name = "benchmarks.barepage"
    label = "barepage"
    verbose_name = "Bare Wagtail page (benchmark only)"
