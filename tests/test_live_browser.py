"""A live feed in a real browser, served as in production: `newsdesk serve` (uvicorn, ASGI),
because the Server-Sent Events stream needs it, and updates posted from other processes.

Screenshots land in test-artifacts/ for people to look at.
"""

import json
import os
import re
import signal
import subprocess
import sys
import threading
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from tests.conftest import launch_chromium
from tests.test_browser import ARTIFACTS, CHROMIUM, VIEWPORTS
from tests.test_server import free_port, wait_for

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(
        not CHROMIUM.exists() and not os.environ.get("CI"),
        reason="Debian's chromium is not installed (apt-get install chromium)",
    ),
]

HTTPS = {"X-Forwarded-Proto": "https"}

# Run by `newsdesk shell -c` with FEED (slug), TITLE and UPDATES (a list of field dicts,
# oldest first, with `minutes_ago`); prints the ids of the posted updates as JSON.
MAKE_FEED = """
import json
from datetime import timedelta
from django.utils import timezone
from newsdesk.live.actions import correct_update, post_update
from newsdesk.live.models import LiveFeedPage, LiveIndexPage

index = LiveIndexPage.objects.get()
feed = LiveFeedPage(title=TITLE, slug=FEED, live=False, summary=SUMMARY,
                    coverage_start=timezone.now() - timedelta(hours=30))
index.add_child(instance=feed)
feed.save_revision().publish()
now = timezone.now()
ids = []
for fields in UPDATES:
    fields = dict(fields)
    published_at = now - timedelta(minutes=fields.pop("minutes_ago"))
    correction = fields.pop("correction", None)
    update = post_update(feed, published_at=published_at, **fields)
    if correction:
        correct_update(update, text=correction)
    ids.append(update.pk)
print("IDS=" + json.dumps(ids))
"""

SHOWCASE = [
    {
        "minutes_ago": 26 * 60,
        "headline": "Evacuation ordered for low-lying districts of Zatoka",
        "body": "<p>Residents of three districts must leave by 6 p.m. Buses leave the central "
        "station every 20 minutes.</p>",
        "source_name": "Regional military administration",
        "source_channel": "Telegram",
        "source_url": "https://t.me/example/1",
        "verification": "official",
        "is_key_event": True,
    },
    {
        "minutes_ago": 180,
        "headline": "Power cut to 48,000 homes",
        "body": "<p>The grid operator says repairs cannot start until the wind drops.</p>",
        "source_name": "Grid operator",
        "verification": "confirmed",
    },
    {
        "minutes_ago": 120,
        "headline": "Reports of a collapsed bridge near Vylkove",
        "body": "<p>Videos shared online appear to show the bridge partly under water.</p>",
        "source_name": "Local residents",
        "source_channel": "social media",
        "verification": "unverified",
    },
    {
        "minutes_ago": 90,
        "headline": "Mayor disputes the ministry's casualty figures",
        "body": "<p>The mayor said the figure given in the morning briefing was too high.</p>",
        "source_name": "Mayor's office",
        "verification": "disputed",
    },
    {
        "minutes_ago": 60,
        "headline": "Dam breach report withdrawn",
        "body": "<p>The emergency service says the dam at Kurortne is holding.</p>",
        "source_name": "State emergency service",
        "verification": "retracted",
        "correction": "An earlier version of this update said the dam had burst. It has not.",
    },
    {
        "minutes_ago": 40,
        "headline": "What we know so far",
        "body": "<ul><li>Three districts evacuated</li><li>48,000 homes without power</li></ul>",
        "is_pinned": True,
    },
    {
        "minutes_ago": 10,
        "headline": "Wind reaches 140 km/h at the port",
        "body": "<p>The strongest gusts since records began in 1961.</p>",
        "source_name": "Hydrometeorological centre",
        "verification": "official",
        "is_key_event": True,
    },
]


