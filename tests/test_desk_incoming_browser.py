"""The desk's Incoming column in Debian's Chromium, against `newsdesk serve` with its worker:
an item the worker fetches from a feed served here appears without a reload, highlighted
when it holds an alert word; the keyboard takes it through Use to a published update with
its attribution on the live page; Dismiss hides an item.
"""

import os
import signal
import subprocess
import sys
import threading

import pytest

from tests.conftest import launch_chromium
from tests.sourceserver import SourceServer
from tests.test_browser import ARTIFACTS, CHROMIUM
from tests.test_live_browser import MAKE_FEED, Server
from tests.test_server import free_port, wait_for

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(
        not CHROMIUM.exists() and not os.environ.get("CI"),
        reason="Debian's chromium is not installed (apt-get install chromium)",
    ),
]

# Run by `newsdesk shell -c`: an editor with a confirmed authenticator and a session that
# has passed the two-step check, as after signing in; prints the session key.
SIGNED_IN = """
import time
from importlib import import_module
from django.conf import settings
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
from django_otp import DEVICE_ID_SESSION_KEY
from tests.factories import enrol_totp, make_user
user = make_user("night-editor", "Editors")
device = enrol_totp(user)
session = import_module(settings.SESSION_ENGINE).SessionStore()
session[SESSION_KEY] = str(user.pk)
session[BACKEND_SESSION_KEY] = settings.AUTHENTICATION_BACKENDS[0]
session[HASH_SESSION_KEY] = user.get_session_auth_hash()
session[DEVICE_ID_SESSION_KEY] = device.persistent_id
session["newsdesk_last_seen"] = int(time.time())  # accounts/sessions.py: not idle
session.create()
print("SESSION=" + session.session_key + " NAME=" + settings.SESSION_COOKIE_NAME)
"""

FEED = """<?xml version="1.0" encoding="utf-8"?>
<rss version="2.0"><channel><title>Regional air defence</title>
<link>https://air.example.org/</link><description>Statements</description>
{items}
</channel></rss>"""

ITEM = """<item><guid>{guid}</guid><title>{title}</title><link>https://air.example.org/{guid}</link>
<description>&lt;p&gt;{text}&lt;/p&gt;</description>
<pubDate>Mon, 02 Mar 2026 21:40:00 GMT</pubDate></item>"""


def rss(*items):
    return FEED.format(items="".join(ITEM.format(**item) for item in items)).encode()


