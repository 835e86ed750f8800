"""The benchmark's yardstick: the smallest Wagtail page that shows an article, a title and a
rich-text body, as a bare Wagtail project would serve it (benchmarks/bare_settings.py)."""

from wagtail.fields import RichTextField
from wagtail.models import Page


class BarePage(Page):
    body = RichTextField(blank=True)
