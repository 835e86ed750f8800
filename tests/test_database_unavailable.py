"""A database that cannot be reached answers 503 "try again" (core/db_errors.py), not a 500.

The outage is real as far as Django can tell: the default connection is swapped for a
PostgreSQL connection to a loopback port nobody listens on, so every query raises the same
OperationalError a stopped server gives. Swapped back, the same process works again.
reliability/postgres_restart.py stops a real PostgreSQL under two real servers.
"""

import logging
import socket
import sqlite3

import psycopg
import pytest
from django.db import OperationalError, connections
from django.db.utils import ConnectionHandler
from django.test import RequestFactory
from wagtail.models import APIToken

from newsdesk.accounts import roles
from newsdesk.core import db_errors
from newsdesk.core.pubsub import Outage
from newsdesk.live.models import LiveUpdate
from tests.factories import make_live_feed, make_user

pytestmark = pytest.mark.django_db

UNAVAILABLE = "The database is unavailable for a moment, so nothing was saved."


@pytest.fixture
def closed_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def database_down(closed_port):
    """While active, this thread's default connection points at a closed port."""
    original = connections["default"]
    settings = {
        "ENGINE": "django.db.backends.postgresql",
        "NAME": "newsdesk",
        "USER": "postgres",
        "HOST": "127.0.0.1",
        "PORT": closed_port,
        "OPTIONS": {"connect_timeout": 2},
    }
    unreachable = ConnectionHandler({"default": settings})["default"]

    class DatabaseDown:
        def start(self):
            connections["default"] = unreachable

        def end(self):
            connections["default"] = original

    outage = DatabaseDown()
    try:
        yield outage
    finally:
        outage.end()
        db_errors.outage.restored()


def real_connect_error(port):
    try:
        psycopg.connect(host="127.0.0.1", port=port, user="postgres", connect_timeout=2)
    except psycopg.OperationalError as error:
        return error
    raise AssertionError("something listens on the closed port")


def django_error(cause):
    try:
        raise OperationalError(str(cause)) from cause
    except OperationalError as error:
        return error


def test_what_counts_as_the_database_being_unavailable(closed_port):
    refused = real_connect_error(closed_port)
    assert db_errors.is_database_unavailable(refused)
    assert db_errors.is_database_unavailable(django_error(refused))
    assert db_errors.is_database_unavailable(psycopg.errors.AdminShutdown())  # 57P01
    assert db_errors.is_database_unavailable(psycopg.errors.CannotConnectNow())  # 57P03
    # Bugs and other failures stay 500s; a full disk has its own page (storage_errors.py).
    assert not db_errors.is_database_unavailable(psycopg.errors.UndefinedTable())
    assert not db_errors.is_database_unavailable(psycopg.errors.DiskFull())
    assert not db_errors.is_database_unavailable(sqlite3.OperationalError("no such table: x"))
    assert not db_errors.is_database_unavailable(ValueError("unrelated"))


def test_posting_api_answers_503_json_while_down_and_posts_again_after(database_down, client):
    feed = make_live_feed()
    token = APIToken.create_token(user=make_user("desk-bot", roles.EDITORS), name="t")[1]
    client.raise_request_exception = False

    def send(headline):
        return client.post(
            f"/api/live/{feed.slug}/updates",
            data={"headline": headline},
            content_type="application/json",
            headers={"Authorization": f"Bearer {token}"},
        )

    database_down.start()
    response = send("Sent while the database is down")
    database_down.end()
    assert response.status_code == 503
    assert response["Content-Type"] == "application/json"
    assert response["Retry-After"] == str(db_errors.RETRY_AFTER_SECONDS)
    assert response["Cache-Control"] == "no-store"
    assert response.json() == {
        "errors": {"__all__": [UNAVAILABLE + " Try again in a few seconds."]}
    }
    assert not LiveUpdate.objects.filter(feed=feed).exists()

    # The same process, with no restart: the database is back and the post goes through.
    assert send("Sent again").status_code == 201
    assert LiveUpdate.objects.get(feed=feed).headline == "Sent again"


def test_desk_form_answers_a_plain_503_page_while_down(database_down, client_for):
    feed = make_live_feed()
    editor, _ = client_for(roles.EDITORS)
    editor.raise_request_exception = False
    database_down.start()
    response = editor.post(
        f"/desk/?feed={feed.slug}",
        {"headline": "Bridge closed", "body": "", "publish": "publish"},
    )
    database_down.end()
    assert response.status_code == 503
    assert response["Content-Type"].startswith("text/html")
    assert response["Retry-After"] == str(db_errors.RETRY_AFTER_SECONDS)
    page = response.content.decode()
    assert "Not saved: the database is unavailable" in page
    assert UNAVAILABLE in page
    assert "Traceback" not in page and "Server Error" not in page


def test_other_errors_are_still_500s():
    request = RequestFactory().get("/news/x/")
    try:
        raise ValueError("a bug")
    except ValueError:
        response = db_errors.server_error(request)
    assert response.status_code == 500


def test_an_outage_is_logged_once_when_it_begins_and_once_when_it_ends(closed_port, caplog):
    outage = Outage("Database", "editors get a 503", logging.getLogger("newsdesk.core.db_errors"))
    error = django_error(real_connect_error(closed_port))
    with caplog.at_level(logging.WARNING, logger="newsdesk.core.db_errors"):
        outage.lost(error, where="POST /desk/")
        outage.lost(error, where="GET /desk/")
        outage.lost(error, where="live streams")
        assert outage.down
        outage.restored()
        outage.restored()
    messages = [record.getMessage() for record in caplog.records]
    assert len(messages) == 2, messages
    assert messages[0].startswith("Database unavailable (OperationalError: ")
    assert "first noticed by POST /desk/" in messages[0]
    assert messages[1].startswith("Database back after ")
    assert "3 failure(s) meanwhile" in messages[1]
    assert not outage.down
