import contextlib
import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.cache import caches
from django.test import Client

from newsdesk.core import sites
from tests.factories import make_user, verify_mfa
from tests.s3 import location_of, use_buckets


@pytest.fixture(autouse=True)
def _media_in_tmp(settings, tmp_path):
    """Uploaded test images go to a throwaway folder, never the developer's data directory;
    on the object-storage run (NEWSDESK_MEDIA_STORAGE set), under a key prefix of the test's
    own in the run's buckets (tests/s3.py)."""
    settings.MEDIA_ROOT = tmp_path / "media"
    if settings.MEDIA_BUCKETS is not None:
        use_buckets(settings, settings.MEDIA_BUCKETS)


@pytest.fixture
def local_media(settings):
    """Media in local files even on the object-storage run: for tests of what happens on
    disk (temporary files, the media folder a backup copies)."""
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    }


@pytest.fixture(scope="session")
def seaweedfs(tmp_path_factory):
    """A SeaweedFS of the session's own (about 8 s to start), for the object-storage tests."""
    from devservers.seaweedfs import SeaweedFS

    server = SeaweedFS(tmp_path_factory.mktemp("seaweedfs")).start()
    yield server
    server.stop()


@pytest.fixture
def s3_media(settings, request):
    """Media in buckets for this test, under a prefix of its own: the run's buckets on the
    object-storage run, else the session's SeaweedFS. MEDIA_URL stays /media/ (the app's
    own view); set settings.MEDIA_URL = s3_media.public_url to send readers to the bucket."""
    if settings.MEDIA_BUCKETS is not None:
        base = settings.MEDIA_BUCKETS
    else:
        base = location_of(request.getfixturevalue("seaweedfs"))
    return use_buckets(settings, base)


@pytest.fixture(scope="session")
def migrated_sqlite(tmp_path_factory):
    """Puts a migrated SQLite database into a data directory: `migrated_sqlite(data_dir)`.
    `newsdesk migrate` runs once for the session and each call copies its database (SQLite's
    own backup, whole whatever the journal mode), for tests that start real processes on a
    data directory of their own: a migrate costs about 12 s of CPU. test_server.py still
    migrates as a user does."""
    made = tmp_path_factory.mktemp("migrated")
    env = {**os.environ, "NEWSDESK_DATA_DIR": str(made), "DATABASE_URL": ""}
    env.pop("DJANGO_SETTINGS_MODULE", None)
    command = [sys.executable, "-m", "newsdesk.cli", "migrate", "--no-input", "--verbosity", "0"]
    done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr

    def copy_into(data_dir):
        Path(data_dir).mkdir(parents=True, exist_ok=True)
        with (
            contextlib.closing(sqlite3.connect(made / "newsdesk.sqlite3")) as source,
            contextlib.closing(sqlite3.connect(Path(data_dir) / "newsdesk.sqlite3")) as copy,
        ):
            source.backup(copy)

    return copy_into


@pytest.fixture(scope="session", autouse=True)
def _postgresql_flush_by_delete():
    """On PostgreSQL, a transactional test's clean-up empties the tables with DELETE instead
    of Django's TRUNCATE: a TRUNCATE of the ~90 tables makes new files for every table and
    index (2-2.5 s a test here), a DELETE of their few rows takes about 20 ms. Django's
    foreign keys are deferred, so the order of the statements inside the flush's transaction
    does not matter. A flush that resets sequences or cascades keeps Django's own SQL."""
    if database_kind() != "postgresql":
        yield
        return
    from django.db.backends.postgresql.operations import DatabaseOperations

    truncate = DatabaseOperations.sql_flush

    def sql_flush(self, style, tables, *, reset_sequences=False, allow_cascade=False):
        if reset_sequences or allow_cascade or not tables:
            return truncate(
                self, style, tables, reset_sequences=reset_sequences, allow_cascade=allow_cascade
            )
        return ["SET CONSTRAINTS ALL DEFERRED"] + [
            f"{style.SQL_KEYWORD('DELETE FROM')} {style.SQL_FIELD(self.quote_name(table))};"
            for table in tables
        ]

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(DatabaseOperations, "sql_flush", sql_flush)
        yield


@pytest.fixture(autouse=True)
def _fresh_caches():
    """Wagtail caches renditions and site paths, and serving keeps the Site and home page
    (core/sites.py); a cached entry must not outlive its test."""
    yield
    for cache in caches.all():
        cache.clear()
    sites.forget()


@pytest.fixture(autouse=True)
def _plain_static_storage(settings):
    # The manifest storage needs `collectstatic`; tests read the source files directly.
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }


class HttpsClient(Client):
    """Production settings redirect plain HTTP to HTTPS, so tests speak HTTPS like a browser."""

    def generic(self, *args, secure=None, **kwargs):
        return super().generic(*args, secure=True, **kwargs)


def https_client():
    return HttpsClient()