@pytest.fixture(scope="module")
def site(tmp_path_factory, migrated_sqlite):
    port = free_port()
    env = {
        **os.environ,
        "NEWSDESK_DATA_DIR": str(tmp_path_factory.mktemp("desk-data")),
        "DATABASE_URL": "",
        "REDIS_URL": "",
        "PYTHONUNBUFFERED": "1",
        "NEWSDESK_BASE_URL": f"http://127.0.0.1:{port}",
        # Plain HTTP end to end (no proxy saying HTTPS), so the browser's forms pass CSRF.
        "NEWSDESK_DEBUG": "1",
    }
    for name in ("DJANGO_SETTINGS_MODULE", "DJANGO_ALLOW_ASYNC_UNSAFE"):
        env.pop(name, None)
    site = Server(f"http://127.0.0.1:{port}", env)
    migrated_sqlite(env["NEWSDESK_DATA_DIR"])
    process = subprocess.Popen(
        [sys.executable, "-m", "newsdesk.cli", "serve", "--port", str(port)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    log = []
    threading.Thread(target=lambda: log.extend(process.stdout), daemon=True).start()
    try:
        wait_for(f"{site.url}/healthz")
        yield site
    finally:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
    errors = [line for line in log if "Traceback" in line or " ERROR " in line]
    assert not errors, "".join(log)


@pytest.fixture(scope="module")
def feeds():
    server = SourceServer().start()
    yield server
    server.stop()


def test_incoming_items_arrive_are_used_and_dismissed(site, feeds, tmp_path):
    site.python(MAKE_FEED, FEED="night", TITLE="Night of attacks", SUMMARY="Overnight.", UPDATES=[])
    site.python(
        "from newsdesk.sources.models import AlertRule\n"
        "AlertRule.objects.create(words='ballistic', sound=True)\n"
    )
    output = site.python(SIGNED_IN)
    session = output.split("SESSION=")[1].split()[0]
    cookie_name = output.split("NAME=")[1].split()[0]
    url = feeds.serve(
        "/air.xml",
        rss({"guid": "a1", "title": "Drones over the river", "text": "Air defence is at work."}),
        headers={"Content-Type": "application/rss+xml"},
    )

    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = launch_chromium(playwright)
        context = browser.new_context(viewport={"width": 1400, "height": 900})
        context.add_cookies([{"name": cookie_name, "value": session, "url": site.url}])
        page = context.new_page()
        problems = []
        page.on("pageerror", lambda error: problems.append(str(error)))
        page.on("dialog", lambda dialog: problems.append(dialog.message))
        page.goto(f"{site.url}/desk/?feed=night")
        page.wait_for_selector("[data-incoming][data-connected]", timeout=10_000)
        navigations = []
        page.on("framenavigated", lambda frame: navigations.append(frame.url))

        # The worker fetches a source added now (in another process) and the desk shows it.
        add = ["source", "add", "Air defence", "--kind", "rss", "--url", url, "--interval", "10"]
        site.manage(*add, "--verification", "official", "--allow-private")
        first = ".incoming__item:has-text('Drones over the river')"
        card = page.wait_for_selector(first, timeout=15_000)
        assert "Air defence" in card.inner_text()
        assert "incoming__item--alert" not in card.get_attribute("class")

        # A second item, with an alert word, arrives at the next poll, highlighted, on top.
        feeds.serve(
            "/air.xml",
            rss(
                {"guid": "a2", "title": "Ballistic missile threat", "text": "Take shelter."},
                {"guid": "a1", "title": "Drones over the river", "text": "Air defence is at work."},
            ),
            headers={"Content-Type": "application/rss+xml"},
        )
        alert = page.wait_for_selector(".incoming__item--alert", timeout=20_000)
        assert "Ballistic missile threat" in alert.inner_text()
        assert "ballistic" in alert.inner_text()
        assert page.locator(".incoming__headline").first.inner_text() == "Ballistic missile threat"
        assert navigations == [], "the items came without a reload"
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=ARTIFACTS / "desk-incoming.png")

        # The alert tone can be muted, for this browser.
        mute = page.locator("button.incoming__mute")
        assert mute.get_attribute("aria-pressed") == "false"
        mute.click()
        assert mute.get_attribute("aria-pressed") == "true"
        assert page.evaluate("localStorage.getItem('newsdesk:incoming-muted')") == "1"

        # Keyboard: j to the first item, u to use it; the form is prefilled; Ctrl+Enter posts.
        page.focus("input[name=headline]")
        page.keyboard.press("Alt+KeyI")  # out of the update form, to the first item
        assert page.evaluate("document.activeElement.classList.contains('incoming__item')")
        page.keyboard.press("j")
        page.keyboard.press("k")
        assert page.evaluate("document.activeElement.textContent").count("Ballistic") >= 1
        page.keyboard.press("u")
        page.wait_for_url("**/use/")
        assert page.input_value("input[name=headline]") == "Ballistic missile threat"
        assert page.input_value("input[name=source_name]") == "Air defence"
        assert page.input_value("select[name=verification]") == "official"
        page.focus("input[name=headline]")
        page.keyboard.press("Control+Enter")
        page.wait_for_url("**/desk/?feed=night")
        used = page.locator(".incoming__item:has-text('Ballistic missile threat')")
        assert "Used by night-editor in Night of attacks" in used.inner_text()

        live = context.new_page()
        live.goto(f"{site.url}/live/night/")
        update = live.locator("article.update:has-text('Ballistic missile threat')")
        assert "Air defence" in update.inner_text()
        assert live.locator("article.update a[href='https://air.example.org/a2']").count() == 1

        # Dismiss hides an item for everyone: here, and on another desk already open.
        other = context.new_page()
        other.goto(f"{site.url}/desk/?feed=night")
        other.wait_for_selector("[data-incoming][data-connected]", timeout=10_000)
        drones = ".incoming__item:has-text('Drones over the river')"
        assert other.locator(drones).count() == 1
        page.locator(f"{drones} [data-action=dismiss]").click()
        page.wait_for_load_state()
        assert page.locator(drones).count() == 0
        other.wait_for_selector(drones, state="detached", timeout=10_000)
        assert page.locator("button.incoming__mute").get_attribute("aria-pressed") == "true"
        assert problems == []
        browser.close()
