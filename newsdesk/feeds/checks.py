from django.conf import settings
from django.core import checks

CONTENT_CHOICES = ("full", "summary")


@checks.register()
def feed_content_setting(app_configs, **kwargs):
    """NEWSDESK_FEED_CONTENT must name one of the two modes; a typo would silently mean full."""
    value = settings.NEWSDESK_FEED_CONTENT
    if value in CONTENT_CHOICES:
        return []
    return [
        checks.Error(
            f"NEWSDESK_FEED_CONTENT is {value!r}; it must be 'full' or 'summary'.",
            id="feeds.E001",
        )
    ]
