from urllib.parse import urlsplit

from django.conf import settings
from django.core import checks


@checks.register()
def pushpin_settings(app_configs, **kwargs):
    """NEWSDESK_PUSHPIN_URL must name Pushpin's control endpoints: anything else would only
    show up as publishes failing, one log line per outage, while readers wait for checks."""
    errors = []
    for url in settings.NEWSDESK_PUSHPIN_URL:
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            errors.append(
                checks.Error(
                    f"NEWSDESK_PUSHPIN_URL has {url!r}, which is not an http(s) URL; give the "
                    "base of Pushpin's control endpoint, e.g. http://127.0.0.1:5561.",
                    id="live.E001",
                )
            )
    if settings.NEWSDESK_PUSHPIN_CHECK_SECONDS < 1:
        errors.append(
            checks.Error("NEWSDESK_PUSHPIN_CHECK_SECONDS must be at least 1.", id="live.E002")
        )
    return errors
