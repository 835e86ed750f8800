"""The page cache as an ASGI layer in front of Django (newsdesk/asgi.py wraps Django in it).

A hit is a dictionary look-up and two `send` calls: it never enters Django's middleware
stack, which costs far more than the whole hit (docs/caching.md has the figures). What the
middleware would have done for a hit is done here, with the functions Django's path uses too
(core/security.py): the Host header is checked against ALLOWED_HOSTS (anything else goes to
Django, which refuses it), plain HTTP goes to Django to be redirected when SECURE_SSL_REDIRECT
is on, and the security headers are added for HTTP or HTTPS (entries.py); the other headers
(CSP, X-Frame-Options) are those Django sent when the page was stored.

A miss renders through Django once per URL at a time (others asking meanwhile wait for that
render), at most NEWSDESK_CACHE_RENDER_LIMIT renders at a time per process (503 with
Retry-After beyond it), with the query string cut down to the kind's allowed parameters and
without cookies or validators, so what is stored is exactly what any anonymous reader of that
key would get.
"""

import asyncio
import collections
import contextvars
import logging

from asgiref.sync import sync_to_async
from django.conf import settings
from django.core.signals import setting_changed
from django.dispatch import receiver

from newsdesk.core import security
from newsdesk.pagecache import recorder, shared
from newsdesk.pagecache.cache import listener, store
from newsdesk.pagecache.entries import cacheable, make_entry, not_modified
from newsdesk.pagecache.kinds import EVERY_PAGE
from newsdesk.pagecache.routes import kind_of

logger = logging.getLogger(__name__)

SAFE = frozenset({"GET", "HEAD"})
RENDER_HEADERS_DROPPED = {b"cookie", b"if-none-match", b"if-modified-since", b"authorization"}
RETRY_AFTER = b"2"
MISS = (b"x-cache", b"miss")
WAIT_SECONDS = 5.0
QUEUE_PER_RENDER = 8


class RenderLimit:
    """At most NEWSDESK_CACHE_RENDER_LIMIT renders of uncached pages at a time in this process.

    Further misses wait their turn, first come first served, at most WAIT_SECONDS; when
    QUEUE_PER_RENDER times the limit are waiting already, or the wait runs out, the answer is
    503. Django renders sync views on one thread anyway, so a short wait costs a reader
    little: refusing at once turned away most readers of distinct articles at 32 connections
    (96 % were 503s in the benchmark), while a flood of distinct URLs still cannot pile up."""

    def __init__(self):
        self.running = 0
        self.waiters = collections.deque()

    async def acquire(self):
        """True with a turn to render, False when the caller should answer 503."""
        allowed = settings.NEWSDESK_CACHE_RENDER_LIMIT
        if self.running < allowed and not self.waiters:
            self.running += 1
            return True
        if len(self.waiters) >= allowed * QUEUE_PER_RENDER:
            return False
        turn = asyncio.get_running_loop().create_future()
        self.waiters.append(turn)
        try:
            await asyncio.wait_for(turn, WAIT_SECONDS)
            return True  # release() passed its turn on: `running` already counts this one
        except TimeoutError:
            return self._gave_up(turn)
        except asyncio.CancelledError:  # the reader hung up while waiting
            if self._gave_up(turn):
                self.release()
            raise

    def _gave_up(self, turn):
        """Whether the turn arrived after all, just as the wait ended (then it is ours)."""
        if turn.done() and not turn.cancelled():
            return True
        if turn in self.waiters:
            self.waiters.remove(turn)
        return False

    def release(self):
        """Pass the turn to the longest waiter still waiting, or free it."""
        while self.waiters:
            turn = self.waiters.popleft()
            if not turn.done():
                turn.set_result(None)
                return
        self.running -= 1


class Config:
    """The settings a hit needs, read once: each `settings.X` costs about a microsecond,
    which is a noticeable part of a hit. Read again when tests change settings."""

    def __init__(self):
        self.enabled = settings.NEWSDESK_CACHE
        self.session_cookie = settings.SESSION_COOKIE_NAME.encode() + b"="
        self.proxy_header = security.proxy_header_name()


