"""Turning Django's response into a cache entry, and the rules for what may be stored.

Stored: a 200 with a body, for a request without cookies or credentials, whose response sets
no cookie, does not vary (Vary: Cookie would mean it depends on who asks) and does not forbid
caching. Every header Django's middleware added (CSP, X-Frame-Options) is kept as sent, except
the security headers (nosniff, Referrer-Policy, COOP, HSTS): they come from the one function
every pipeline uses (core/security.py), for HTTP and for HTTPS.
"""

import hashlib
import time

from django.conf import settings
from django.utils.http import http_date, parse_http_date_safe

from newsdesk.core.security import HEADER_NAMES, security_headers
from newsdesk.pagecache.store import Entry

DROPPED = {b"date", b"server", b"content-length", *HEADER_NAMES}
KEPT_IN_304 = {b"content-type", b"content-length"}
HIT = (b"x-cache", b"hit")
LIVE_MAX_AGE = 10
"""Live pages change by the minute: a CDN without the purge hook may keep them this long."""


def cacheable(status, headers):
    if status != 200:
        return False
    names = {name for name, _ in headers}
    if b"set-cookie" in names or b"vary" in names:
        return False
    cache_control = b",".join(value for name, value in headers if name == b"cache-control")
    return not any(word in cache_control for word in (b"private", b"no-store", b"no-cache"))


def cache_control(kind):
    max_age = settings.NEWSDESK_CACHE_MAX_AGE
    if kind.name in ("live", "live-update", "live-feed", "home", "live-index"):
        max_age = min(max_age, LIVE_MAX_AGE)
    stale = settings.NEWSDESK_CACHE_STALE_SECONDS
    return f"public, max-age={max_age}, stale-while-revalidate={stale}".encode()


def make_entry(key, kind, headers, body, tags):
    """An entry whose header lists are ready to send; keeps a view's own validators and
    Cache-Control (feeds compute theirs), adds ours otherwise."""
    kept = [(name, value) for name, value in headers if name not in DROPPED]
    own = dict(kept)
    extra = []
    if b"etag" not in own:
        digest = hashlib.blake2b(body, digest_size=16).hexdigest()
        extra.append((b"etag", f'"{digest}"'.encode()))
    if b"last-modified" in own:
        last_modified = parse_http_date_safe(own[b"last-modified"].decode("latin-1")) or 0
    else:
        last_modified = int(time.time())
        extra.append((b"last-modified", http_date(last_modified).encode()))
    if b"cache-control" not in own:
        extra.append((b"cache-control", cache_control(kind)))
    full = [*kept, *extra, (b"content-length", str(len(body)).encode())]
    not_modified = [(name, value) for name, value in full if name not in KEPT_IN_304]
    etag = dict(full)[b"etag"].decode("latin-1")
    # X-Cache comes last, where the hit path swaps it for "miss" on the render's own answer:
    # operators and the benchmark tell a served copy from a render by it.
    plain, secure = security_headers(secure=False), security_headers(secure=True)
    entry = Entry(key, body, [*full, *plain, HIT], etag, last_modified, frozenset(tags))
    entry.secure_headers = [*full, *secure, HIT]
    entry.not_modified_headers = [*not_modified, *plain]
    entry.secure_not_modified_headers = [*not_modified, *secure]
    entry.prepare()
    return entry


def not_modified(entry, if_none_match, if_modified_since):
    """Django's rules for GET and HEAD: If-None-Match wins; weak comparison."""
    if if_none_match is not None:
        wanted = entry.etag.removeprefix("W/")
        for tag in if_none_match.decode("latin-1").split(","):
            tag = tag.strip()
            if tag == "*" or tag.removeprefix("W/") == wanted:
                return True
        return False
    if if_modified_since is not None:
        since = parse_http_date_safe(if_modified_since.decode("latin-1"))
        return since is not None and entry.last_modified <= since
    return False
