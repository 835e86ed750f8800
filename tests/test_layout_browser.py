"""The front page's lead beside a running live feed, in Debian's Chromium (every page at
every width: tests/test_reader_pages_browser.py).

Screenshots land in test-artifacts/ for people to look at.
"""

import os

import pytest

from tests.factories import (
    ensure_site_structure,
    make_article,
    make_author,
    make_live_feed,
    make_topic,
    paragraphs,
    post,
)
from tests.test_browser import ARTIFACTS, CHROMIUM

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        not CHROMIUM.exists() and not os.environ.get("CI"),
        reason="Debian's chromium is not installed (apt-get install chromium)",
    ),
]

LEAD_TITLE = "Zelenobrid's central library reopens with a basement reading room"


@pytest.fixture
def site(live_server):
    ARTIFACTS.mkdir(exist_ok=True)
    ensure_site_structure()
    author = make_author("Olena Marchuk")
    topic = make_topic("Culture")
    make_article("An earlier story", topics=[topic])
    article = make_article(
        LEAD_TITLE,
        authors=[author],
        topics=[topic],
        standfirst="After 19 months of repairs the library is open until 8 p.m.",
        body=paragraphs(*["The reading room seats forty and doubles as a shelter."] * 8),
    )
    feed = make_live_feed("Storm over Zelenobrid: power cuts and flooded underpasses")
    post(feed, "Power cut to 48,000 homes", source_name="Grid operator")
    return {
        "url": live_server.url,
        "home": "/",
        "article": article.url,
        "live": feed.url,
        "news": "/news/",
        "topic": topic.get_absolute_url(),
        "author": author.get_absolute_url(),
        "search": "/search/?q=library",
        "search-empty": "/search/?q=nothingmatchesthis",
    }


def open_page(browser, url, width):
    context = browser.new_context(
        viewport={"width": width, "height": 900},
        extra_http_headers={"X-Forwarded-Proto": "https"},
    )
    page = context.new_page()
    response = page.goto(url, wait_until="load")
    assert response.status == 200, url
    return page


@pytest.mark.parametrize("width", [768, 1024, 1366])
def test_lead_headline_has_a_readable_column_beside_a_running_live_feed(browser, site, width):
    page = open_page(browser, site["url"] + "/", width)
    assert page.locator(".home-live").is_visible()  # the feed is running: its box is there
    headline = page.locator(".lead__headline")
    assert headline.inner_text() == LEAD_TITLE
    # Before the fix the lead's picture took a fixed 38rem and left the headline 40-110 px.
    width_px = headline.evaluate("element => element.getBoundingClientRect().width")
    assert width_px >= 240, f"lead headline column is {width_px:.0f} px wide at {width} px"
    bullets = page.locator(".home-live li").first.evaluate(
        "element => getComputedStyle(element).listStyleType"
    )
    assert bullets == "none"
    page.screenshot(path=ARTIFACTS / f"layout-home-{width}.png", full_page=True)
    page.context.close()


# Sideways scroll at 320 px, and every other width, for every kind of reader page:
# tests/test_reader_pages_browser.py.
