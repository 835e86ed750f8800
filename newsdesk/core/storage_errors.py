"""A full disk (or quota) on the data directory: a clear answer instead of a traceback.

When the disk holding the database or media fills up, SQLite raises "database or disk is full",
PostgreSQL "could not extend file" (SQLSTATE 53100) and file writes ENOSPC. Nothing is
half-saved: the database rolls the transaction back, and files are written to a temporary
name first. So the editor only needs to hear that the change was not saved and why, and the
operator one log line saying which request failed and what to free; after space is freed the
same request succeeds again, with no repair step.
"""

import errno
import logging
import sqlite3

from django.http import HttpResponse, JsonResponse
from django.template.loader import render_to_string
from django.utils.deprecation import MiddlewareMixin
from django.utils.translation import gettext as _

logger = logging.getLogger(__name__)

DISK_FULL_ERRNOS = {errno.ENOSPC, errno.EDQUOT}
POSTGRES_DISK_FULL = "53100"  # SQLSTATE disk_full
RETRY_AFTER_SECONDS = 60


def is_disk_full(error):
    """True when `error`, or an error it was raised from, means there is no space to write."""
    seen = set()
    while error is not None and id(error) not in seen:
        seen.add(id(error))
        if isinstance(error, OSError) and error.errno in DISK_FULL_ERRNOS:
            return True
        if isinstance(error, sqlite3.Error) and (
            getattr(error, "sqlite_errorcode", None) == sqlite3.SQLITE_FULL
            or "database or disk is full" in str(error)
        ):
            return True
        # psycopg 3 names it sqlstate, psycopg2 pgcode.
        code = getattr(error, "sqlstate", None) or getattr(error, "pgcode", None)
        if code == POSTGRES_DISK_FULL:
            return True
        error = error.__cause__ or error.__context__
    return False


def wants_json(request):
    return request.path.startswith("/api/") or "application/json" in request.headers.get(
        "Accept", ""
    )


def disk_full_response(request):
    """503 with Retry-After: the condition is temporary, and clients and proxies retry 503s."""
    if request.method in ("GET", "HEAD", "OPTIONS"):
        # A reader's page that needed a file written (an image size, say): nothing to save.
        title = _("Temporary problem")
        message = _(
            "The server's disk is full, so this page cannot be shown just now. Please try "
            "again in a few minutes."
        )
    else:
        title = _("Not saved: the server's disk is full")
        message = _(
            "The server's disk is full, so your change was not saved. Nothing was lost: try "
            "again once an administrator has freed space."
        )
    if wants_json(request):
        response = JsonResponse(
            {"errors": {"__all__": [message]}},
            status=503,
            json_dumps_params={"ensure_ascii": False},
        )
    else:
        # A standalone template: the page must render without the database or the disk.
        body = render_to_string(
            "core/disk_full.html", {"title": title, "message": message}, request=None
        )
        response = HttpResponse(body, status=503)
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    response["Cache-Control"] = "no-store"
    # Logged once, below; Django's request logger would add a second entry for the 503.
    response._has_been_logged = True
    return response


class DiskFullMiddleware(MiddlewareMixin):
    """Turns a disk-full error raised by a view into `disk_full_response`, logged once.

    Other errors go on to Django's ordinary handling. MiddlewareMixin keeps it usable on
    async requests, so live streams need no thread for it.
    """

    def process_exception(self, request, exception):
        if not is_disk_full(exception):
            return None
        logger.error(
            "Disk full: %s %s was refused and nothing was saved (%s: %s). "
            "Free space on the data directory; no repair is needed afterwards.",
            request.method,
            request.path,
            type(exception).__name__,
            exception,
        )
        return disk_full_response(request)
