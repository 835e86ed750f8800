"""The listen player in Debian's headless Chromium, playing real audio from the real voice
through Newsdesk's own media view (byte ranges): play, skip, speed, keyboard, the block being
read, "play from here", resuming after a reload, axe's WCAG 2.2 checks, and screenshots.

Screenshots go to /tmp/player-*.png for people to look at.
"""

import os
import re
import time
from pathlib import Path

import pytest

from newsdesk.narration.templatetags.narration import clock
from tests.conftest import CHROMIUM_FLAGS
from tests.factories import ensure_site_structure, make_article, make_live_feed, paragraphs, post
from tests.test_narration_player import DISCLOSURE, narrate, narrate_briefing

CHROMIUM = Path("/usr/bin/chromium")
HTTPS = {"X-Forwarded-Proto": "https"}  # what the TLS proxy in front of production adds
DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 390, "height": 844}
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]
AUDIO = "document.querySelector('[data-player-audio]')"


def browser_test(function):
    """Headless Chromium against the live test server (so a transactional database)."""
    marks = [
        pytest.mark.browser,
        pytest.mark.django_db(transaction=True),
        pytest.mark.skipif(
            not CHROMIUM.exists() and not os.environ.get("CI"),
            reason="Debian's chromium is not installed (apt-get install chromium)",
        ),
    ]
    for mark in marks:
        function = mark(function)
    return function


STORY = [
    "Repair crews worked through the night in freezing weather to reconnect the last "
    "substation on the eastern bank, the regional energy company said on Saturday morning.",
    "By dawn, power had returned to forty-eight thousand homes, and the company expects the "
    "remaining streets in the old town to follow before the evening.",
    "Engineers found that ice had brought down two lines near the river, and a transformer "
    "had failed under the load when heating demand rose sharply after midnight.",
    "The city opened six warming centres in schools and libraries, and volunteers delivered "
    "hot meals to older residents who could not leave their flats.",
    "The mayor thanked the crews and asked residents to keep their use of electric heaters "
    "low until the repaired lines have been checked again on Sunday.",
]


@pytest.fixture(scope="module")
def narration_data_dir(tmp_path_factory):
    return tmp_path_factory.mktemp("narration-data")


@pytest.fixture(autouse=True)
def _narration_cache_for_the_module(settings, narration_data_dir):
    settings.DATA_DIR = narration_data_dir


@pytest.fixture(scope="module")
def browser():
    # Playwright's sync API runs an event loop in this thread; Django's ORM must still run
    # here for the tests' own setup.
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        # Debian's Chromium (never a downloaded one), allowed to start audio from a script.
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM),
            args=[*CHROMIUM_FLAGS, "--autoplay-policy=no-user-gesture-required"],
        )
        yield browser
        browser.close()
    os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)


@pytest.fixture
def site_media(live_server, monkeypatch):
    """Media through Newsdesk's own view, as production serves it without nginx.

    Django's live server answers /media/ itself with django.views.static.serve, which knows
    nothing of ranges, so the browser could not seek.
    """
    from django.test.testcases import _MediaFilesHandler

    monkeypatch.setattr(_MediaFilesHandler, "_should_handle", lambda handler, path: False)
    return live_server


@pytest.fixture
def listening(site_media):
    live_server = site_media
    ensure_site_structure()
    article = make_article(
        "Power returns to 48,000 homes after overnight repairs",
        standfirst="Crews restored the last substation shortly after dawn.",
        body=[
            *paragraphs(*STORY[:2]),
            ("heading", {"text": "What went wrong", "level": "h2"}),
            *paragraphs(*STORY[2:]),
        ],
    )
    narration = narrate(article)
    blocks = list(article.body)
    return {
        "url": live_server.url + article.url,
        "narration": narration,
        "starts": {timing["key"]: timing["start"] for timing in narration.timings},
        "paragraphs": [block.id for block in blocks if block.block_type == "paragraph"],
        "blocks": [block.id for block in blocks],
    }


