import os

from django.conf import settings
from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "newsdesk.settings")
django_application = get_asgi_application()

from newsdesk.live import stream_app  # noqa: E402  (needs Django set up first)
from newsdesk.pagecache import app as pagecache  # noqa: E402
from newsdesk.server import accesslog  # noqa: E402


async def django(scope, receive, send):
    # Looked up at each call, so that tests can count renders (tests/test_pagecache.py).
    return await django_application(scope, receive, send)


# Cached reader pages are answered before Django (newsdesk/pagecache/app.py, docs/caching.md).
cached = pagecache.wrap(django)


async def site(scope, receive, send):
    """Live event streams (newsdesk/live/stream_app.py), which never enter the page cache nor
    Django; everything else through the page cache to Django."""
    slug = stream_app.stream_slug(scope)
    if slug is not None:
        return await stream_app.events(scope, receive, send, slug)
    return await cached(scope, receive, send)


def stored_answer(scope):
    """A page the page cache holds, for the server's protocol to send before any ASGI
    (newsdesk/server/protocol.py): None for event streams and whatever the store cannot answer."""
    if stream_app.stream_slug(scope) is not None:
        return None
    return pagecache.stored_answer(scope)


application = site
# One line per request, in batches (`newsdesk serve` turns the ASGI server's own log off).
if settings.NEWSDESK_ACCESS_LOG:
    application = accesslog.wrap(application)
application.stored_answer = stored_answer
application.logs_access = settings.NEWSDESK_ACCESS_LOG
