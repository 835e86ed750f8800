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

from django.utils.deprecation import MiddlewareMixin
from django.utils.translation import gettext as _

from newsdesk.core.unavailable import causes, try_again_response

logger = logging.getLogger(__name__)

DISK_FULL_ERRNOS = {errno.ENOSPC, errno.EDQUOT}
POSTGRES_DISK_FULL = "53100"  # SQLSTATE disk_full
RETRY_AFTER_SECONDS = 60


def is_disk_full(error):
    """True when `error`, or an error it was raised from, means there is no space to write."""
    for cause in causes(error):
        if isinstance(cause, OSError) and cause.errno in DISK_FULL_ERRNOS:
            return True
        if isinstance(cause, sqlite3.Error) and (
            getattr(cause, "sqlite_errorcode", None) == sqlite3.SQLITE_FULL
            or "database or disk is full" in str(cause)
        ):
            return True
        # psycopg 3 names it sqlstate, psycopg2 pgcode.
        code = getattr(cause, "sqlstate", None) or getattr(cause, "pgcode", None)
        if code == POSTGRES_DISK_FULL:
            return True
    return False


def disk_full_response(request):
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
    return try_again_response(
        request, title=title, message=message, retry_after=RETRY_AFTER_SECONDS
    )


def log_refusal(request, exception):
    logger.error(
        "Disk full: %s %s was refused and nothing was saved (%s: %s). "
        "Free space on the data directory; no repair is needed afterwards.",
        request.method,
        request.path,
        type(exception).__name__,
        exception,
    )


class DiskFullMiddleware(MiddlewareMixin):
    """Turns a disk-full error raised by a view into `disk_full_response`, logged once.

    Other errors go on to Django's ordinary handling; one raised by another middleware (a
    session being saved, say) reaches handler500 instead (db_errors.server_error), which
    answers the same way. MiddlewareMixin keeps it usable on
    async requests, so live streams need no thread for it.
    """

    def process_exception(self, request, exception):
        if not is_disk_full(exception):
            return None
        log_refusal(request, exception)
        return disk_full_response(request)
