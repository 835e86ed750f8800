"""An editor attaches a picture and a video link to a live update on the desk, in Debian's
Chromium on a 390-pixel phone, publishes it, and a reader sees both on the live page without
sideways scrolling; the video's player loads only when the reader asks."""

import io
import os

import pytest
from PIL import Image as PillowImage

from newsdesk.accounts import roles
from tests.factories import ensure_site_structure, make_live_feed
from tests.test_browser import ARTIFACTS, CHROMIUM, VIEWPORTS
from tests.xss_site import off_the_loop

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        not CHROMIUM.exists() and not os.environ.get("CI"),
        reason="Debian's chromium is not installed (apt-get install chromium)",
    ),
]

PHONE = VIEWPORTS["phone"]
VIDEO = "https://www.youtube.com/watch?v=dQw4w9WgXcQ"
NO_SIDEWAYS_SCROLL = "() => document.documentElement.scrollWidth <= window.innerWidth"


def photo():
    buffer = io.BytesIO()
    PillowImage.new("RGB", (2400, 1600), (30, 110, 160)).save(buffer, format="JPEG")
    return buffer.getvalue()


def signed_in_editor(client_for):
    ensure_site_structure()
    feed = make_live_feed("Flooding in the river valley")
    client, _ = client_for(roles.EDITORS)
    return client.cookies, feed.slug


@pytest.fixture
def editor(browser, live_server, client_for, settings):
    cookies, slug = off_the_loop(signed_in_editor, client_for)
    settings.CSRF_TRUSTED_ORIGINS = [live_server.url]
    context = browser.new_context(viewport=PHONE, extra_http_headers={"X-Forwarded-Proto": "https"})
    context.add_cookies(
        [
            {"name": name, "value": morsel.value, "url": live_server.url}
            for name, morsel in cookies.items()
        ]
    )
    page = context.new_page()
    yield page, live_server.url, slug
    context.close()


def test_attach_a_picture_and_a_video_publish_and_read_it_on_a_phone(editor, browser):
    from playwright.sync_api import expect

    page, base, slug = editor
    page.goto(f"{base}/desk/?feed={slug}", wait_until="load")
    assert page.evaluate(NO_SIDEWAYS_SCROLL), "the desk scrolls sideways at 390 px"
    page.fill("#id_headline", "Dam spillway opened as the river rises")
    page.fill("#id_body", "Engineers opened the spillway at noon.")
    page.set_input_files(
        "#id_image_file", {"name": "IMG_2044.jpg", "mimeType": "image/jpeg", "buffer": photo()}
    )
    page.fill("#id_image_alt", "Water pours through the open spillway gates")
    page.fill("#id_image_caption", "The spillway at noon")
    page.fill("#id_image_credit", "Photo: Regional water agency")
    page.fill("#id_embed_url", VIDEO)
    page.get_by_role("button", name="Post update").click()
    expect(page.locator(".message").first).to_contain_text("Published update")

    reader = browser.new_context(viewport=PHONE, extra_http_headers={"X-Forwarded-Proto": "https"})
    live = reader.new_page()
    requests = []
    live.on("request", lambda request: requests.append(request.url))
    # The player is answered here: tests never reach the network.
    live.route(
        "https://www.youtube-nocookie.com/**",
        lambda route: route.fulfill(body="<p>player</p>", content_type="text/html"),
    )
    live.goto(f"{base}/live/{slug}/", wait_until="load")
    figure = live.locator(".update__figure").first
    figure.scroll_into_view_if_needed()
    image = figure.locator("img")
    expect(image).to_have_attribute("alt", "Water pours through the open spillway gates")
    live.wait_for_function(
        "img => img.complete && img.naturalWidth > 0", arg=image.element_handle()
    )
    box = image.bounding_box()
    assert 300 < box["width"] <= PHONE["width"]
    expect(figure.locator("figcaption")).to_have_text(
        "The spillway at noon (Photo: Regional water agency)"
    )
    assert live.evaluate(NO_SIDEWAYS_SCROLL), "the live page scrolls sideways at 390 px"
    assert not [url for url in requests if "youtube" in url], "a third party before asking"
    card = live.locator(".embed-card").first
    expect(card).to_contain_text("Video on YouTube")
    play = card.get_by_role("button", name="Play it here")
    play.scroll_into_view_if_needed()
    ARTIFACTS.mkdir(exist_ok=True)
    live.screenshot(path=ARTIFACTS / "live-update-picture-phone.png", full_page=True)
    play.click()
    frame = card.locator("iframe")
    expect(frame).to_have_attribute("src", "https://www.youtube-nocookie.com/embed/dQw4w9WgXcQ")
    expect(frame).to_have_attribute("title", "YouTube video")
    assert "allow-scripts" in frame.get_attribute("sandbox")
    assert live.evaluate(NO_SIDEWAYS_SCROLL)
    reader.close()
    assert_axe_passes(browser, f"{base}/live/{slug}/")


def assert_axe_passes(browser, url):
    """axe-core's WCAG 2.2 A/AA rules on the page with the figure and the card, both schemes."""
    from axe_playwright_python.sync_playwright import Axe

    from tests.test_reader_pages_browser import AXE_TAGS

    for scheme in ("light", "dark"):
        # axe-core is injected with a script tag, which the site's CSP rightly forbids.
        context = browser.new_context(
            viewport=PHONE,
            color_scheme=scheme,
            bypass_csp=True,
            extra_http_headers={"X-Forwarded-Proto": "https"},
        )
        page = context.new_page()
        page.goto(url, wait_until="load")
        results = Axe().run(page, options={"runOnly": {"type": "tag", "values": AXE_TAGS}})
        context.close()
        assert not results.violations_count, results.generate_report()
