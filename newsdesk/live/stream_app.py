"""/live/<slug>/events as a bare ASGI application, in front of Django's middleware stack.

Why not a Django view: Django runs synchronous middleware through a thread for each request,
and a stream stays open for hours, so every reader held an OS thread (5,011 threads at 5,000
readers). A stream needs almost nothing the middleware does: it takes no input, sets no
cookie and renders no page. What it does need is done here, with the functions Django's path
and the page cache use too (core/security.py): the Host header checked against ALLOWED_HOSTS,
plain HTTP redirected to HTTPS in production, the security headers; and the feed looked up as
the page view would (live and public only).
"""

import asyncio
import io
import logging
import re

from django.conf import settings
from django.core.handlers.asgi import ASGIRequest
from django.db import connection

from newsdesk.core import security
from newsdesk.core.db_errors import RETRY_AFTER_SECONDS, is_database_unavailable, outage
from newsdesk.live import grip, gripstream
from newsdesk.live.events import parse_sequence
from newsdesk.live.rounds import Rounds
from newsdesk.live.stream import stream

logger = logging.getLogger(__name__)

PATH = re.compile(r"/live/(?P<slug>[^/]+)/events")

STREAM_HEADERS = [
    (b"content-type", b"text/event-stream"),
    (b"cache-control", b"no-cache, no-store"),
    (b"x-accel-buffering", b"no"),  # nginx: pass each event on at once
]


def stream_slug(scope):
    """The feed slug when this HTTP request is for an event stream, else None."""
    if scope["type"] != "http":
        return None
    match = PATH.fullmatch(scope["path"])
    return match["slug"] if match else None


async def events(scope, receive, send, slug):
    """Server-Sent Events: every change to the feed, resumable with Last-Event-ID."""
    request = ASGIRequest(scope, io.BytesIO())
    host = request.META.get("HTTP_HOST", "")
    if not security.host_allowed(host):
        logger.warning("Live stream: refused Host header %r", host)
        return await _plain(send, 400, "Bad Request")
    secure = request.is_secure()
    if request.method not in ("GET", "HEAD"):
        return await _plain(send, 405, "Method Not Allowed", [(b"allow", b"GET, HEAD")], secure)
    if security.needs_redirect(request.path, secure):
        location = security.https_location(request.path, request.META["QUERY_STRING"], host)
        return await _plain(send, 301, "Moved Permanently", [(b"location", location.encode())])

    after = parse_sequence(request.headers.get("Last-Event-ID"))
    if after is None:
        after = parse_sequence(request.GET.get("after"))
    if request.method == "GET" and settings.NEWSDESK_PUSHPIN_URL and is_grip_request(scope):
        return await _grip(send, slug, scope, after, secure)

    # Not thread-sensitive, and the connection closed at once: a stream lives for hours and
    # must not hold a database connection (on PostgreSQL, 100 readers would exhaust them).
    try:
        feed_id = await feed_ids.get((slug,))
    except Exception as error:
        if not is_database_unavailable(error):
            raise
        # The page's script falls back to polling on a failed stream, and polls again later.
        outage.lost(error, where="a live stream")
        retry = [(b"retry-after", str(RETRY_AFTER_SECONDS).encode())]
        return await _plain(
            send, 503, "Service Unavailable: the database is unavailable", retry, secure
        )
    if feed_id is None:
        return await _plain(send, 404, "Not Found", secure=secure)
    await send({"type": "http.response.start", "status": 200, "headers": _headers(secure)})
    if request.method == "HEAD":
        return await send({"type": "http.response.body", "body": b""})

    await _stream_until_disconnect(stream(feed_id, after), receive, send)


def is_grip_request(scope):
    """Whether the request came through Pushpin, which signs what it forwards (Grip-Sig).

    The signature is not verified: a forged one gains nothing, since the stream is public and
    the forger only gets, instead of a stream, the same replay followed by instructions that
    mean something to Pushpin alone. Checking it would need the key shared with every Pushpin
    instance, for no protection of anything.
    """
    return grip.is_grip_request(scope["headers"])


async def _grip(send, slug, scope, after, secure):
    """Answer with the replay and hold instructions for Pushpin (newsdesk/live/gripstream.py)."""
    try:
        answered = await gripstream.answer(
            send, slug, scope["path"], after, scope["headers"], _headers(secure)
        )
    except Exception as error:
        if not is_database_unavailable(error):
            raise
        # For a reader's first request, the page's script falls back to polling; for one of
        # Pushpin's own (a next link), Pushpin keeps the reader and asks again a little later.
        outage.lost(error, where="a live stream through Pushpin")
        retry = [(b"retry-after", str(RETRY_AFTER_SECONDS).encode())]
        return await _plain(
            send, 503, "Service Unavailable: the database is unavailable", retry, secure
        )
    if not answered:
        await _plain(send, 404, "Not Found", secure=secure)


async def _stream_until_disconnect(chunks, receive, send):
    """Send the chunks until they end or the reader goes away, whichever is first."""

    async def pump():
        try:
            async for chunk in chunks:
                await send({"type": "http.response.body", "body": chunk, "more_body": True})
        except Exception as error:
            # The database went away while this stream started (its replay): end the stream
            # and the browser reconnects with Last-Event-ID, which replays what it missed.
            if not is_database_unavailable(error):
                raise
            outage.lost(error, where="a live stream")
        await send({"type": "http.response.body", "body": b""})

    async def disconnected():
        while (await receive())["type"] != "http.disconnect":
            pass

    sending = asyncio.ensure_future(pump())
    watching = asyncio.ensure_future(disconnected())
    try:
        await asyncio.wait([sending, watching], return_when=asyncio.FIRST_COMPLETED)
    finally:
        # Cancelling the pump runs the stream's `finally`, which unsubscribes the reader.
        for task in (sending, watching):
            task.cancel()
        await asyncio.gather(sending, watching, return_exceptions=True)
    if sending.done() and not sending.cancelled() and sending.exception():
        raise sending.exception()


def _live_feed_id(slug):
    from newsdesk.live.models import LiveFeedPage

    try:
        return (
            LiveFeedPage.objects.for_readers().filter(slug=slug).values_list("pk", flat=True)
        ).first()
    finally:
        connection.close()


feed_ids = Rounds(_live_feed_id)
"""A crowd of readers connecting at once to one feed looks it up once, not once each (with a
database connection each)."""


def _headers(secure):
    return [*STREAM_HEADERS, *security.security_headers(secure)]


async def _plain(send, status, text, headers=(), secure=False):
    body = text.encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"text/plain; charset=utf-8"),
                (b"content-length", str(len(body)).encode()),
                *security.security_headers(secure),
                *headers,
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})