limit = RenderLimit()
_inflight: dict[str, asyncio.Future] = {}
_config = None


def config():
    global _config
    if _config is None:
        _config = Config()
    return _config


@receiver(setting_changed)
def _forget_settings(**kwargs):
    global _config
    _config = None


def _checked(scope, conf):
    """What the page cache needs to answer this request from its store: (kind, secure,
    If-None-Match, If-Modified-Since), or None when Django must answer it (not GET or HEAD,
    not a reader page, credentials or an editor's session, a Host header to refuse, plain
    HTTP to redirect). The one set of rules for both ways in: the ASGI application below and
    `stored_answer`, which the server's protocol asks before any ASGI (server/protocol.py)."""
    if scope["method"] not in SAFE or not conf.enabled:
        return None
    kind = kind_of(scope["path"])
    if kind is None:
        return None
    host = cookie = if_none_match = if_modified_since = forwarded_proto = None
    proxy_header = conf.proxy_header
    for name, value in scope["headers"]:
        if name == b"host":
            host = value
        elif name == b"cookie":
            cookie = value
        elif name == b"if-none-match":
            if_none_match = value
        elif name == b"if-modified-since":
            if_modified_since = value
        elif name == b"authorization":
            return None
        elif name == proxy_header:
            forwarded_proto = value
    if cookie is not None and conf.session_cookie in cookie:
        return None  # an editor: never cached
    if host is None or not security.host_allowed(host.decode("latin-1")):
        return None  # Django answers 400
    secure = security.is_secure(scope.get("scheme"), forwarded_proto)
    if security.needs_redirect(scope["path"], secure):
        return None  # Django redirects
    return kind, secure, if_none_match, if_modified_since


def stored_answer(scope):
    """(status, head, body) for a request the store can answer now, else None (the request
    then goes through the ASGI application as usual). `head` is the header lines, each ending
    in CRLF, prepared when the entry was stored (store.py); `body` is empty for HEAD and 304.
    Called by the server's protocol in the event loop's thread, with a scope that has at least
    method, path, query_string, headers and scheme."""
    conf = _config or config()
    checked = _checked(scope, conf)
    if checked is None:
        return None
    kind, secure, if_none_match, if_modified_since = checked
    if not kind.cache:
        return None
    listener.ensure_started()
    entry = store.get(kind.key(scope["path"], scope["query_string"]))
    if entry is None:
        return None
    heads = entry.heads
    if (if_none_match is not None or if_modified_since is not None) and not_modified(
        entry, if_none_match, if_modified_since
    ):
        return 304, heads[3 if secure else 2], b""
    return 200, heads[1 if secure else 0], entry.body if scope["method"] == "GET" else b""


def wrap(downstream):
    """The site's ASGI application: cached reader pages, and `downstream` for the rest."""

    async def application(scope, receive, send):
        if scope["type"] != "http":
            return await downstream(scope, receive, send)
        checked = _checked(scope, _config or config())
        if checked is None:
            return await downstream(scope, receive, send)
        kind, secure, if_none_match, if_modified_since = checked
        listener.ensure_started()
        if not kind.cache:
            return await _limited(downstream, scope, receive, send)

        key = kind.key(scope["path"], scope["query_string"])
        entry = store.get(key)
        hit = entry is not None
        if not hit:
            entry = await _fill(key, kind, downstream, scope, receive, send)
            if entry is None:
                return None  # answered already: not cacheable, or over the render limit
        if not_modified(entry, if_none_match, if_modified_since):
            headers = entry.secure_not_modified_headers if secure else entry.not_modified_headers
            await send({"type": "http.response.start", "status": 304, "headers": headers})
            return await send({"type": "http.response.body", "body": b""})
        headers = entry.secure_headers if secure else entry.headers
        if not hit:  # the lists end in X-Cache: hit; a render says so once (entries.py)
            headers = [*headers[:-1], MISS]
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        body = entry.body if scope["method"] == "GET" else b""
        return await send({"type": "http.response.body", "body": body})

    return application


