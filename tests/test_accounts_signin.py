"""Sign-in throttling, client addresses, sessions, cookies and the password policy."""

import logging

import pytest
from django.conf import settings
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.test import RequestFactory

from newsdesk.accounts import roles, throttle
from newsdesk.accounts.clientip import client_ip
from newsdesk.accounts.models import LoginThrottle
from newsdesk.accounts.sessions import LAST_SEEN_KEY
from tests.conftest import https_client
from tests.factories import make_user

PASSWORD = "correct horse battery staple 7"
pytestmark = pytest.mark.django_db


def attempt(client, username, password="wrong", **extra):
    return client.post("/admin/login/", {"username": username, "password": password}, **extra)


def test_fifth_failure_locks_for_a_minute_then_doubling_with_retry_after(client):
    make_user("target", roles.EDITORS)
    for _ in range(4):
        assert attempt(client, "target").status_code == 200
    fifth = attempt(client, "target")
    assert fifth.status_code == 429 and fifth["Retry-After"] == "60"
    # While locked even the right password is not checked.
    assert attempt(client, "target", PASSWORD).status_code == 429
    assert throttle.lock_length(6, 5).total_seconds() == 120
    assert throttle.lock_length(7, 5).total_seconds() == 240
    assert throttle.lock_length(50, 5).total_seconds() == 3600
    LoginThrottle.objects.update(locked_until=None)  # the minute has passed
    sixth = attempt(client, "target")
    assert sixth.status_code == 429 and sixth["Retry-After"] == "120"


def test_spoofed_forwarded_for_changes_nothing(client, settings):
    make_user("spoofed", roles.EDITORS)
    for number in range(5):
        attempt(client, "spoofed", HTTP_X_FORWARDED_FOR=f"198.51.100.{number}")
    assert attempt(client, "spoofed", HTTP_X_FORWARDED_FOR="198.51.100.77").status_code == 429
    assert set(LoginThrottle.objects.values_list("key", flat=True)) >= {"spoofed|127.0.0.1"}


def test_forwarded_for_is_read_from_a_trusted_proxy_only(settings):
    settings.NEWSDESK_TRUSTED_PROXIES = ["10.0.0.0/8"]
    factory = RequestFactory()

    def ip(remote, forwarded=None):
        meta = {"REMOTE_ADDR": remote}
        if forwarded:
            meta["HTTP_X_FORWARDED_FOR"] = forwarded
        return client_ip(factory.get("/", **meta))

    assert ip("203.0.113.5", "198.51.100.1") == "203.0.113.5"
    assert ip("10.0.0.2", "198.51.100.1") == "198.51.100.1"
    # The client wrote the left part; the proxy appended the real address.
    assert ip("10.0.0.2", "1.2.3.4, 198.51.100.1") == "198.51.100.1"
    assert ip("10.0.0.2", "198.51.100.1, 10.0.0.9") == "198.51.100.1"
    assert ip("10.0.0.2", "not-an-address") == "10.0.0.2"
    assert ip("::ffff:203.0.113.5") == "203.0.113.5"


def test_an_attack_from_many_addresses_does_not_lock_out_the_editor_at_a_known_address(settings):
    settings.NEWSDESK_TRUSTED_PROXIES = ["127.0.0.1"]
    make_user("reporter", roles.CONTRIBUTORS)
    desk = https_client()
    ok = attempt(desk, "reporter", PASSWORD, HTTP_X_FORWARDED_FOR="192.0.2.10")
    assert ok.status_code == 302  # 192.0.2.10 is now a known address for reporter
    attacker = https_client()
    for number in range(throttle.USERNAME_LIMIT):
        attempt(attacker, "reporter", HTTP_X_FORWARDED_FOR=f"198.51.100.{number}")
    # A new address is locked out of this name …
    assert (
        attempt(attacker, "reporter", PASSWORD, HTTP_X_FORWARDED_FOR="198.51.100.200").status_code
        == 429
    )
    # … the editor's own address is not.
    again = https_client()
    assert (
        attempt(again, "reporter", PASSWORD, HTTP_X_FORWARDED_FOR="192.0.2.10").status_code == 302
    )