class Server:
    def __init__(self, url, env):
        self.url, self.env = url, env

    def manage(self, *args):
        """Run a `newsdesk` command in a process of its own, as an editor's script would."""
        result = subprocess.run(
            [sys.executable, "-m", "newsdesk.cli", *args],
            env=self.env,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert result.returncode == 0, result.stdout + result.stderr
        return result.stdout

    def python(self, code, **names):
        prelude = "".join(f"{name} = {value!r}\n" for name, value in names.items())
        return self.manage("shell", "-c", prelude + code)

    def make_feed(self, slug, updates, title="Storm Olena hits the southern coast"):
        summary = "Flooding, power cuts and evacuations as the strongest storm in a decade "
        summary += "makes landfall."
        output = self.python(MAKE_FEED, FEED=slug, TITLE=title, SUMMARY=summary, UPDATES=updates)
        return json.loads(re.search(r"^IDS=(.*)$", output, re.MULTILINE).group(1))

    def post(self, slug, headline, *extra):
        output = self.manage("post-update", slug, "--headline", headline, *extra)
        return int(re.search(r"id=(\d+)", output).group(1))

    def change(self, update_id, call):
        """Edit or delete an update through newsdesk.live.actions, e.g. call="delete_update(u)"."""
        code = (
            "from newsdesk.live.actions import delete_update, edit_update\n"
            "from newsdesk.live.models import LiveUpdate\n"
            f"u = LiveUpdate.objects.get(pk={update_id})\n{call}\n"
        )
        self.python(code)


@pytest.fixture(scope="module")
def server(tmp_path_factory, migrated_sqlite):
    port = free_port()
    env = {
        **os.environ,
        "NEWSDESK_DATA_DIR": str(tmp_path_factory.mktemp("live-data")),
        "DATABASE_URL": "",
        "PYTHONUNBUFFERED": "1",
        "NEWSDESK_BASE_URL": f"http://127.0.0.1:{port}",
    }
    for name in ("DJANGO_SETTINGS_MODULE", "NEWSDESK_DEBUG", "DJANGO_ALLOW_ASYNC_UNSAFE"):
        env.pop(name, None)
    site = Server(f"http://127.0.0.1:{port}", env)
    migrated_sqlite(env["NEWSDESK_DATA_DIR"])
    process = subprocess.Popen(
        [sys.executable, "-m", "newsdesk.cli", "serve", "--port", str(port), "--no-worker"],
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
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = launch_chromium(playwright)
        yield browser
        browser.close()


@pytest.fixture(scope="module")
def showcase(server):
    """A feed with a key event, a pinned update, every verification label and a correction."""
    ARTIFACTS.mkdir(exist_ok=True)
    ids = server.make_feed("storm", SHOWCASE)
    return {"slug": "storm", "url": f"{server.url}/live/storm/", "ids": ids}


def open_live(browser, url, *, viewport="desktop", javascript=True, **context_options):
    """Open a live page; with JavaScript, wait until its event stream is connected."""
    context = browser.new_context(
        viewport=VIEWPORTS[viewport],
        java_script_enabled=javascript,
        extra_http_headers=HTTPS,
        **context_options,
    )
    page = context.new_page()
    problems = []
    page.on("console", lambda message: message.type == "error" and problems.append(message.text))
    page.on("pageerror", lambda error: problems.append(str(error)))
    if javascript:
        with page.expect_response(lambda response: "/events" in response.url, timeout=10_000):
            response = page.goto(url, wait_until="load")
    else:
        response = page.goto(url, wait_until="load")
    assert response.status == 200
    return page, problems


def timeline_headlines(page):
    return page.locator("[data-timeline] .update__headline").all_inner_texts()


def test_new_update_appears_without_reload(server, browser):
    server.make_feed("arrivals", [{"minutes_ago": 5, "headline": "Rain eases in the north"}])
    page, problems = open_live(browser, f"{server.url}/live/arrivals/", viewport="phone")
    # Note when each update first appears; its data-published is when it was posted.
    page.evaluate(
        """() => {
            window.seen = {};
            new MutationObserver(() => document.querySelectorAll("article.update").forEach(
                el => { window.seen[el.id] ??= Date.now(); })
            ).observe(document.body, {childList: true, subtree: true});
        }"""
    )
    navigations = []
    page.on("framenavigated", lambda frame: navigations.append(frame.url))

    new_id = server.post("arrivals", "Ferry service suspended", "--key-event")

    update = page.wait_for_selector(f"#update-{new_id}", timeout=5_000)
    assert "Ferry service suspended" in update.inner_text()
    latency_ms = page.evaluate(
        "id => window.seen[id] - Date.parse(document.getElementById(id).dataset.published)",
        f"update-{new_id}",
    )
    print(f"\npublish-to-screen latency: {latency_ms:.0f} ms (SQLite, no pub/sub: broker polls)")
    assert latency_ms < 5_000
    assert timeline_headlines(page)[0] == "Ferry service suspended"  # newest first
    assert page.locator("[data-key-events]").inner_text().endswith("Ferry service suspended")
    page.wait_for_function(
        "() => document.querySelector('[data-announcer]').textContent.includes('Ferry service')",
        timeout=5_000,
    )
    assert "New update: Ferry service suspended" in page.inner_text("[data-announcer]")
    assert not page.title().startswith("(")  # visible and shown: nothing unseen
    assert navigations == []  # no reload
    assert problems == [], problems
    page.context.close()


def test_reader_who_scrolled_down_gets_a_button_instead(server, browser):
    many = [
        {"minutes_ago": 200 - n * 5, "headline": f"Update number {n}", "body": "<p>Text.</p>" * 3}
        for n in range(30)
    ]
    server.make_feed("long-night", many)
    page, problems = open_live(browser, f"{server.url}/live/long-night/")
    title = page.title()
    page.evaluate("window.scrollTo(0, 2500)")
    page.wait_for_function("() => window.scrollY >= 2500")
    anchor = page.locator(
        "#"
        + page.evaluate(
            """() => [...document.querySelectorAll('article.update')]
              .find(el => el.getBoundingClientRect().top > 0).id"""
        )
    )
    top_before = anchor.evaluate("el => el.getBoundingClientRect().top")

    new_id = server.post("long-night", "Curfew lifted at dawn")

    button = page.wait_for_selector(
        "[data-new-updates]:not([hidden]) [data-show-new]", timeout=5_000
    )
    assert button.inner_text().strip().endswith("1 new update")
    assert button.is_visible()  # sticky: at the top of the viewport, where the reader is
    assert 0 <= button.evaluate("el => el.getBoundingClientRect().top") < 100
    assert page.locator(f"#update-{new_id}").count() == 0  # held back: nothing moved
    assert anchor.evaluate("el => el.getBoundingClientRect().top") == top_before
    assert page.title() == f"(1) {title}"
    page.screenshot(path=ARTIFACTS / "live-new-updates.png")

    button.click()
    page.wait_for_selector(f"#update-{new_id}", timeout=2_000)
    assert timeline_headlines(page)[0] == "Curfew lifted at dawn"
    assert page.locator("[data-new-updates]").is_hidden()
    assert page.title() == title
    page.wait_for_function(
        "() => Math.abs(document.querySelector('[data-timeline]')"
        ".getBoundingClientRect().top) < 50",
        timeout=3_000,
    )
    assert page.evaluate("document.activeElement.id") == f"update-{new_id}"
    assert problems == [], problems
    page.context.close()


def test_hidden_tab_counts_new_updates_in_its_title(server, browser):
    server.make_feed("background", [{"minutes_ago": 5, "headline": "Wind drops"}])
    page, problems = open_live(browser, f"{server.url}/live/background/")
    title = page.title()
    set_hidden = """hidden => {
        Object.defineProperty(document, "hidden", {value: hidden, configurable: true});
        document.dispatchEvent(new Event("visibilitychange"));
    }"""
    page.evaluate(set_hidden, True)  # the reader switched to another tab
    first = server.post("background", "Schools closed tomorrow")
    page.wait_for_selector(f"#update-{first}", timeout=5_000)
    assert page.title() == f"(1) {title}"
    second = server.post("background", "Trams running again")
    page.wait_for_selector(f"#update-{second}", timeout=5_000)
    assert page.title() == f"(2) {title}"
    page.evaluate(set_hidden, False)  # and came back
    assert page.title() == title
    assert problems == [], problems
    page.context.close()


def test_edits_replace_in_place_and_deletions_disappear(server, browser):
    ids = server.make_feed(
        "edits",
        [
            {"minutes_ago": 30, "headline": "Bridge closed", "is_key_event": True},
            {"minutes_ago": 20, "headline": "Shelter opens at school No. 4"},
            {"minutes_ago": 10, "headline": "Trains delayed"},
        ],
    )
    bridge, shelter, trains = ids
    page, problems = open_live(browser, f"{server.url}/live/edits/")

    server.change(shelter, "edit_update(u, headline='Shelter opens at school No. 5')")
    page.wait_for_function(
        f"() => document.querySelector('#update-{shelter} h3').textContent.includes('No. 5')",
        timeout=5_000,
    )
    assert timeline_headlines(page) == [
        "Trains delayed",
        "Shelter opens at school No. 5",
        "Bridge closed",
    ]  # in place, not moved to the top

    server.change(bridge, "edit_update(u, headline='Bridge reopened')")
    page.wait_for_function(
        "() => document.querySelector('[data-key-events]').textContent.includes('Bridge reopened')",
        timeout=5_000,
    )

    server.change(trains, "delete_update(u)")
    page.wait_for_selector(f"#update-{trains}", state="detached", timeout=5_000)
    server.change(bridge, "delete_update(u)")
    page.wait_for_selector(f"#update-{bridge}", state="detached", timeout=5_000)
    assert page.locator("[data-key-events]").count() == 0  # its only entry went with it
    assert timeline_headlines(page) == ["Shelter opens at school No. 5"]
    assert problems == [], problems
    page.context.close()


def test_time_zone_toggle_shows_the_readers_local_time(server, browser, showcase):
    page, problems = open_live(browser, showcase["url"], timezone_id="America/New_York")
    update_id = showcase["ids"][1]  # "Power cut", three hours ago
    stamp = page.locator(f"#update-{update_id} .update__time time")
    newsroom_text = stamp.inner_text()
    moment = datetime.fromisoformat(stamp.get_attribute("datetime"))
    assert newsroom_text == f"{moment:%-I:%M %p}"  # Django's "g:i A" in the newsroom's zone

    toggle = page.locator("[data-zone-toggle]")
    assert toggle.is_visible()
    toggle.click()
    local = moment.astimezone(ZoneInfo("America/New_York"))
    shown = " ".join(stamp.inner_text().split())  # Intl uses a narrow no-break space
    assert shown.endswith(f"{local:%-I:%M %p}"), (shown, local)
    assert "America/New_York" in page.inner_text("[data-zone-label]")
    assert toggle.get_attribute("aria-pressed") == "true"

    toggle.click()
    assert stamp.inner_text() == newsroom_text
    assert "Kyiv time" in page.inner_text("[data-zone-label]")
    assert problems == [], problems
    page.context.close()


def test_page_lists_the_updates_without_javascript(browser, showcase):
    page, _ = open_live(browser, showcase["url"], viewport="phone", javascript=False)
    assert page.locator("article.update").count() == len(SHOWCASE)
    assert page.locator(".live__pinned .update__headline").inner_text() == "What we know so far"
    assert timeline_headlines(page)[0] == "Wind reaches 140 km/h at the port"
    assert page.locator("[data-zone-toggle]").is_hidden()
    assert page.locator("[data-new-updates]").is_hidden()
    page.context.close()


def test_falls_back_to_polling_when_the_stream_is_blocked(server, browser):
    """A proxy that answers the event stream with an error: the page polls updates.json."""
    server.make_feed("behind-proxy", [{"minutes_ago": 5, "headline": "Roads flooded"}])
    context = browser.new_context(viewport=VIEWPORTS["desktop"], extra_http_headers=HTTPS)
    page = context.new_page()
    page.route("**/events*", lambda route: route.fulfill(status=502, body="Bad gateway"))
    polls = []
    page.on("request", lambda request: "updates.json" in request.url and polls.append(request))
    page.goto(f"{server.url}/live/behind-proxy/", wait_until="load")
    new_id = server.post("behind-proxy", "Second bridge closed")
    page.wait_for_selector(f"#update-{new_id}", timeout=8_000)
    assert polls and "after=" in polls[0].url
    assert len(page.locator(f"#update-{new_id}").all()) == 1
    context.close()


def test_goes_back_to_the_stream_after_polling(server, browser):
    """A 502 for the stream (a failover, Pushpin restarting) must not leave the page polling for
    good: it tries the stream again later, and stops polling once the stream is back."""
    server.make_feed("after-failover", [{"minutes_ago": 5, "headline": "Ferry resumes"}])
    context = browser.new_context(viewport=VIEWPORTS["desktop"], extra_http_headers=HTTPS)
    page = context.new_page()
    page.clock.install()
    blocked = [True]

    def events(route):
        if blocked[0]:
            route.fulfill(status=502, body="Bad gateway")
        else:
            route.continue_()

    page.route("**/events*", events)
    polls = []
    page.on("request", lambda request: "updates.json" in request.url and polls.append(request))
    with page.expect_request(lambda request: "updates.json" in request.url):
        page.goto(f"{server.url}/live/after-failover/", wait_until="load")

    blocked[0] = False
    with page.expect_response(lambda r: "/events" in r.url and r.status == 200, timeout=10_000):
        page.clock.run_for(60_000)  # the first retry comes 15 to 45 s after the fallback
    polls_when_back = len(polls)
    page.clock.run_for(30_000)  # polling would have asked again every 5 s
    assert len(polls) == polls_when_back

    new_id = server.post("after-failover", "Second crossing reopens")
    page.wait_for_selector(f"#update-{new_id}", timeout=8_000)
    assert len(page.locator(f"#update-{new_id}").all()) == 1
    context.close()


MAKE_ARTICLE = """
from newsdesk.live.models import LiveFeedPage
from tests.factories import make_article
article = make_article(TITLE, live_feed=LiveFeedPage.objects.get(slug=FEED))
print("URL=" + article.url)
"""


def test_a_feed_embedded_in_an_article_follows_the_feed_and_stays_short(server, browser):
    """Under an article, the feed's latest four updates, kept current by the live page's
    script over the same event stream; the oldest drops off as a new one arrives."""
    updates = [{"minutes_ago": 60 - n, "headline": f"Update number {n}"} for n in range(6)]
    updates.append({"minutes_ago": 30, "headline": "What we know", "is_pinned": True})
    server.make_feed("embedded", updates)
    output = server.python(MAKE_ARTICLE, FEED="embedded", TITLE="Flood defences hold")
    url = server.url + re.search(r"^URL=(.*)$", output, re.MULTILINE).group(1)
    page, problems = open_live(browser, url, viewport="phone")
    embed = page.locator(".article-live")

    def headlines():
        return embed.locator(".update__headline").all_inner_texts()

    assert headlines() == [f"Update number {n}" for n in (5, 4, 3, 2)]  # not the pinned one
    new_id = server.post("embedded", "Dam gates opened")
    page.wait_for_selector(f".article-live #update-{new_id}", timeout=5_000)
    assert headlines() == ["Dam gates opened", *(f"Update number {n}" for n in (5, 4, 3))]
    assert page.locator(f"#update-{new_id} .update__headline").evaluate("h => h.tagName") == "H4"
    # A change to the pinned update (never in the embed) does not bring it in.
    pinned = server.post("embedded", "Shelters open", "--pinned")
    after = server.post("embedded", "Pumps arrive")  # events come in order: the pin came first
    page.wait_for_selector(f".article-live #update-{after}", timeout=5_000)
    assert page.locator(f"#update-{pinned}").count() == 0
    # The earlier pinned update was unpinned by the new pin: it joins the timeline by its time.
    followed = ["Pumps arrive", "Dam gates opened", "What we know", "Update number 5"]
    assert headlines() == followed
    assert page.locator(".article-live .key-events, .article-live .live__pinned").count() == 0
    height = embed.evaluate("section => section.getBoundingClientRect().height")
    assert height < 2_500, f"the embedded feed is {height:.0f} px tall"
    assert problems == [], problems
    page.screenshot(path=ARTIFACTS / "article-live-embed-phone.png", full_page=True)
    page.reload(wait_until="load")
    assert headlines() == followed  # what the server renders now
    page.context.close()


def test_the_front_page_follows_running_feeds_without_reload(server, browser):
    """The front page's live box: each running feed's latest three headlines, kept current
    over the feed's own event stream; a new one comes in on top and the oldest drops off."""
    updates = [{"minutes_ago": 40 - n, "headline": f"Front update {n}"} for n in range(4)]
    server.make_feed("front", updates)
    context = browser.new_context(viewport=VIEWPORTS["desktop"], extra_http_headers=HTTPS)
    page = context.new_page()
    problems = []
    page.on("pageerror", lambda error: problems.append(str(error)))
    navigations = []
    with page.expect_response(lambda r: "/live/front/events" in r.url, timeout=10_000):
        page.goto(server.url + "/", wait_until="load")
    page.on("framenavigated", lambda frame: navigations.append(frame.url))
    box = page.locator(".home-live__feed", has=page.locator('a[href="/live/front/"]'))

    def headlines():
        return box.locator(".update__headline").all_inner_texts()

    assert headlines() == ["Front update 3", "Front update 2", "Front update 1"]
    new_id = server.post("front", "Bridge reopens to traffic")
    page.wait_for_selector(f".home-live #update-{new_id}", timeout=5_000)
    assert headlines() == ["Bridge reopens to traffic", "Front update 3", "Front update 2"]
    link = box.locator(f"#update-{new_id} a")
    assert link.get_attribute("href") == f"/live/front/#update-{new_id}"
    assert re.fullmatch(r"\d{1,2}:\d{2}\s?[AP]M", link.locator("time").inner_text())
    page.wait_for_function(
        "() => [...document.querySelectorAll('.home-live [data-announcer]')]"
        ".some(region => region.textContent.includes('Bridge reopens'))",
        timeout=5_000,
    )
    server.change(new_id, "edit_update(u, headline='Bridge reopens to cars and buses')")
    page.wait_for_function(
        f"() => document.querySelector('#update-{new_id}').textContent.includes('cars and buses')",
        timeout=5_000,
    )
    assert navigations == []
    assert problems == [], problems
    page.screenshot(path=ARTIFACTS / "home-live-box.png", full_page=True)
    context.close()


@pytest.mark.parametrize("viewport_name", ["phone", "desktop"])
def test_live_page_screenshots(browser, showcase, viewport_name):
    page, problems = open_live(browser, showcase["url"], viewport=viewport_name)
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    assert problems == [], problems
    page.screenshot(path=ARTIFACTS / f"live-{viewport_name}.png", full_page=True)
    page.context.close()


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_live_page_passes_axe_wcag_checks(browser, showcase, scheme):
    from axe_playwright_python.sync_playwright import Axe

    context = browser.new_context(
        viewport=VIEWPORTS["desktop"],
        color_scheme=scheme,
        bypass_csp=True,  # Playwright injects axe-core with a script tag
        extra_http_headers=HTTPS,
    )
    page = context.new_page()
    page.goto(showcase["url"], wait_until="load")
    options = {
        "runOnly": {
            "type": "tag",
            "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"],
        }
    }
    results = Axe().run(page, options=options)
    context.close()
    assert not results.violations_count, results.generate_report()
