"""The database server down or restarting: a clear 503 instead of a traceback, logged once.

While PostgreSQL is stopped or restarting, every query raises OperationalError ("connection
refused", "terminating connection due to administrator command", "the database system is
starting up"). Nothing is half-saved: the transaction never committed. Editors only need to
hear that the change was not saved and that they can send it again shortly; operators need
one line when the database goes away and one when it is back, not a traceback per request.

Django turns an exception anywhere in the middleware chain into a response before an outer
middleware sees it, so the check sits in handler500 (`server_error`, named in urls.py), which
Django calls for every uncaught exception with the exception still being handled. Cached pages
never reach Django (newsdesk/pagecache/app.py), so readers keep getting them meanwhile.

Each new connection is counted (`connection_created`): with CONN_MAX_AGE 0 every request
connects, so the first one that succeeds after an outage logs "back after". Django
reconnects by itself; CONN_HEALTH_CHECKS (settings.py) drops a persistent connection that
died with the server instead of failing one more request on it.
"""

import logging
import sys

from django.db.backends.signals import connection_created
from django.utils.translation import gettext as _
from django.views.defaults import server_error as django_server_error

from newsdesk.core.pubsub import Outage
from newsdesk.core.storage_errors import disk_full_response, is_disk_full, log_refusal
from newsdesk.core.unavailable import causes, try_again_response

logger = logging.getLogger(__name__)

RETRY_AFTER_SECONDS = 10
# SQLSTATEs meaning "no usable connection": class 08 (connection exception), and the server
# shutting down, crashing or starting up (57P01-57P03). A full disk (53100) is storage_errors.
UNAVAILABLE_SQLSTATE_PREFIXES = ("08", "57P01", "57P02", "57P03")


def is_database_unavailable(error):
    """True when `error`, or an error it was raised from, says the database server cannot
    be reached (rather than a bug in a query, which must stay a 500)."""
    try:
        import psycopg
    except ImportError:  # SQLite-only installs: a local file has no server to lose
        return False
    for cause in causes(error):
        if isinstance(cause, psycopg.Error):
            code = cause.sqlstate
            if code is None:
                # No SQLSTATE: the client library itself failed to reach or keep the server
                # (refused, reset, closed), which is what an outage looks like.
                return isinstance(cause, (psycopg.OperationalError, psycopg.InterfaceError))
            return code.startswith(UNAVAILABLE_SQLSTATE_PREFIXES)
    return False


outage = Outage(
    "Database",
    "editors get a 503 'try again' page, cached pages are still served, live streams stay "
    "open; Django reconnects by itself once the database is back",
    logger,
    level=logging.ERROR,
)
"""Logs "Database unavailable" once when an outage begins and "Database back after" once
when it ends (core/pubsub.Outage)."""


def _connected(sender, connection, **kwargs):
    if connection.alias == "default":
        outage.restored()


connection_created.connect(_connected)


def database_unavailable_response(request):
    return try_again_response(
        request,
        title=_("Not saved: the database is unavailable"),
        message=_("The database is unavailable for a moment, so nothing was saved. ")
        + _("Try again in a few seconds."),
        hint=_("Go back to keep your text, and send it again in a moment."),
        retry_after=RETRY_AFTER_SECONDS,
    )


def server_error(request, template_name="500.html"):
    """handler500: a database outage or a full disk answers 503; anything else is Django's
    own 500."""
    error = sys.exc_info()[1]
    if is_database_unavailable(error):
        outage.lost(error, where=f"{request.method} {request.path}")
        return database_unavailable_response(request)
    if is_disk_full(error):
        log_refusal(request, error)
        return disk_full_response(request)
    return django_server_error(request, template_name)