def test_one_address_spraying_many_names_is_locked(settings):
    for number in range(throttle.ADDRESS_LIMIT):
        attempt(https_client(), f"name{number}")
    make_user("innocent")
    assert attempt(https_client(), "innocent", PASSWORD).status_code == 429
    assert (
        attempt(https_client(), "innocent", PASSWORD, REMOTE_ADDR="192.0.2.99").status_code == 302
    )


def test_administrator_unlocks_with_the_command(client, capsys):
    make_user("forgetful")
    for _ in range(5):
        attempt(client, "forgetful")
    call_command("accounts", "locks")
    assert "forgetful|127.0.0.1" in capsys.readouterr().out
    call_command("accounts", "unlock", "forgetful")
    assert attempt(client, "forgetful", PASSWORD).status_code == 302


def test_every_attempt_is_logged_without_the_password(client, caplog):
    make_user("logged")
    with caplog.at_level(logging.INFO, logger="newsdesk.accounts"):
        attempt(client, "logged", "hunter2-wrong-secret")
        attempt(client, "logged", PASSWORD)
    text = caplog.text
    assert "sign-in failed: username='logged' ip=127.0.0.1" in text
    assert "sign-in succeeded: username='logged' ip=127.0.0.1" in text
    assert "hunter2" not in text and PASSWORD not in text


# --- Sessions -------------------------------------------------------------------------------


def test_session_key_rotates_at_login_and_the_session_dies_at_logout(client):
    make_user("rotating", roles.CONTRIBUTORS)
    client.get("/admin/login/")
    client.session["marker"] = 1
    before = client.cookies.get(settings.SESSION_COOKIE_NAME)
    attempt(client, "rotating", PASSWORD)
    after = client.cookies[settings.SESSION_COOKIE_NAME].value
    assert before is None or before.value != after
    client.post("/admin/logout/")
    from django.contrib.sessions.models import Session

    assert not Session.objects.filter(session_key=after).exists()
    assert client.get("/admin/").status_code == 302


def test_password_change_ends_other_sessions(client_for):
    client, user = client_for(roles.CONTRIBUTORS)
    other = https_client()
    other.force_login(user)
    assert other.get("/admin/").status_code == 200
    user.set_password("another long passphrase 42")
    user.save()
    assert other.get("/admin/")["Location"].startswith("/admin/login/")


def test_idle_session_ends(client_for):
    client, _ = client_for(roles.CONTRIBUTORS)
    assert client.get("/admin/").status_code == 200
    session = client.session
    session[LAST_SEEN_KEY] -= settings.NEWSDESK_SESSION_IDLE_MINUTES * 60 + 1
    session.save()
    assert client.get("/admin/")["Location"].startswith("/admin/login/")


def test_cookies_are_secure_httponly_and_samesite(client):
    make_user("cookies")
    client.get("/admin/login/")
    response = attempt(client, "cookies", PASSWORD)
    session = response.cookies[settings.SESSION_COOKIE_NAME]
    assert session["secure"] and session["httponly"] and session["samesite"] == "Lax"
    csrf = (
        client.get("/admin/login/").cookies.get(settings.CSRF_COOKIE_NAME)
        or client.cookies[settings.CSRF_COOKIE_NAME]
    )
    assert csrf["secure"] and csrf["httponly"] and csrf["samesite"] == "Lax"
    assert settings.SESSION_COOKIE_AGE <= 12 * 3600


# --- Passwords ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "password", ["password1234", "Summer2024!!!!", "P@ssw0rd123456", "  qwertyuiop12  ", "short"]
)
def test_weak_or_breached_passwords_are_refused(password):
    with pytest.raises(ValidationError):
        validate_password(password)


@pytest.mark.parametrize(
    "password", ["rivers of dnipro at dusk", "kettle-tractor-anemone", "mariupol 2022 flood map"]
)
def test_long_unusual_passwords_are_accepted_without_composition_rules(password):
    validate_password(password)
