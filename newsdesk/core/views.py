import contextlib
import mimetypes
import posixpath
from pathlib import Path

from asgiref.sync import sync_to_async
from django.conf import settings
from django.core.handlers.asgi import ASGIRequest
from django.db import connection
from django.http import (
    Http404,
    HttpResponse,
    HttpResponseNotModified,
    StreamingHttpResponse,
)
from django.utils._os import safe_join
from django.utils.http import http_date
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe
from django.views.static import was_modified_since
from wagtail.views import serve as wagtail_serve

from newsdesk.core import sites
from newsdesk.core.ranges import ByteRange, Unsatisfiable, if_range_matches, parse_range
from newsdesk.images.uploads import PRIVATE_MEDIA


def serve_page(request, path):
    """Wagtail's page view, with the Site and home page from this process's memo
    (core/sites.py) instead of two queries per request."""
    request._wagtail_site = sites.site_for_request(request)
    return wagtail_serve(request, path)


CHUNK = 64 * 1024
IMMUTABLE_MEDIA = ("narration/",)
"""Media folders whose file names are content hashes: a name never gets new bytes."""
CONTENT_TYPES = {".mp3": "audio/mpeg", ".webp": "image/webp", ".avif": "image/avif"}
"""Types the platform's mimetypes table may lack or get wrong."""


@never_cache
def healthz(request):
    """200 when the database answers a query, 503 otherwise (for load balancers and monitors)."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception as error:  # noqa: BLE001 - any database failure means "unhealthy"
        return HttpResponse(
            f"database unavailable: {type(error).__name__}\n",
            status=503,
            content_type="text/plain",
        )
    return HttpResponse("ok\n", content_type="text/plain")


@require_safe
def media(request, path):
    """Uploaded files and narration audio, for sites without nginx in front (docs/operations.md).

    Like django.views.static.serve (the same path checks and If-Modified-Since), plus single
    byte ranges, which audio players need to seek and Safari needs to play at all.
    """
    path = posixpath.normpath(path).lstrip("/")
    if any(part.startswith(".") for part in path.split("/")):
        raise Http404("Hidden files are not served.")  # includes half-written narration files
    if path.lower().startswith(PRIVATE_MEDIA):  # lower(): case-insensitive file systems
        # Original images (the full frame, before cropping) are not public; readers get
        # renditions. Same 404 as a missing file, so names cannot be probed.
        raise Http404(f"“{path}” does not exist")
    fullpath = Path(safe_join(settings.MEDIA_ROOT, path))
    if not fullpath.is_file():
        raise Http404(f"“{path}” does not exist")
    stat = fullpath.stat()
    headers = _file_headers(path, fullpath, stat.st_mtime)
    if not was_modified_since(request.META.get("HTTP_IF_MODIFIED_SINCE"), stat.st_mtime):
        response = HttpResponseNotModified()
        for name in ("Last-Modified", "Cache-Control"):
            if name in headers:
                response.headers[name] = headers[name]
        return response
    try:
        wanted = _wanted_range(request, stat.st_size, headers["Last-Modified"])
    except Unsatisfiable:
        return _unsatisfiable(stat.st_size)
    part = wanted or ByteRange(0, stat.st_size - 1)
    if wanted:
        headers["Content-Range"] = wanted.content_range(stat.st_size)
    headers["Content-Length"] = str(part.length)
    status = 206 if wanted else 200
    if request.method == "HEAD" or part.length <= 0:
        return HttpResponse(status=status, headers=headers)
    return StreamingHttpResponse(_body(request, fullpath, part), status=status, headers=headers)


def _file_headers(path, fullpath, mtime):
    content_type, encoding = mimetypes.guess_type(fullpath.name)
    content_type = CONTENT_TYPES.get(fullpath.suffix.lower(), content_type)
    headers = {
        "Content-Type": content_type or "application/octet-stream",
        "Last-Modified": http_date(mtime),
        "Accept-Ranges": "bytes",
        "X-Content-Type-Options": "nosniff",
    }
    if encoding:
        headers["Content-Encoding"] = encoding
    if path.startswith(IMMUTABLE_MEDIA):
        headers["Cache-Control"] = "public, max-age=31536000, immutable"
    return headers


def _unsatisfiable(size):
    response = HttpResponse(
        f"The requested range is outside the file's {size} bytes.\n",
        status=416,
        content_type="text/plain; charset=utf-8",
    )
    response.headers["Content-Range"] = f"bytes */{size}"
    response.headers["Accept-Ranges"] = "bytes"
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


def _wanted_range(request, size, last_modified):
    """The range to send, or None for the whole file. Only GET has ranges (RFC 9110 14.2)."""
    if request.method != "GET":
        return None
    if not if_range_matches(request.headers.get("If-Range"), last_modified):
        return None
    return parse_range(request.headers.get("Range"), size)


def _read(fullpath, part):
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


def _body(request, fullpath, part):
    chunks = _read(fullpath, part)
    return _in_worker_threads(chunks) if isinstance(request, ASGIRequest) else chunks


async def _in_worker_threads(chunks):
    """Under ASGI, stream without blocking the event loop on disk reads.

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
