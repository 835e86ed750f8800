"""What a reader sees in a real browser: Debian's Chromium driven by Playwright.

Screenshots land in test-artifacts/ for people to look at.
"""

import os
from datetime import UTC, datetime
from pathlib import Path

import pytest

from newsdesk.articles.models import Author
from tests.conftest import launch_chromium
from tests.factories import ensure_site_structure, make_article, make_author, make_topic, paragraphs

CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = Path(__file__).resolve().parents[1] / "test-artifacts"

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        not CHROMIUM.exists() and not os.environ.get("CI"),
        reason="Debian's chromium is not installed (apt-get install chromium)",
    ),
]

VIEWPORTS = {"phone": {"width": 390, "height": 844}, "desktop": {"width": 1366, "height": 900}}


@pytest.fixture(scope="module")
def browser():
    # Playwright's sync API runs an event loop in this thread; Django's ORM must still be
    # allowed to run here for the test's own setup.
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = launch_chromium(playwright)
        yield browser
        browser.close()
    os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)


@pytest.fixture
def site(live_server):
    ARTIFACTS.mkdir(exist_ok=True)
    return live_server.url


@pytest.fixture
def article(live_server):
    ensure_site_structure()
    desk = make_author("News Desk", kind=Author.Kind.DESK, bio="The editors on duty.")
    make_article(
        "An earlier story about the grid",
        topics=[make_topic("Energy")],
        published_at=datetime(2024, 1, 20, 9, 0, tzinfo=UTC),
    )
    return make_article(
        "Power returns to 48,000 homes after overnight repairs",
        authors=[desk],
        topics=[make_topic("Zelenobrid")],
        published_at=datetime(2024, 1, 27, 13, 34, tzinfo=UTC),
        standfirst="Crews restored the last substation shortly after dawn.",
        hero_caption="Repair crews at a substation on Jan. 27, 2024.",
        hero_credit="Regional energy company",
        body=paragraphs(*["Repair crews worked through the night in freezing weather."] * 40),
    )


def open_page(browser, url, viewport, javascript=True):
    # The live test server speaks plain HTTP; this header is what the TLS proxy in front of a
    # production server adds, so Newsdesk answers as it does in production.
    context = browser.new_context(
        viewport=viewport,
        java_script_enabled=javascript,
        extra_http_headers={"X-Forwarded-Proto": "https"},
    )
    page = context.new_page()
    problems = []
    page.on("console", lambda message: message.type == "error" and problems.append(message.text))
    page.on("pageerror", lambda error: problems.append(str(error)))
    response = page.goto(url, wait_until="load")
    assert response.status == 200
    return page, problems


@pytest.mark.parametrize("viewport_name", ["phone", "desktop"])
def test_reader_sees_the_article(browser, site, article, viewport_name):
    page, problems = open_page(browser, site + article.url, VIEWPORTS[viewport_name])

    headline = page.get_by_role("heading", level=1)
    assert headline.inner_text() == "Power returns to 48,000 homes after overnight repairs"
    assert headline.is_visible()
    byline = page.locator(".byline").inner_text()
    assert "News Desk" in byline
    assert "January 27, 2024 3:34 PM" in byline
    assert "min read" in byline

    hero = page.locator(".article__hero img")
    assert hero.is_visible()
    assert hero.evaluate("img => img.complete && img.naturalWidth > 0"), "hero image did not load"
    assert hero.get_attribute("alt")
    caption = page.locator(".article__hero figcaption").inner_text()
    assert "(Regional energy company)" in caption

    assert page.get_by_text("Author: News Desk").is_visible()
    # The body is laid out for reading: no line wider than about 75 characters of text.
    body_width = page.locator(".article__body p").first.evaluate("p => p.clientWidth")
    assert body_width <= 760
    # Nothing overflows sideways on a phone.
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")

    assert problems == [], problems  # includes Content-Security-Policy violations
    page.screenshot(path=ARTIFACTS / f"article-{viewport_name}.png", full_page=True)
    page.context.close()


def test_article_is_readable_without_javascript(browser, site, article):
    page, _ = open_page(browser, site + article.url, VIEWPORTS["phone"], javascript=False)
    assert page.get_by_role("heading", level=1).is_visible()
    assert page.locator(".article__body").inner_text().startswith("Repair crews")
    page.context.close()


def test_keyboard_users_can_skip_to_the_content(browser, site, article):
    page, _ = open_page(browser, site + article.url, VIEWPORTS["desktop"])
    page.keyboard.press("Tab")
    focused = page.evaluate("document.activeElement.textContent.trim()")
    assert focused == "Skip to content"
    assert page.locator(".skip-link").is_visible()
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "main"
    page.context.close()


@pytest.mark.parametrize("viewport_name", ["phone", "desktop"])
def test_home_page_screenshot(browser, site, article, viewport_name):
    page, problems = open_page(browser, site + "/", VIEWPORTS[viewport_name])
    lead = page.locator(".home-lead")
    assert article.title in lead.inner_text()
    assert problems == [], problems
    page.screenshot(path=ARTIFACTS / f"home-{viewport_name}.png", full_page=True)
    page.context.close()


# axe-core's WCAG checks on every kind of reader page, light and dark, at phone and desktop
# widths: tests/test_reader_pages_browser.py.


def test_article_html_and_css_weigh_under_50_kb(browser, site, article):
    """What a reader on a slow phone downloads before images: the HTML and the stylesheet."""
    page, _ = open_page(browser, site + article.url, VIEWPORTS["phone"])
    sizes = page.evaluate(
        """() => performance.getEntriesByType("navigation").concat(
              performance.getEntriesByType("resource").filter(e => e.initiatorType === "link"))
            .map(e => e.decodedBodySize)"""
    )
    assert len(sizes) == 2  # the document and site.css, nothing else before images
    assert sum(sizes) < 50 * 1024, sizes
    page.context.close()