def open_article(browser, url, *, viewport=DESKTOP, javascript=True, **options):
    context = browser.new_context(
        viewport=viewport, java_script_enabled=javascript, extra_http_headers=HTTPS, **options
    )
    page = context.new_page()
    problems = []
    page.on("console", lambda message: message.type == "error" and problems.append(message.text))
    page.on("pageerror", lambda error: problems.append(str(error)))
    assert page.goto(url, wait_until="load").status == 200
    return page, problems


def site_url(listening):
    return re.match(r"https?://[^/]+", listening["url"]).group(0)


def current_time(page):
    return page.evaluate(f"{AUDIO}.currentTime")


def wait_until(page, expression, timeout=15):
    """Poll from Python: wait_for_function evaluates strings, which the page's CSP forbids."""
    deadline = time.monotonic() + timeout
    while not page.evaluate(expression):
        assert time.monotonic() < deadline, f"timed out waiting for {expression}"
        page.wait_for_timeout(50)


def wait_for_time(page, seconds, tolerance=0.6):
    wait_until(page, f"Math.abs({AUDIO}.currentTime - {seconds}) < {tolerance}")


def play_from(key):
    return f'[data-audio-key="{key}"] .listen-from'


def wait_for_reading(page, key, attribute="audioKey"):
    wait_until(page, f"document.querySelector('.is-being-read')?.dataset.{attribute} === '{key}'")


def being_read(page):
    return page.evaluate(
        "[...document.querySelectorAll('.is-being-read')].map(e => e.dataset.audioKey)"
    )


def start_muted(page):
    page.evaluate(f"{AUDIO}.muted = true")
    page.get_by_role("button", name="Play", exact=True).click()
    wait_until(page, f"!{AUDIO}.paused && {AUDIO}.currentTime > 0.2")


def focus_style(page):
    return page.evaluate(
        "(() => { const style = getComputedStyle(document.activeElement);"
        " return [style.outlineStyle, parseFloat(style.outlineWidth)]; })()"
    )


