"""Every kind of reader page holds at every width, and passes axe's WCAG checks, in Debian's
Chromium: the front page (with a running live feed and topic sections), an article with photo
and audio and one with neither, a live feed, the news index, a topic, an author, search with
and without results, and the not-found page, at 320, 390, 768, 1024, 1366 and 1920 px.

One browser and one page per width, reused for every URL, to keep the run short. Screenshots
of each page at each width land in test-artifacts/pages/ for people to look at.
"""

import os
from datetime import timedelta

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.utils import timezone
from wagtail.search import index

from newsdesk.articles.models import Author
from newsdesk.narration.models import AudioStatus, Narration
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

WIDTHS = [320, 390, 768, 1024, 1366, 1920]
AXE_WIDTHS = [390, 1366]
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22a", "wcag22aa"]
SHOTS = ARTIFACTS / "pages"
HTTPS = {"X-Forwarded-Proto": "https"}  # what the TLS proxy in front of production adds

MIN_TEXT_COLUMN = 160
"""px: a block of 25 or more characters narrower than this wraps a word or two per line (the
front page's lead headline once had 40-110 px beside a live box)."""

LAYOUT_PROBLEMS = """(minColumn) => {
  const problems = [];
  const scroller = document.scrollingElement;
  if (scroller.scrollWidth > innerWidth) {
    const wide = [...document.querySelectorAll("body *")]
      .filter(el => el.getBoundingClientRect().right > innerWidth + 0.5)
      .slice(0, 5).map(el => el.tagName.toLowerCase() + "." + el.className);
    problems.push(`scrolls sideways: ${scroller.scrollWidth} px wide (${wide.join(", ")})`);
  }
  for (const img of document.images) {
    const width = img.getBoundingClientRect().width;
    if (width > innerWidth + 0.5) problems.push(`image ${img.currentSrc} is ${width} px wide`);
  }
  // Each block that holds text directly or through inline elements, once.
  const blocks = new Set();
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  while (walker.nextNode()) {
    const node = walker.currentNode;
    if (!node.textContent.trim()) continue;
    let block = node.parentElement;
    const inline = el => getComputedStyle(el).display.startsWith("inline");
    while (block && inline(block)) block = block.parentElement;
    if (block) blocks.add(block);
  }
  for (const block of blocks) {
    if (block.closest(".visually-hidden, script, style, template, [hidden]")) continue;
    if (!block.checkVisibility()) continue;
    const text = block.innerText.trim();
    const width = block.getBoundingClientRect().width;
    if (text.length >= 25 && width < minColumn) {
      problems.push(`${text.length} characters in ${Math.round(width)} px: ` +
        `${block.tagName.toLowerCase()}.${block.className} "${text.slice(0, 40)}"`);
    }
  }
  return problems;
}"""


def silent_mp3(seconds=2):
    """A short, real MP3 of silence: the player needs a file, not a voice."""
    import numpy as np

    from newsdesk.narration.audio import encode_mp3

    return encode_mp3(np.zeros(22050 * seconds, dtype=np.int16), 22050)


