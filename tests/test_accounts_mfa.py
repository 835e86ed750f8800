"""Two-step sign-in: enrolment, verification, backup codes, reset, and every admin URL."""

import re

import pytest
from bs4 import BeautifulSoup
from django.core.management import call_command
from django.urls import URLPattern, URLResolver, get_resolver, resolve
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.plugins.otp_totp.models import TOTPDevice

from newsdesk.accounts import roles
from newsdesk.accounts.middleware import MFA_EXEMPT_NAMES
from newsdesk.accounts.models import BackupCode, code_digest
from tests.conftest import https_client
from tests.factories import enrol_totp, make_user, totp_code, verify_mfa

PASSWORD = "correct horse battery staple 7"
pytestmark = pytest.mark.django_db


def sign_in(username, role=roles.EDITORS):
    user = make_user(username, role)
    client = https_client()
    response = client.post("/admin/login/", {"username": username, "password": PASSWORD})
    assert response.status_code == 302
    return client, user


def test_editor_without_a_device_is_sent_to_enrol_and_enrols_with_the_qr_secret():
    client, user = sign_in("newcomer")
    response = client.get("/admin/pages/")
    assert response.status_code == 302
    assert response["Location"].startswith("/admin/mfa/setup/?next=")

    page = client.get(response["Location"])
    assert page.status_code == 200 and "no-store" in page["Cache-Control"]
    soup = BeautifulSoup(page.content, "html.parser")
    assert soup.select_one(".mfa-qr svg") is not None  # inline SVG, no outside service
    uri = soup.select_one(".mfa-uri").text
    assert uri.startswith("otpauth://totp/Newsdesk%3Anewcomer?secret=")
    device = TOTPDevice.objects.get(user=user, confirmed=False)
    secret = soup.select_one(".mfa-secret").text.replace(" ", "")
    assert secret in uri

    wrong = client.post("/admin/mfa/setup/", {"code": "000000"})
    assert wrong.status_code == 200 and not TOTPDevice.objects.filter(confirmed=True).exists()
    device.refresh_from_db()
    device.throttle_reset()
    done = client.post("/admin/mfa/setup/", {"code": totp_code(device), "next": "/admin/pages/"})
    assert done.status_code == 200 and "no-store" in done["Cache-Control"]
    codes = [
        li.text
        for li in BeautifulSoup(done.content, "html.parser").select(".mfa-backup-codes code")
    ]
    assert len(codes) == 10 and len(set(codes)) == 10
    # Only digests are stored.
    stored = set(BackupCode.objects.values_list("digest", flat=True))
    assert stored == {code_digest(code) for code in codes}
    assert not any(code in stored for code in codes)
    assert client.get("/admin/pages/").status_code == 200


def test_enrolled_editor_must_verify_after_the_password_and_the_session_key_changes():
    client, user = sign_in("regular")
    device = enrol_totp(user)
    key_after_password = client.session.session_key
    response = client.get("/desk/")
    assert response.status_code == 302
    assert response["Location"] == "/admin/mfa/verify/?next=%2Fdesk%2F"
    assert client.post("/admin/mfa/verify/", {"code": "123456"}).status_code == 200
    device.refresh_from_db()
    device.throttle_reset()
    ok = client.post("/admin/mfa/verify/", {"code": totp_code(device), "next": "/desk/"})
    assert ok.status_code == 302 and ok["Location"] == "/desk/"
    assert client.session.session_key != key_after_password
    assert client.session[DEVICE_ID_SESSION_KEY] == device.persistent_id
    assert client.get("/desk/").status_code == 200


def test_a_totp_code_works_once():
    client, user = sign_in("replayer")
    device = enrol_totp(user)
    code = totp_code(device)
    assert client.post("/admin/mfa/verify/", {"code": code}).status_code == 302
    other = https_client()
    other.post("/admin/login/", {"username": "replayer", "password": PASSWORD})
    assert other.post("/admin/mfa/verify/", {"code": code}).status_code == 200
    assert other.get("/admin/").status_code == 302


def test_backup_codes_are_single_use_and_can_be_replaced(client_for):
    client, user = client_for(roles.EDITORS)
    page = client.post("/admin/mfa/backup-codes/")
    codes = [
        li.text
        for li in BeautifulSoup(page.content, "html.parser").select(".mfa-backup-codes code")
    ]
    assert len(codes) == 10

    fresh = https_client()
    fresh.post("/admin/login/", {"username": user.username, "password": PASSWORD})
    assert fresh.post("/admin/mfa/verify/", {"code": codes[0].upper()}).status_code == 302
    again = https_client()
    again.post("/admin/login/", {"username": user.username, "password": PASSWORD})
    assert again.post("/admin/mfa/verify/", {"code": codes[0]}).status_code == 200
    assert BackupCode.objects.filter(device__user=user).count() == 9

    client.post("/admin/mfa/backup-codes/")
    assert again.post("/admin/mfa/verify/", {"code": codes[1]}).status_code == 200


