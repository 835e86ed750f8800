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
connects, so the first one that succeeds after an outage logs "reachable again". Django
reconnects by itself; CONN_HEALTH_CHECKS (settings.py) drops a persistent connection that
died with the server instead of failing one more request on it.
"""

import logging
import sys
import threading
import time

from django.db.backends.signals import connection_created
from django.http import HttpResponse, JsonResponse
from django.template.loader import render_to_string
from django.utils.translation import gettext as _
from django.views.defaults import server_error as django_server_error

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
    seen = set()
    while error is not None and id(error) not in seen:
        seen.add(id(error))
        if isinstance(error, psycopg.Error):
            code = error.sqlstate
            if code is None:
                # No SQLSTATE: the client library itself failed to reach or keep the server
                # (refused, reset, closed), which is what an outage looks like.
                return isinstance(error, (psycopg.OperationalError, psycopg.InterfaceError))
            return code.startswith(UNAVAILABLE_SQLSTATE_PREFIXES)
        error = error.__cause__ or error.__context__
    return False


class Outage:
    """Whether this process believes the database is down, so that it says so once."""

    def __init__(self):
        self.lock = threading.Lock()
        self.since = None
        self.refused = 0

    def failed(self, where, error):
        """Note a failure; logs only the first of an outage."""
        with self.lock:
            first = self.since is None
            if first:
                self.since = time.monotonic()
            self.refused += 1
        if first:
            logger.error(
                "Database unavailable (%s: %s), first noticed by %s. Editors get a 503 "
                "'try again' page, cached pages are still served, live streams stay open; "
                "Django reconnects by itself once the database is back.",
                type(error).__name__,
                str(error).strip().splitlines()[0] if str(error).strip() else "",
                where,
            )

    def reachable(self):
        with self.lock:
            if self.since is None:
                return
            seconds, refused = time.monotonic() - self.since, self.refused
            self.since, self.refused = None, 0
        logger.warning(
            "Database reachable again after %.1f s; %d request(s) or reads failed meanwhile.",
            seconds,
            refused,
        )

    @property
    def down(self):
        return self.since is not None


outage = Outage()


def _connected(sender, connection, **kwargs):
    if connection.alias == "default":
        outage.reachable()


connection_created.connect(_connected)


def wants_json(request):
    return request.path.startswith("/api/") or "application/json" in request.headers.get(
        "Accept", ""
    )


def database_unavailable_response(request):
    """503 with Retry-After: the condition is temporary, and clients and proxies retry 503s."""
    message = _("The database is unavailable for a moment, so nothing was saved. ")
    message += _("Try again in a few seconds.")
    if wants_json(request):
        response = JsonResponse(
            {"errors": {"__all__": [message]}},
            status=503,
            json_dumps_params={"ensure_ascii": False},
        )
    else:
        # A standalone template: it must render without the database.
        body = render_to_string("core/database_unavailable.html", {"message": message})
        response = HttpResponse(body, status=503)
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    response["Cache-Control"] = "no-store"
    # Logged once per outage by Outage; Django's request logger would log every one.
    response._has_been_logged = True
    return response


def server_error(request, template_name="500.html"):
    """handler500: a database outage answers 503; anything else is Django's own 500."""
    error = sys.exc_info()[1]
    if is_database_unavailable(error):
        outage.failed(f"{request.method} {request.path}", error)
        return database_unavailable_response(request)
    return django_server_error(request, template_name)