@pytest.fixture
def client():
    return https_client()


@pytest.fixture
def client_for(db):
    """A logged-in test client for a new user in the given role (or a superuser).

    Users whose role requires MFA (editors, administrators) also complete the MFA step, through
    the real view with a real TOTP code, so their session is as verified as a browser's.
    """
    from newsdesk.accounts.mfa import role_requires_mfa

    def login(role, username=None):
        user = make_user(username or f"{role or 'nobody'}-user".lower(), role)
        client = https_client()
        client.force_login(user)
        if role_requires_mfa(user):
            verify_mfa(client, user)
        return client, user

    return login


CHROMIUM_FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    # Without these Chromium tries to reach Google's servers, which this network refuses.
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def launch_chromium(playwright):
    """Debian's Chromium, never a browser Playwright downloads."""
    return playwright.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_FLAGS)


@pytest.fixture(scope="module")
def browser():
    """One Debian Chromium for a test module (a module may define its own instead)."""
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"  # the ORM runs beside Playwright's loop
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = launch_chromium(playwright)
        yield browser
        browser.close()
    os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)


DATABASE_FIXTURES = {
    "db",
    "transactional_db",
    "live_server",
    "django_db_reset_sequences",
    "django_db_serialized_rollback",
}


def pytest_collection_modifyitems(config, items):
    """Marks every test that touches no database `no_database`, so the PostgreSQL run can
    leave out by marker what SQLite already proved (scripts/test.sh), and a database test
    added anywhere still runs on both. With NEWSDESK_TEST_SHARD=K/N, keeps only shard K of N
    (whole files: module fixtures start servers once; tests/durations.json evens them)."""
    for item in items:
        uses_database = item.get_closest_marker("django_db") is not None or bool(
            DATABASE_FIXTURES.intersection(getattr(item, "fixturenames", ()))
        )
        if not uses_database:
            item.add_marker(pytest.mark.no_database)
    shard = os.environ.get("NEWSDESK_TEST_SHARD")
    if shard:
        files = shard_files(sorted({item.path.name for item in items}), shard)
        kept, left = [], []
        for item in items:
            (kept if item.path.name in files else left).append(item)
        config.hook.pytest_deselected(items=left)
        items[:] = kept


DURATIONS_FILE = Path(__file__).with_name("durations.json")
"""Seconds each test file took, per database ("sqlite", "postgresql": the PostgreSQL run
leaves many tests out and pays more for others), to split a run into shards of about equal
time. Refresh it after big changes to the slow tests, once per database:
`NEWSDESK_TEST_RECORD_DURATIONS=tests/durations.json .venv/bin/pytest [-m ...]` (a stale or
missing entry only makes the shards less even: every file still runs in exactly one)."""
UNKNOWN_FILE_SECONDS = 5.0


def shard_files(file_names, shard):
    """The test files of shard "K/N": the longest first, each to the shard with the least
    time so far (the same answer in every shard's process, as they collect the same files)."""
    number, _, count = shard.partition("/")
    if not (number.isdigit() and count.isdigit() and 1 <= int(number) <= int(count)):
        raise pytest.UsageError(f"NEWSDESK_TEST_SHARD={shard!r}: expected K/N, as 1/2")
    known = read_durations(DURATIONS_FILE).get(database_kind(), {})
    by_time = sorted(file_names, key=lambda name: (-known.get(name, UNKNOWN_FILE_SECONDS), name))
    totals = [0.0] * int(count)
    members = [set() for _ in totals]
    for name in by_time:
        lightest = totals.index(min(totals))
        totals[lightest] += known.get(name, UNKNOWN_FILE_SECONDS)
        members[lightest].add(name)
    return members[int(number) - 1]


def database_kind():
    return "postgresql" if os.environ.get("DATABASE_URL", "").startswith("postgres") else "sqlite"


def read_durations(path):
    return json.loads(path.read_text()) if path.exists() else {}


_recorded: dict[str, float] = {}
"""Seconds spent per test file in this session (setup, call and teardown)."""


def pytest_runtest_logreport(report):
    if os.environ.get("NEWSDESK_TEST_RECORD_DURATIONS"):
        name = Path(report.fspath).name
        _recorded[name] = _recorded.get(name, 0.0) + report.duration


def pytest_sessionfinish(session):
    """Writes the files' times (NEWSDESK_TEST_RECORD_DURATIONS=path), keeping the entries of
    files this session did not run."""
    target = os.environ.get("NEWSDESK_TEST_RECORD_DURATIONS")
    if target and _recorded:
        path = Path(target)
        durations = read_durations(path)
        ours = durations.setdefault(database_kind(), {})
        ours.update({name: round(seconds, 1) for name, seconds in _recorded.items()})
        durations[database_kind()] = dict(sorted(ours.items()))
        path.write_text(json.dumps(dict(sorted(durations.items())), indent=1) + "\n")
