import os

from django.conf import settings
from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "newsdesk.settings")
django_application = get_asgi_application()

from newsdesk.live import stream_app  # noqa: E402  (needs Django set up first)
from newsdesk.pagecache import app as pagecache  # noqa: E402
from newsdesk.server import accesslog  # noqa: E402


async def site(scope, receive, send):
    """Django for everything, except live event streams (see newsdesk/live/stream_app.py)."""
    slug = stream_app.stream_slug(scope)
    if slug is not None:
        return await stream_app.events(scope, receive, send, slug)
    return await django_application(scope, receive, send)


# Cached reader pages are answered before Django (newsdesk/pagecache/app.py, docs/caching.md).
application = pagecache.wrap(site)
# One line per request, in batches (`newsdesk serve` turns the ASGI server's own log off).
if settings.NEWSDESK_ACCESS_LOG:
    application = accesslog.wrap(application)