@pytest.fixture
def reader_site(live_server):
    """One of every reader page, with enough stories for each section of the front page."""
    ensure_site_structure()
    ARTIFACTS.mkdir(exist_ok=True)
    SHOTS.mkdir(exist_ok=True)
    reporter = make_author(
        "Olena Marchuk", role="Energy reporter", bio="Covers the grid and the city's utilities."
    )
    desk = make_author("News Desk", kind=Author.Kind.DESK, bio="The editors on duty.")
    energy, city = make_topic("Energy"), make_topic("City council")
    start = timezone.now() - timedelta(days=3)
    for number in range(10):
        make_article(
            f"Council votes on the district heating budget for the {number + 1}th time",
            authors=[desk],
            topics=[(energy, city)[number % 2]],
            standfirst="Members argued for three hours before a late vote.",
            published_at=start + timedelta(hours=5 * number),
            hero=number % 3 != 0,
        )
    plain = make_article(
        "Water supply schedule for the Left Bank this week",
        authors=[desk],
        topics=[city],
        hero=False,
        published_at=start + timedelta(hours=52),
        body=paragraphs(*["Water runs from 6 a.m. to 10 p.m. on weekdays."] * 6),
    )
    article = make_article(
        "Power returns to 48,000 homes after overnight repairs on the eastern bank",
        authors=[reporter, desk],
        topics=[energy],
        published_at=start + timedelta(hours=60),
        standfirst="Crews restored the last substation shortly after dawn.",
        hero_caption="Repair crews at a substation on the eastern bank.",
        hero_credit="Regional energy company",
        body=paragraphs(*["Repair crews worked through the night in freezing weather."] * 12),
    )
    default_storage.save("narration/layout.mp3", ContentFile(silent_mp3()))
    Narration.objects.update_or_create(
        article=article,
        defaults={
            "status": AudioStatus.READY,
            "audio": "narration/layout.mp3",
            "duration": 2.0,
            "timings": [
                {"key": block.id, "start": 0.1 * n, "end": 0.1 * (n + 1)}
                for n, block in enumerate(article.body)
            ],
        },
    )
    feed = make_live_feed(
        "Storm over Zelenobrid: power cuts, fallen trees and flooded underpasses",
        summary="Updates from the newsroom as the storm crosses the region.",
    )
    post(
        feed,
        "Evacuation ordered for low-lying districts",
        is_key_event=True,
        source_name="Regional military administration",
        verification="official",
    )
    post(
        feed,
        "Trams run again on every route",
        body="<p>The city transport office says all lines run to the usual timetable.</p>",
    )
    post(feed, "About 2,300 homes still without power", source_name="Grid operator")
    for found in (article, plain):
        index.insert_or_update_object(found)
    return {
        "url": live_server.url,
        "pages": {
            "home": "/",
            "article": article.url,
            "article-plain": plain.url,
            "live": feed.url,
            "news": "/news/",
            "topic": energy.get_absolute_url(),
            "author": reporter.get_absolute_url(),
            "search": "/search/?q=substation",
            "search-empty": "/search/?q=nothingmatchesthis",
            "not-found": "/news/no-such-story/",
        },
    }


def visit(page, site, name):
    response = page.goto(site["url"] + site["pages"][name], wait_until="load")
    expected = 404 if name == "not-found" else 200
    assert response.status == expected, (name, response.status)


def test_every_reader_page_holds_at_every_width(browser, reader_site):
    context = browser.new_context(extra_http_headers=HTTPS)
    page = context.new_page()
    errors = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    assert page.evaluate("1"), "the browser runs scripts"
    found = {}
    for width in WIDTHS:
        page.set_viewport_size({"width": width, "height": 900})
        for name in reader_site["pages"]:
            visit(page, reader_site, name)
            if name == "search":
                assert page.locator(".search-result").count() >= 1, "search finds the article"
            problems = page.evaluate(LAYOUT_PROBLEMS, MIN_TEXT_COLUMN)
            if problems:
                found[f"{name} at {width} px"] = problems
            page.screenshot(path=SHOTS / f"{name}-{width}.png", full_page=True)
    context.close()
    assert not found, "\n".join(f"{where}: {'; '.join(p)}" for where, p in found.items())
    assert errors == [], errors


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_every_reader_page_passes_axe_at_phone_and_desktop_widths(browser, reader_site, scheme):
    """axe-core's WCAG 2.2 A and AA rules (contrast, names, landmarks, headings, target size)."""
    from axe_playwright_python.sync_playwright import Axe

    # axe-core is injected with a script tag, which the site's CSP rightly forbids.
    context = browser.new_context(color_scheme=scheme, bypass_csp=True, extra_http_headers=HTTPS)
    page = context.new_page()
    axe = Axe()
    found = {}
    for width in AXE_WIDTHS:
        page.set_viewport_size({"width": width, "height": 900})
        for name in reader_site["pages"]:
            visit(page, reader_site, name)
            results = axe.run(page, options={"runOnly": {"type": "tag", "values": AXE_TAGS}})
            if results.violations_count:
                found[f"{name} at {width} px"] = results.generate_report()
    context.close()
    assert not found, "\n\n".join(f"{where}:\n{report}" for where, report in found.items())


def test_the_layout_check_catches_what_it_looks_for(browser, reader_site):
    """The checks above can fail: a squeezed column, a wide image and a wide block are found."""
    context = browser.new_context(viewport={"width": 390, "height": 900}, extra_http_headers=HTTPS)
    page = context.new_page()
    visit(page, reader_site, "article")
    page.evaluate(
        """() => {
            const p = document.querySelector(".article__body p");
            p.style.width = "120px";
            const img = document.querySelector(".article__hero img");
            img.style.maxWidth = "none";
            img.style.width = "600px";
        }"""
    )
    problems = " ".join(page.evaluate(LAYOUT_PROBLEMS, MIN_TEXT_COLUMN))
    assert "in 120 px" in problems
    assert "is 600 px wide" in problems
    assert "scrolls sideways" in problems
    context.close()