async def _fill(key, kind, downstream, scope, receive, send):
    """The entry for a missed key (from Redis, another request's render or our own), or None
    when the response has been sent already."""
    waiting = _inflight.get(key)
    if waiting is not None:
        entry = await asyncio.shield(waiting)
        if entry is not None:
            return entry
        # That render was not cacheable (a 404, say): this request renders its own, limited.
        return await _render(key, kind, downstream, scope, receive, send)
    future = asyncio.get_running_loop().create_future()
    _inflight[key] = future
    entry = None
    try:
        entry = await _render(key, kind, downstream, scope, receive, send)
        return entry
    finally:
        del _inflight[key]
        future.set_result(entry)


async def _render(key, kind, downstream, scope, receive, send):
    generation = store.generation
    shared_generation = None
    if shared.enabled():
        try:
            shared_generation, entry = await sync_to_async(shared.lookup, thread_sensitive=False)(
                key
            )
        except Exception as error:
            # Redis down counts as a miss: the page is rendered here (logged once per outage).
            shared.link.lost(error, "misses are rendered by each process until it is back")
            entry = None
        else:
            shared.link.restored()
        if entry is not None:
            if listener.ready:
                store.put(entry, generation)
            return entry
    if not await limit.acquire():
        await _unavailable(send)
        return None
    try:
        render_scope = {
            **scope,
            "method": "GET",
            "query_string": kind.query(scope["query_string"]).encode(),
            "headers": [(n, v) for n, v in scope["headers"] if n not in RENDER_HEADERS_DROPPED],
        }
        status, headers, body, tags = await _capture(downstream, render_scope, receive)
    finally:
        limit.release()
    if not cacheable(status, headers):
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send(
            {"type": "http.response.body", "body": body if scope["method"] == "GET" else b""}
        )
        return None
    entry = make_entry(key, kind, headers, body, _list_tags(kind, tags))
    # Stored only if no invalidation arrived while rendering (it could predate the change),
    # and only once the listener knows where to start (or one could slip past unapplied).
    if listener.ready and store.put(entry, generation) and shared_generation is not None:
        try:
            await sync_to_async(shared.put, thread_sensitive=False)(entry, shared_generation)
        except Exception as error:
            shared.link.lost(error, "misses are rendered by each process until it is back")
    return entry


async def _capture(downstream, scope, receive):
    """Run Django with the recorder on; (status, headers, body, recorded tags)."""
    start = {}
    chunks = []

    async def capture(message):
        if message["type"] == "http.response.start":
            start.update(message)
        elif message["type"] == "http.response.body":
            chunks.append(message.get("body", b""))

    context = contextvars.copy_context()
    recorded = context.run(recorder.start)
    # Run in a task of its own context so the recording reaches Django's threads and ends here.
    await asyncio.get_running_loop().create_task(
        downstream(scope, receive, capture), context=context
    )
    # Django keeps the case it was given ("Content-Type"); the rules compare lower case.
    headers = [(name.lower(), value) for name, value in start.get("headers", [])]
    return start.get("status", 500), headers, b"".join(chunks), recorded


def _list_tags(kind, recorded):
    tags = recorder.flatten(recorded) | kind.lists | {EVERY_PAGE}
    if kind.topic_lists:
        tags |= {f"topic-list:{pk}" for pk in recorder.ids(recorded, "articles.topic")}
    if kind.author_lists:
        tags |= {f"author-list:{pk}" for pk in recorder.ids(recorded, "articles.author")}
    return tags


async def _limited(downstream, scope, receive, send):
    """Pages never stored (search, unknown paths) still count against the render limit."""
    if not await limit.acquire():
        return await _unavailable(send)
    try:
        return await downstream(scope, receive, send)
    finally:
        limit.release()


async def _unavailable(send):
    body = b"Too many pages are being prepared; please retry in a moment.\n"
    headers = [
        (b"content-type", b"text/plain; charset=utf-8"),
        (b"content-length", str(len(body)).encode()),
        (b"retry-after", RETRY_AFTER),
        (b"cache-control", b"no-store"),
        (b"x-content-type-options", b"nosniff"),
    ]
    await send({"type": "http.response.start", "status": 503, "headers": headers})
    await send({"type": "http.response.body", "body": body})
