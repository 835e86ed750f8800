"""The platform underneath: settings, secret key, database, health check, login limiting."""

import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import connection
from django.urls import reverse

from newsdesk.core.datadir import default_data_dir
from newsdesk.core.secret import load_or_create_secret_key
from tests.factories import make_user

ROOT = Path(__file__).resolve().parents[1]


def test_secret_key_is_created_once_and_private(tmp_path):
    key = load_or_create_secret_key(tmp_path)
    assert len(key) >= 50
    mode = stat.S_IMODE((tmp_path / "secret_key").stat().st_mode)
    assert mode == 0o600
    assert load_or_create_secret_key(tmp_path) == key


def test_unreadable_secret_key_is_a_clear_error(tmp_path):
    (tmp_path / "secret_key").mkdir()  # unreadable as a file, even for root
    with pytest.raises(ImproperlyConfigured, match="Cannot read the secret key file"):
        load_or_create_secret_key(tmp_path)


def test_truncated_secret_key_is_a_clear_error(tmp_path):
    (tmp_path / "secret_key").write_text("short")
    with pytest.raises(ImproperlyConfigured, match="empty or too short"):
        load_or_create_secret_key(tmp_path)


def run_newsdesk(*args, cwd, env_extra):
    env = {**os.environ, **env_extra}
    env.pop("DJANGO_SETTINGS_MODULE", None)
    return subprocess.run(
        [sys.executable, "-m", "newsdesk.cli", *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_every_process_shares_the_data_directory_and_key(tmp_path):
    """Two commands started from different folders see the same key (and so the same data)."""
    data = tmp_path / "data"
    env = {"NEWSDESK_DATA_DIR": str(data)}
    code = "from django.conf import settings; print(settings.SECRET_KEY, settings.DATA_DIR)"
    first = run_newsdesk("shell", "-c", code, cwd=tmp_path, env_extra=env)
    second = run_newsdesk("shell", "-c", code, cwd="/", env_extra=env)
    assert first.returncode == 0, first.stderr
    assert first.stdout.split()[-2:] == second.stdout.split()[-2:]
    assert first.stdout.split()[-1] == str(data)


def test_unreadable_key_file_stops_startup_with_a_message(tmp_path):
    (tmp_path / "secret_key").mkdir()
    result = run_newsdesk("check", cwd=tmp_path, env_extra={"NEWSDESK_DATA_DIR": str(tmp_path)})
    assert result.returncode != 0
    assert "Cannot read the secret key file" in result.stderr


def test_default_data_dir_is_the_checkouts_var_folder():
    assert default_data_dir() == ROOT / "var"


@pytest.mark.django_db
@pytest.mark.skipif(connection.vendor != "sqlite", reason="SQLite only")
def test_sqlite_is_durable_and_takes_the_write_lock_up_front():
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA synchronous")
        assert cursor.fetchone()[0] == 2  # FULL
    assert settings.DATABASES["default"]["OPTIONS"]["transaction_mode"] == "IMMEDIATE"


def test_sqlite_file_uses_wal(tmp_path):
    result = run_newsdesk(
        "shell",
        "-c",
        "from django.db import connection; c = connection.cursor(); "
        "c.execute('PRAGMA journal_mode'); print(c.fetchone()[0]); "
        "c.execute('PRAGMA mmap_size'); print(c.fetchone()[0])",
        cwd=tmp_path,
        env_extra={"NEWSDESK_DATA_DIR": str(tmp_path), "DATABASE_URL": ""},
    )
    assert result.stdout.split()[-2:] == ["wal", "0"], result.stderr


@pytest.mark.django_db
def test_healthz_answers_when_the_database_does(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.content == b"ok\n"
    assert "no-store" in response["Cache-Control"]


@pytest.mark.django_db
def test_healthz_reports_a_broken_database(client, monkeypatch):
    from django.db import OperationalError

    def refuse(*args, **kwargs):
        raise OperationalError("connection refused")

    monkeypatch.setattr(connection, "cursor", refuse)
    response = client.get("/healthz")
    assert response.status_code == 503
    assert b"database unavailable" in response.content


@pytest.mark.django_db
def test_healthz_works_over_plain_http_for_load_balancers():
    from django.test import Client

    assert Client().get("/healthz").status_code == 200


@pytest.mark.django_db
def test_reader_pages_redirect_plain_http_to_https():
    from django.test import Client

    response = Client().get("/")
    assert response.status_code == 301
    assert response["Location"].startswith("https://")


def test_production_cookies_are_secure():
    assert settings.SESSION_COOKIE_SECURE and settings.CSRF_COOKIE_SECURE
    assert settings.SESSION_COOKIE_HTTPONLY
    assert not settings.DEBUG


@pytest.mark.django_db
def test_login_attempts_are_limited_per_user_and_address(client):
    make_user("editor1", password="the right password 12345")  # noqa: S106
    login = reverse("wagtailadmin_login")
    for _ in range(4):
        response = client.post(login, {"username": "editor1", "password": "wrong"})
        assert response.status_code == 200
    fifth = client.post(login, {"username": "editor1", "password": "wrong"})
    assert fifth.status_code == 429
    blocked = client.post(login, {"username": "editor1", "password": "the right password 12345"})
    assert blocked.status_code == 429
    assert b"Too many sign-in attempts" in blocked.content

    # The real editor, signing in from another address, is not locked out by the attack.
    elsewhere = client.post(
        login,
        {"username": "editor1", "password": "the right password 12345"},
        REMOTE_ADDR="203.0.113.9",
    )
    assert elsewhere.status_code == 302


@pytest.mark.django_db
def test_admin_has_its_own_content_security_policy(client_for):
    client, _ = client_for("Editors")
    response = client.get("/admin/")
    assert response.status_code == 200
    assert "frame-ancestors 'self'" in response["Content-Security-Policy"]
    assert "object-src 'none'" in response["Content-Security-Policy"]


@pytest.mark.django_db
def test_unknown_host_is_refused(client):
    response = client.get("/", headers={"Host": "evil.example"})
    assert response.status_code == 400
