"""schema.org pieces every kind of page uses: the newsroom as publisher, and times."""

from django.conf import settings
from django.templatetags.static import static
from django.utils import timezone

from newsdesk.core.templatetags.newsdesk import absolute


def iso(moment):
    """ISO 8601 with the newsroom's UTC offset, e.g. 2024-01-27T15:34:00+02:00."""
    return timezone.localtime(moment).isoformat(timespec="seconds") if moment else None


def publisher():
    return {
        "@type": "NewsMediaOrganization",
        "name": settings.NEWSDESK_SITE_NAME,
        "url": settings.NEWSDESK_BASE_URL + "/",
        "logo": {
            "@type": "ImageObject",
            "url": absolute(static("newsdesk/logo.png")),
            "width": 600,
            "height": 60,
        },
    }
