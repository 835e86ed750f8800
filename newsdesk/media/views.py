"""The app's own /media/ URL: media files for sites without a media proxy in front.

With local files (the default) it reads MEDIA_ROOT; with buckets (NEWSDESK_MEDIA_STORAGE) it
streams from the public bucket, so a single host with object storage and no nginx or CDN
routing /media/ still works, and so does NEWSDESK_MEDIA_URL=/media/ behind a load balancer
that does not route media. Either way: the same path checks and If-Modified-Since as
django.views.static.serve, single byte ranges (audio players seek with them, Safari needs them
to play at all), the stored Content-Type and Cache-Control (config.py), and originals 404
whether or not they exist, so their names cannot be probed.
"""

from __future__ import annotations

import contextlib
import logging
import mimetypes
import posixpath
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from asgiref.sync import sync_to_async
from botocore.exceptions import BotoCoreError, ClientError
from django.conf import settings
from django.core.handlers.asgi import ASGIRequest
from django.http import Http404, HttpResponse, HttpResponseNotModified, StreamingHttpResponse
from django.utils._os import safe_join
from django.utils.http import http_date
from django.views.decorators.http import require_safe
from django.views.static import was_modified_since

from newsdesk.core.ranges import ByteRange, Unsatisfiable, if_range_matches, parse_range
from newsdesk.media import config
from newsdesk.media.storage import bucket_storage

logger = logging.getLogger(__name__)

CHUNK = 64 * 1024


@dataclass
class Found:
    """One media file, wherever it is kept."""

    size: int
    mtime: float
    chunks: object
    """chunks(part) -> iterator of the bytes of that range."""


@require_safe
def media(request, path):
    path = posixpath.normpath(path).lstrip("/")
    if any(part.startswith(".") for part in path.split("/")):
        raise Http404("Hidden files are not served.")  # includes half-written narration files
    if config.is_private(path):
        # Original images (the full frame, before cropping) are not public; readers get
        # renditions. Same 404 as a missing file, so names cannot be probed.
        raise Http404(f"“{path}” does not exist")
    try:
        found = _in_bucket(path) if bucket_storage() else _on_disk(path)
    except (BotoCoreError, ClientError) as error:
        logger.warning("Media: %s could not be read from the bucket: %s", path, error)
        return HttpResponse(
            "The media storage is not answering; try again in a moment.\n",
            status=503,
            content_type="text/plain; charset=utf-8",
            headers={"Retry-After": "5"},
        )
    if found is None:
        raise Http404(f"“{path}” does not exist")
    return _respond(request, path, found)


def _on_disk(path: str) -> Found | None:
    fullpath = Path(safe_join(settings.MEDIA_ROOT, path))
    if not fullpath.is_file():
        return None
    stat = fullpath.stat()
    return Found(stat.st_size, stat.st_mtime, lambda part: _read_file(fullpath, part))


def _in_bucket(path: str) -> Found | None:
    storage = bucket_storage()
    head = storage.head(path)
    if head is None:
        return None
    return Found(
        head["ContentLength"],
        head["LastModified"].timestamp(),
        lambda part: storage.read_range(path, part.start, part.end),
    )


def _respond(request, path: str, found: Found):
    headers = _file_headers(path, found.mtime)
    if not was_modified_since(request.META.get("HTTP_IF_MODIFIED_SINCE"), found.mtime):
        response = HttpResponseNotModified()
        for name in ("Last-Modified", "Cache-Control"):
            if name in headers:
                response.headers[name] = headers[name]
        return response
    try:
        wanted = _wanted_range(request, found.size, headers["Last-Modified"])
    except Unsatisfiable:
        return _unsatisfiable(found.size)
    part = wanted or ByteRange(0, found.size - 1)
    if wanted:
        headers["Content-Range"] = wanted.content_range(found.size)
    headers["Content-Length"] = str(part.length)
    status = 206 if wanted else 200
    if request.method == "HEAD" or part.length <= 0:
        return HttpResponse(status=status, headers=headers)
    chunks = found.chunks(part)
    body = _in_worker_threads(chunks) if isinstance(request, ASGIRequest) else chunks
    return StreamingHttpResponse(body, status=status, headers=headers)


def _file_headers(path: str, mtime: float) -> dict[str, str]:
    guessed, encoding = mimetypes.guess_type(path)
    headers = {
        "Content-Type": config.content_type(path) or guessed or "application/octet-stream",
        "Last-Modified": http_date(mtime),
        "Accept-Ranges": "bytes",
        "X-Content-Type-Options": "nosniff",
    }
    if encoding:
        headers["Content-Encoding"] = encoding
    if cache_control := config.cache_control(path):
        headers["Cache-Control"] = cache_control
    return headers


def _unsatisfiable(size: int) -> HttpResponse:
    response = HttpResponse(
        f"The requested range is outside the file's {size} bytes.\n",
        status=416,
        content_type="text/plain; charset=utf-8",
    )
    response.headers["Content-Range"] = f"bytes */{size}"
    response.headers["Accept-Ranges"] = "bytes"
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


def _wanted_range(request, size: int, last_modified: str) -> ByteRange | None:
    """The range to send, or None for the whole file. Only GET has ranges (RFC 9110 14.2)."""
    if request.method != "GET":
        return None
    if not if_range_matches(request.headers.get("If-Range"), last_modified):
        return None
    return parse_range(request.headers.get("Range"), size)


def _read_file(fullpath: Path, part: ByteRange) -> Iterator[bytes]:
    """The bytes of one range, a chunk at a time; the file closes when the response does."""
    with fullpath.open("rb") as file:
        file.seek(part.start)
        remaining = part.length
        while remaining > 0:
            chunk = file.read(min(CHUNK, remaining))
            if not chunk:
                return  # the file shrank under us; the client sees a short body
            remaining -= len(chunk)
            yield chunk


async def _in_worker_threads(chunks):
    """Under ASGI, stream without blocking the event loop on disk or bucket reads.

    Given a plain iterator Django's ASGI handler would read the whole file into memory first.
    """
    next_chunk = sync_to_async(next, thread_sensitive=False)
    try:
        while (chunk := await next_chunk(chunks, None)) is not None:
            yield chunk
    finally:
        # After a hang-up the last read may still be running in its thread; the generator
        # then closes its file when it is garbage-collected instead.
        with contextlib.suppress(ValueError):
            chunks.close()
