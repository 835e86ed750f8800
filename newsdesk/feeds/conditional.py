"""Conditional GET for feeds: validators computed cheaply, and 304s without rendering.

Feed readers poll, most of them every few minutes, and most of the time nothing has changed.
A feed's `Version` is what its bytes depend on, read in one small query (which stories are in
it and when each last changed); the ETag is a hash of it, Last-Modified its newest time. When
the reader's copy is current the answer is a 304 and the feed is never built.

The ETag is weak (W/"..."): two responses with the same version say the same thing, but a
new image rendition or a settings change elsewhere could change a byte or two.
"""

import hashlib
from dataclasses import dataclass
from datetime import datetime
from functools import wraps

from django.conf import settings
from django.utils.cache import get_conditional_response
from django.utils.http import http_date

CACHE_CONTROL = "public, max-age=300, stale-while-revalidate=60"
LIVE_CACHE_CONTROL = "public, max-age=30, stale-while-revalidate=15"
"""Live feeds change by the minute; readers and proxies must come back sooner."""

FORMAT_VERSION = 1
"""Raise it when a code change alters what feeds contain, so readers' copies expire."""


@dataclass(frozen=True)
class Version:
    parts: tuple
    last_modified: datetime | None


def etag(version):
    """W/"<hash>" of the version, the code's format version and the settings feeds show."""
    site = (
        settings.NEWSDESK_BASE_URL,
        settings.NEWSDESK_SITE_NAME,
        settings.NEWSDESK_FEED_CONTENT,
        settings.LANGUAGE_CODE,
        settings.TIME_ZONE,
    )
    digest = hashlib.sha256(repr((FORMAT_VERSION, site, version.parts)).encode()).hexdigest()
    return f'W/"{digest[:32]}"'


def respond(request, version, build, cache_control=CACHE_CONTROL):
    """A 304 (or 412) when the request's validators match `version`, else `build()`'s
    response; either way with the ETag, Last-Modified and Cache-Control headers."""
    tag = etag(version)
    stamp = int(version.last_modified.timestamp()) if version.last_modified else None
    response = get_conditional_response(request, etag=tag, last_modified=stamp)
    if response is None:
        response = build()
    response["ETag"] = tag
    if stamp is not None:
        response["Last-Modified"] = http_date(stamp)
    response["Cache-Control"] = cache_control
    return response


def conditional(version_of, cache_control=CACHE_CONTROL):
    """The same for any feed view: `version_of(*args, **kwargs)` gives the view's Version."""

    def decorate(view):
        @wraps(view)
        def wrapper(request, *args, **kwargs):
            return respond(
                request,
                version_of(*args, **kwargs),
                lambda: view(request, *args, **kwargs),
                cache_control,
            )

        return wrapper

    return decorate