def tab_to(page, locator, limit=40):
    """Press Tab until `locator` has the focus; fails if it takes more than `limit` presses."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        if locator.evaluate("element => element === document.activeElement"):
            style, width = focus_style(page)
            assert style != "none" and width >= 2, "focus must be visible"
            return
    raise AssertionError(f"Tab never reached {locator}")


@browser_test
def test_player_plays_skips_changes_speed_and_follows_along(browser, listening):
    page, problems = open_article(browser, listening["url"])
    player = page.locator("[data-player]")
    assert page.get_by_text(DISCLOSURE).is_visible()
    assert page.evaluate(f"{AUDIO}.controls") is False, "the custom controls replace native ones"
    assert player.get_by_role("slider", name="Position in the audio").is_visible()
    # "Play from here" waits until the reader starts listening: no extra Tab stops before.
    assert page.locator(".listen-from").count() == len(listening["blocks"])
    assert page.get_by_role("button", name=re.compile("^Play from here")).count() == 0

    start_muted(page)
    assert page.evaluate(f"{AUDIO}.readyState") >= 2
    # The real MP3 arrived and decodes to the length the narration recorded.
    assert page.evaluate(f"{AUDIO}.duration") == pytest.approx(
        listening["narration"].duration, abs=1.0
    )
    assert player.get_by_role("button", name="Pause", exact=True).is_visible()
    player.get_by_role("button", name="Pause", exact=True).click()
    assert page.evaluate(f"{AUDIO}.paused")

    before = current_time(page)
    player.get_by_role("button", name="Forward 15 seconds").click()
    wait_for_time(page, before + 15)
    player.get_by_role("button", name="Back 15 seconds").click()
    wait_for_time(page, before)

    player.get_by_label("Speed").select_option("1.5")
    assert page.evaluate(f"{AUDIO}.playbackRate") == 1.5
    assert page.evaluate(f"{AUDIO}.defaultPlaybackRate") == 1.5

    # The block being read follows the audio, wherever it is moved to.
    for key in (listening["blocks"][2], listening["paragraphs"][3], listening["paragraphs"][0]):
        page.evaluate(f"{AUDIO}.currentTime = {listening['starts'][key] + 0.5}")
        wait_for_reading(page, key)
        assert being_read(page) == [key]
        assert page.locator(".is-being-read[aria-current]").count() == 0

    # "Play from here" on the third paragraph starts the audio where that paragraph starts.
    assert page.get_by_role("button", name=re.compile("^Play from here")).count() == len(
        listening["blocks"]
    )
    third = listening["paragraphs"][2]
    block = page.locator(f'[data-audio-key="{third}"]')
    block.hover()
    button = page.locator(play_from(third))
    opacity = f"getComputedStyle(document.querySelector('{play_from(third)}')).opacity"
    wait_until(page, f"{opacity} === '1'")
    assert button.get_attribute("aria-label") is None
    assert button.inner_text().startswith("Play from here: Engineers found")
    button.click()
    wait_until(page, f"!{AUDIO}.paused")
    assert current_time(page) == pytest.approx(listening["starts"][third], abs=1.0)
    assert being_read(page) == [third]
    assert problems == [], problems  # includes Content-Security-Policy violations
    page.context.close()


@browser_test
def test_keyboard_alone_operates_the_player(browser, listening):
    page, problems = open_article(browser, listening["url"])
    page.evaluate(f"{AUDIO}.muted = true")

    player = page.locator("[data-player]")
    tab_to(page, player.get_by_role("button", name="Play", exact=True))
    page.keyboard.press("Space")
    wait_until(page, f"!{AUDIO}.paused && {AUDIO}.currentTime > 0.2")
    page.keyboard.press("Enter")
    wait_until(page, f"{AUDIO}.paused")
    before = current_time(page)

    tab_to(page, player.get_by_role("button", name="Back 15 seconds"), limit=1)
    tab_to(page, player.get_by_role("button", name="Forward 15 seconds"), limit=1)
    page.keyboard.press("Enter")
    wait_for_time(page, before + 15)

    tab_to(page, player.get_by_role("slider", name="Position in the audio"), limit=1)
    start = int(current_time(page))
    page.keyboard.press("ArrowRight")
    page.keyboard.press("ArrowRight")
    wait_for_time(page, start + 2, tolerance=0.1)
    valuetext = page.locator("[data-seek]").get_attribute("aria-valuetext")
    assert re.fullmatch(r"0:\d\d of 1:\d\d", valuetext), valuetext

    tab_to(page, player.get_by_label("Speed"), limit=1)
    page.keyboard.press("ArrowDown")
    wait_until(page, f"{AUDIO}.playbackRate === 1.25")

    # The "play from here" buttons come next in the body, one Tab each, and show on focus.
    first = listening["paragraphs"][0]
    tab_to(page, page.locator(play_from(first)), limit=3)
    assert page.get_by_role("button", name="Play from here: Repair crews worked").count() == 1
    page.keyboard.press("Enter")
    wait_until(page, f"!{AUDIO}.paused")
    assert current_time(page) == pytest.approx(listening["starts"][first], abs=1.0)
    assert problems == [], problems
    page.context.close()


@browser_test
def test_position_is_remembered_and_offered_after_reload(browser, listening):
    page, problems = open_article(browser, listening["url"])
    start_muted(page)
    third = listening["paragraphs"][2]
    stopped = listening["starts"][third] + 3
    page.evaluate(f"{AUDIO}.currentTime = {stopped}")
    wait_for_time(page, stopped)
    page.get_by_role("button", name="Pause", exact=True).click()
    wait_until(page, f"{AUDIO}.paused")
    stopped = current_time(page)

    page.reload(wait_until="load")
    page.evaluate(f"{AUDIO}.muted = true")
    assert current_time(page) == 0, "nothing plays or moves by itself"
    resume = page.get_by_role("button", name=f"Resume from {clock(stopped)}")
    assert resume.is_visible()
    page.locator(".listen").screenshot(path="/tmp/player-resume.png")
    resume.focus()
    page.keyboard.press("Enter")
    wait_until(page, f"!{AUDIO}.paused")
    assert current_time(page) == pytest.approx(stopped, abs=1.0)
    assert not resume.is_visible(), "the offer goes once the reader is listening"
    pause = page.get_by_role("button", name="Pause", exact=True)
    assert pause.evaluate("e => e === document.activeElement"), "focus stays in the player"

    # A re-narrated article has a new file: resume at the start of the block the reader was in.
    # (Leave first: the article page saves its own position as it goes.)
    page.goto(site_url(listening) + "/", wait_until="load")
    page.evaluate(
        "(() => { const key = Object.keys(localStorage).find(k => k.startsWith('newsdesk:listen:')"
        " && k !== 'newsdesk:listen:speed'); const saved = JSON.parse(localStorage[key]);"
        " saved.src = '/media/narration/older.mp3'; saved.time = 2;"
        f" saved.key = '{third}'; localStorage[key] = JSON.stringify(saved); }})()"
    )
    page.goto(listening["url"], wait_until="load")
    start = listening["starts"][third]
    assert page.get_by_role("button", name=f"Resume from {clock(start)}").is_visible()
    assert problems == [], problems
    page.context.close()


@browser_test
def test_without_javascript_the_native_player_and_disclosure_remain(browser, listening):
    page, _ = open_article(browser, listening["url"], javascript=False)
    audio = page.locator("audio")
    assert audio.is_visible()
    assert audio.get_attribute("controls") is not None
    assert page.locator("[data-player-controls]").is_hidden()
    assert page.get_by_text(DISCLOSURE).is_visible()
    assert page.locator(".listen__length").inner_text().endswith("min listen")
    page.locator(".listen").screenshot(path="/tmp/player-no-javascript.png")
    page.context.close()


@browser_test
@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_article_with_player_passes_axe_and_is_photographed(browser, listening, scheme):
    """axe-core's WCAG 2.2 A/AA rules, before and while listening; screenshots to /tmp."""
    from axe_playwright_python.sync_playwright import Axe

    options = {"runOnly": {"type": "tag", "values": AXE_TAGS}}
    found = {}
    for name, viewport in (("desktop", DESKTOP), ("phone", PHONE)):
        # Playwright injects axe-core with a script tag, which the CSP rightly forbids.
        page, _ = open_article(
            browser, listening["url"], viewport=viewport, color_scheme=scheme, bypass_csp=True
        )
        results = Axe().run(page, options=options)
        if results.violations_count:
            found[f"{name}, before playing"] = results.generate_report()
        start_muted(page)
        second = listening["paragraphs"][1]
        page.evaluate(f"{AUDIO}.currentTime = {listening['starts'][second] + 1}")
        wait_for_reading(page, second)
        page.get_by_role("button", name="Pause", exact=True).click()
        page.locator(f'[data-audio-key="{listening["paragraphs"][2]}"]').hover()
        results = Axe().run(page, options=options)
        if results.violations_count:
            found[f"{name}, listening"] = results.generate_report()
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
        page.locator(".listen").scroll_into_view_if_needed()
        page.evaluate("window.scrollBy(0, -80)")
        page.screenshot(path=f"/tmp/player-{name}-{scheme}.png")
        if name == "desktop":
            page.screenshot(path=f"/tmp/player-{scheme}.png", full_page=True)
        page.context.close()
    assert not found, "\n\n".join(f"{name}:\n{report}" for name, report in found.items())


@browser_test
def test_live_briefing_player_highlights_the_key_event_being_read(browser, site_media):
    ensure_site_structure()
    feed = make_live_feed("Storm over the coast")
    first = post(feed, "Dam gates opened at the reservoir", is_key_event=True)
    second = post(feed, "Evacuation ordered in three districts", is_key_event=True)
    briefing = narrate_briefing(feed)
    starts = {timing["key"]: timing["start"] for timing in briefing.timings}
    page, _ = open_article(browser, site_media.url + feed.url)
    player = page.locator("[data-player]")
    assert player.get_by_text("Listen: the latest key events").is_visible()
    assert player.get_by_text(DISCLOSURE).is_visible()
    start_muted(page)
    for update in (second, first):
        page.evaluate(f"{AUDIO}.currentTime = {starts[f'update-{update.pk}-body'] + 0.2}")
        key = f"update-{update.pk}"
        wait_for_reading(page, key, "keyFor")
    page.get_by_role("button", name="Pause", exact=True).click()
    assert (
        page.locator(f'.key-events li[data-key-for="update-{first.pk}"].is-being-read').count() == 1
    )
    assert page.locator(".listen-from").count() == 0
    page.screenshot(path="/tmp/player-live-light.png")
    page.context.close()