def test_verify_redirects_only_to_this_site():
    client, user = sign_in("redirected")
    device = enrol_totp(user)
    response = client.post(
        "/admin/mfa/verify/", {"code": totp_code(device), "next": "https://evil.example/"}
    )
    assert response["Location"] == "/admin/"


def test_administrator_resets_mfa_in_the_admin_and_with_the_command(client_for):
    admin, _ = client_for(roles.ADMINISTRATORS, "chief")
    editor, user = client_for(roles.EDITORS, "lost-phone")
    assert admin.get("/admin/mfa/users/").status_code == 200
    # Wagtail answers a refusal in the admin with a redirect to the dashboard and a message.
    assert editor.get("/admin/mfa/users/")["Location"] == "/admin/"
    assert editor.post(f"/admin/mfa/users/{user.pk}/reset/")["Location"] == "/admin/"
    assert TOTPDevice.objects.filter(user=user).exists()
    assert admin.post(f"/admin/mfa/users/{user.pk}/reset/").status_code == 302
    assert not TOTPDevice.objects.filter(user=user).exists()
    # The verified session of the reset user is verified no longer: it must enrol again.
    assert editor.get("/admin/").status_code == 302

    enrol_totp(user)
    call_command("accounts", "reset-mfa", "lost-phone")
    assert not TOTPDevice.objects.filter(user=user).exists()


def test_contributors_need_mfa_only_when_the_setting_says_so(settings):
    client, _ = sign_in("writer", roles.CONTRIBUTORS)
    assert client.get("/admin/").status_code == 200
    settings.NEWSDESK_MFA_CONTRIBUTORS = True
    assert client.get("/admin/")["Location"].startswith("/admin/mfa/setup/")


def test_unverified_session_is_anonymous_on_reader_pages_and_the_api():
    client, _ = sign_in("half-way")
    response = client.post("/api/live/some-feed/updates", {}, content_type="application/json")
    assert response.status_code == 401


# --- Every admin and desk URL -------------------------------------------------------------

SAMPLES = {
    "int": "1",
    "str": "x",
    "slug": "x",
    "path": "x/y",
    "uuid": "00000000-0000-0000-0000-000000000000",
}


def _regex_sample(regex):
    text = regex.lstrip("^").rstrip("$").replace("\\Z", "")
    text = re.sub(r"\(\?P<\w+>\\d\+\)|\(\?P<\w+>\[0-9\]\+\)", "1", text)
    text = re.sub(r"\(\?P<\w+>[^)]*\)", "x", text)
    return text.replace("\\", "")


def walk(patterns, prefix=""):
    for entry in patterns:
        if isinstance(entry, URLResolver):
            yield from walk(entry.url_patterns, prefix + _route(entry.pattern))
        elif isinstance(entry, URLPattern):
            yield prefix + _route(entry.pattern), entry.name


def _route(pattern):
    route = str(pattern)
    if hasattr(pattern, "converters") and "<" in route and not route.startswith("^"):
        return re.sub(r"<(?:(\w+):)?\w+>", lambda m: SAMPLES.get(m.group(1) or "str", "x"), route)
    return _regex_sample(route)


def protected_urls():
    urls = set()
    for route, name in walk(get_resolver().url_patterns):
        path = "/" + route
        if path.startswith(("/admin/", "/desk/")) and name not in MFA_EXEMPT_NAMES:
            urls.add((path, name))
    return sorted(urls, key=str)


def test_the_walk_finds_the_admin_and_the_desk():
    urls = protected_urls()
    assert len(urls) > 200
    paths = {path for path, _ in urls}
    assert {"/admin/", "/desk/", "/desk/updates/1/publish/", "/admin/users/"} <= paths
    resolvable = sum(1 for path, _ in urls if _resolves(path))
    assert resolvable / len(urls) > 0.95


def _resolves(path):
    try:
        resolve(path)
    except Exception:
        return False
    return True


@pytest.mark.parametrize("role", [roles.EDITORS, roles.ADMINISTRATORS, None])
def test_every_admin_and_desk_url_refuses_a_session_without_mfa(role):
    user = make_user(f"walker-{role}".lower(), role)
    if role is None:
        user.is_superuser = True
        user.save()
    client = https_client()
    client.force_login(user)
    failures = []
    for path, name in protected_urls():
        got = client.get(path)
        if not (got.status_code in (301, 302) and "/admin/mfa/" in got.get("Location", "")):
            failures.append((path, name, "GET", got.status_code))
        posted = client.post(path, {})
        if posted.status_code != 403:
            failures.append((path, name, "POST", posted.status_code))
    assert not failures


def test_exempt_admin_urls_are_only_sign_in_sign_out_and_the_mfa_step():
    assert set(MFA_EXEMPT_NAMES) == {
        "wagtailadmin_login",
        "wagtailadmin_logout",
        "wagtailadmin_javascript_catalog",
        "wagtailadmin_sprite",
        "newsdesk_mfa_verify",
        "newsdesk_mfa_setup",
    }


def test_verified_session_reaches_the_admin(client_for):
    client, user = client_for(roles.EDITORS)
    assert client.get("/admin/").status_code == 200
    assert client.get("/desk/").status_code == 200
    verify_mfa(client, user)  # verifying again is harmless
