"""A new editor's first article in the Wagtail admin, in Debian's Chromium.

The editor signs in (password and two-step code, through the test client, whose session
cookie the browser then carries), opens the add-article page, types a headline, a paragraph
and picks an author, and presses Publish without ever opening the Promote tab. The page must
log no error on the way: autosave runs all along, and each refused autosave is a 400 in the
console.
"""

import os

import pytest
from django.utils.text import slugify

from newsdesk.accounts import roles
from newsdesk.articles.models import ArticlePage, NewsIndexPage
from tests.factories import ensure_site_structure, make_author
from tests.test_browser import ARTIFACTS, CHROMIUM
from tests.xss_site import off_the_loop

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        not CHROMIUM.exists() and not os.environ.get("CI"),
        reason="Debian's chromium is not installed (apt-get install chromium)",
    ),
]

WATCHING_EDITS = """() => new Promise(resolve => window.watchingEdits ? resolve()
    : document.addEventListener("w-unsaved:watch-edits", () => resolve(), { once: true }))"""
HEADLINE = "Storm knocks out power to 12,000 homes in Zelenobrid"


def signed_in_editor(client_for):
    ensure_site_structure()
    make_author("Olena Marchuk")
    client, _ = client_for(roles.EDITORS)
    return client.cookies


@pytest.fixture
def editor_page(browser, live_server, client_for, settings):
    cookies = off_the_loop(signed_in_editor, client_for)
    # The test server speaks plain HTTP while Django is told (X-Forwarded-Proto) that the
    # request is HTTPS, so the browser's Origin must be trusted by name for CSRF.
    settings.CSRF_TRUSTED_ORIGINS = [live_server.url]
    context = browser.new_context(
        viewport={"width": 1366, "height": 900},
        extra_http_headers={"X-Forwarded-Proto": "https"},
    )
    context.add_cookies(
        [
            {"name": name, "value": morsel.value, "url": live_server.url}
            for name, morsel in cookies.items()
        ]
    )
    # Wagtail notes the form's starting state 2 s after the page loads and autosaves changes
    # from then on; an edit made before is part of the starting state.
    context.add_init_script(
        "document.addEventListener('w-unsaved:watch-edits', () => { window.watchingEdits = true })"
    )
    page = context.new_page()
    problems = []
    page.on("console", lambda message: message.type == "error" and problems.append(message.text))
    page.on("pageerror", lambda error: problems.append(str(error)))
    page.on("response", lambda response: refused(response, problems))
    yield page, problems, live_server.url
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=ARTIFACTS / "admin-first-article.png")
    context.close()


def refused(response, problems):
    if response.status >= 400:
        # Read the body now: it is gone once the page navigates away (Publish does).
        try:
            body = response.text()[:300]
        except Exception as error:  # noqa: BLE001 - any failure to read is reported, not raised
            body = f"(body unavailable: {error})"
        problems.append(f"{response.status} {response.request.method} {response.url}: {body}")


def is_autosave(response):
    # The editing-session ping is a POST too; the autosave is the form posted for JSON.
    request = response.request
    return (
        request.method == "POST"
        and request.headers.get("accept") == "application/json"
        and ("/edit/" in request.url or "/add/" in request.url)
    )


def autosaved(page):
    """Wait for the next autosave request and return its response."""
    return page.expect_response(is_autosave, timeout=15000)


def test_a_new_editor_publishes_a_first_article_without_touching_the_slug(editor_page):
    from playwright.sync_api import expect

    page, problems, base = editor_page
    news = NewsIndexPage.objects.get()
    page.goto(f"{base}/admin/pages/add/articles/articlepage/{news.pk}/", wait_until="load")
    assert problems == [], problems
    page.evaluate(WATCHING_EDITS)

    title = page.locator("#id_title")
    title.fill(HEADLINE)
    title.blur()
    # The slug (on the Promote tab, which a new editor never opens) follows the headline.
    expect(page.locator("#id_slug")).to_have_value(slugify(HEADLINE))

    page.get_by_role("button", name="Insert a block").first.click()
    page.get_by_role("option", name="Paragraph").click()
    paragraph = page.locator(".Draftail-Editor [contenteditable=true]").first
    # One edit at a time, each autosaved before the next, as a person's pace allows.
    with autosaved(page) as first:
        paragraph.fill("Repair crews worked through the night.")
    # Saved as a draft although the byline's author row is still blank.
    assert first.value.status == 200, first.value.text()
    expect(page.locator(".w-autosave-indicator__state--saved")).to_be_visible()
    assert ArticlePage.objects.filter(title=HEADLINE, live=False).exists()

    with autosaved(page) as second:
        page.get_by_role("button", name="Choose author").click()
        page.get_by_role("link", name="Olena Marchuk").click()
    assert second.value.status == 200, second.value.text()
    expect(page.locator(".w-autosave-indicator__state--saved")).to_be_visible()

    page.get_by_role("button", name="More actions").click()
    with page.expect_navigation():
        page.get_by_role("button", name="Publish").click()

    article = ArticlePage.objects.get(title=HEADLINE)
    assert article.live
    assert article.slug == slugify(HEADLINE)
    assert [author.name for author in article.authors] == ["Olena Marchuk"]
    assert problems == [], problems
