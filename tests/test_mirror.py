"""`newsdesk mirror`: a static copy of the public site, checked from the outside.

A small site (articles with hero photos and narration, a live feed, authors and topics with
more than one page of articles) is mirrored into a temporary folder, and the copy is checked
without the builder's help: every link in every file resolves, pages open from the file
system in Chromium with their stylesheet and photos, re-runs write only what changed, and a
broken link stops the run without touching the copy.
"""

import json
import os
import posixpath
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import unquote, urlsplit

import numpy as np
import pytest
from bs4 import BeautifulSoup
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.management import CommandError, call_command, execute_from_command_line
from django.utils import timezone
from wagtail.models import Page, Site

from newsdesk.articles.models import Author
from newsdesk.mirror import builder, linkcheck, links, markup, plan, snapshot, store
from newsdesk.narration.audio import encode_mp3
from newsdesk.narration.models import AudioStatus, Narration
from tests.conftest import launch_chromium
from tests.factories import (
    ensure_site_structure,
    make_article,
    make_author,
    make_image,
    make_live_feed,
    make_topic,
    paragraphs,
    post,
)

BASE = "https://news.example.org"
ORIGIN = links.Origin(BASE)
CHROMIUM = Path("/usr/bin/chromium")
NOTE = "This is a copy of the live page taken at"


# --- The pure parts: URLs, paths, rewriting, snapshots, link checks --------------------------


@pytest.mark.parametrize(
    ("url", "file"),
    [
        ("/", "index.html"),
        ("/news/", "news/index.html"),
        ("/news/?page=2", "news/page/2/index.html"),
        ("/live/storm/?older=41", "live/storm/older/41/index.html"),
        ("/feeds/podcast.xml", "feeds/podcast.xml"),
        ("/media/narration/a1.mp3", "media/narration/a1.mp3"),
        ("/topics/енергетика/", "topics/енергетика/index.html"),
        ("/news/?q=storm", None),
        ("/news/?page=2&sort=old", None),
        ("/admin/", None),
        ("/desk/", None),
        ("/api/v2/pages/", None),
        ("/search/", None),
        ("/live/storm/events", None),
        ("/healthz", None),
    ],
)
def test_file_for(url, file):
    assert links.file_for(url) == file


@pytest.mark.parametrize(
    ("ref", "base", "resolved"),
    [
        ("/news/", "/", ("/news/", "")),
        ("?page=2", "/news/", ("/news/?page=2", "")),
        ("?page=1", "/news/", ("/news/", "")),
        ("?page=03", "/news/", ("/news/?page=3", "")),
        ("rss.xml", "/live/storm/", ("/live/storm/rss.xml", "")),
        ("../", "/news/story/", ("/news/", "")),
        ("/live/storm/#update-4", "/", ("/live/storm/", "update-4")),
        (BASE + "/news/story/", "/", ("/news/story/", "")),
        ("//news.example.org/news/", "/", ("/news/", "")),
        ("http://news.example.org/news/", "/", ("/news/", "")),
        ("/topics/%D0%B5/", "/", ("/topics/е/", "")),
        ("https://t.me/share/url?url=x", "/", None),
        ("mailto:desk@example.org", "/", None),
        ("#main", "/", None),
        ("", "/", None),
    ],
)
def test_resolve(ref, base, resolved):
    assert links.resolve(ref, base, ORIGIN) == resolved


@pytest.mark.parametrize(
    ("source", "target", "link"),
    [
        ("index.html", "news/index.html", "news/index.html"),
        ("news/index.html", "index.html", "../index.html"),
        ("news/story/index.html", "news/index.html", "../index.html"),
        ("news/story/index.html", "static/site.css", "../../static/site.css"),
        ("news/page/2/index.html", "news/story/index.html", "../../story/index.html"),
        ("news/index.html", "news/index.html", "index.html"),
    ],
)
def test_relative(source, target, link):
    assert links.relative(source, target) == link
    assert posixpath.normpath(posixpath.join(posixpath.dirname(source), link)) == target


PAGE = f"""<!doctype html><html><head>
<link rel="canonical" href="{BASE}/news/story/">
<meta property="og:url" content="{BASE}/news/story/">
<meta property="og:image" content="{BASE}/media/images/a.jpg">
<link rel="stylesheet" href="/static/site.css">
<link rel="alternate" type="application/rss+xml" href="/topics/energy/rss.xml">
<script type="application/ld+json">{{"url": "{BASE}/news/story/", "a": "<a href='/x/'>"}}</script>
<style>.a {{ background: url("/media/b.png") }}</style>
</head><body>
<!-- <a href="/commented-out/"> -->
<a href="/">Home</a> <a href="{BASE}/news/?page=2">Older</a> <a href="?page=1">Newer</a>
<a href="/news/other/#comments">Other</a> <a href="https://example.com/x">Out</a>
<img src="/media/images/a.480.webp" alt=""
     srcset="/media/images/a.480.webp 480w, /media/images/a.800.webp 800w">
<div data-url="/live/storm/updates.json" data-zone="Europe/Kyiv"
     style="background:url(/media/c.png)"></div>
<form action="/search/"><input name="q"></form>
<a href="/admin/pages/">Edit</a> <a href="/news/?q=x&amp;y=1">Query</a>
</body></html>"""


def test_rewrite_html_makes_internal_links_relative_and_keeps_identity_absolute():
    rewritten = links.rewrite_html(PAGE, "/news/story/", "news/story/index.html", ORIGIN)
    soup = BeautifulSoup(rewritten.text, "html.parser")
    assert soup.find("link", rel="canonical")["href"] == f"{BASE}/news/story/"
    assert soup.find("meta", property="og:url")["content"] == f"{BASE}/news/story/"
    assert soup.find("meta", property="og:image")["content"] == f"{BASE}/media/images/a.jpg"
    assert soup.find("link", rel="stylesheet")["href"] == "../../static/site.css"
    assert soup.find("link", rel="alternate")["href"] == "../../topics/energy/rss.xml"
    hrefs = [a["href"] for a in soup.find_all("a")]
    assert hrefs == [
        "../../index.html",
        "../page/2/index.html",
        "index.html",  # ?page=1 of this page is this page
        "../other/index.html#comments",
        "https://example.com/x",
        f"{BASE}/admin/pages/",
        f"{BASE}/news/?q=x&y=1",
    ]
    image = soup.find("img")
    assert image["src"] == "../../media/images/a.480.webp"
    assert image["srcset"] == (
        "../../media/images/a.480.webp 480w, ../../media/images/a.800.webp 800w"
    )
    data = soup.find("div")
    assert data["data-url"] == "../../live/storm/updates.json"
    assert data["data-zone"] == "Europe/Kyiv"
    assert data["style"] == "background:url(../../media/c.png)"
    # The search box leads to the copy's own search page; other forms go to the real site.
    assert soup.find("form")["action"] == "../../offline-search/index.html"
    other = links.rewrite_html('<form action="/admin/login/">', "/news/story/", "x.html", ORIGIN)
    assert other.text == f'<form action="{BASE}/admin/login/">'
    assert 'url("../../media/b.png")' in rewritten.text
    assert f'"url": "{BASE}/news/story/"' in rewritten.text  # JSON-LD is left alone
    assert "<a href='/x/'>" in rewritten.text and '<a href="/commented-out/">' in rewritten.text
    assert {link.file for link in rewritten.links} >= {
        "index.html",
        "news/page/2/index.html",
        "news/other/index.html",
        "static/site.css",
        "media/b.png",
        "media/c.png",
        "topics/energy/rss.xml",
    }


def test_rewrite_html_changes_nothing_else():
    document = '<p class=a title="x &amp; y">Text <b>bold</b></p>\n<a href="#top">Top</a>'
    assert links.rewrite_html(document, "/", "index.html", ORIGIN).text == document


def test_remembered_references_still_depend_on_the_page_where_they_must():
    """found_on_page remembers what a reference leads to; a path-relative one (or a bare
    query) is remembered per page, one that names its own path for every page."""
    for _ in range(2):  # the second time from memory
        first = links.rewrite_html('<a href="more/">m</a>', "/news/a/", "news/a/index.html", ORIGIN)
        second = links.rewrite_html('<a href="more/">m</a>', "/topics/b/", "x/index.html", ORIGIN)
        assert first.links == [links.Link("/news/a/more/", "news/a/more/index.html")]
        assert second.links == [links.Link("/topics/b/more/", "topics/b/more/index.html")]
        page = links.rewrite_html('<a href="?page=2">2</a>', "/news/", "news/index.html", ORIGIN)
        assert page.text == '<a href="page/2/index.html">2</a>'
        own = links.rewrite_html(
            '<a href="/news/">n</a>', "/topics/b/", "topics/b/index.html", ORIGIN
        )
        assert own.text == '<a href="../../news/index.html">n</a>'


def test_tags_without_a_wanted_attribute_are_not_split():
    """markup.tokens(wanted=...) leaves out the attributes of tags the pattern does not
    match, and finds tags exactly as before: a ">" inside quotes does not end a tag, an
    unterminated quote makes no tag of the rest."""
    document = (
        '<p class="a>b" id=x><a title=\'1>2\' HREF="/news/">t</a>'
        '<img alt="no end><span data-x="/y/">'
    )
    everything = list(markup.tokens(document))
    wanted = list(markup.tokens(document, re.compile("href|data-", re.I)))
    assert [(tag.name, tag.start, tag.end) for tag in everything] == [
        ("p", 0, 20),
        ("a", 20, 49),
        ("span", 71, 90),
    ]
    assert [(tag.name, tag.start, tag.end) for tag in wanted] == [
        (tag.name, tag.start, tag.end) for tag in everything
    ]
    assert wanted[0].attributes == ()
    assert wanted[1].attributes == everything[1].attributes
    assert wanted[1].get("href") == "/news/" and wanted[2].get("data-x") == "/y/"


def test_rewrite_css_is_relative_to_the_stylesheet():
    css = "@import '/static/base.css'; .a { src: url(/static/fonts/a.woff2) } .b { x: url(data:x) }"
    rewritten = links.rewrite_css(css, "/static/site.css", "static/site.css", ORIGIN)
    assert rewritten.text == (
        "@import 'base.css'; .a { src: url(fonts/a.woff2) } .b { x: url(data:x) }"
    )


def test_references_in_feeds_are_read_not_changed():
    feed = f"<rss><link>{BASE}/</link><item><link>{BASE}/news/a/</link></item>"
    feed += "<enclosure url='https://cdn.example.com/a.mp3'/></rss>"
    assert links.references(feed, ORIGIN) == ["/", "/news/a/"]


def test_snapshot_marks_the_live_feed_static_and_adds_the_note():
    page = (
        '<div class="live" data-live-feed data-events-url="/live/s/events" '
        'data-poll-url="/live/s/updates.json" data-sequence="4">\n<header>'
    )
    frozen = snapshot.freeze(page, "<p>NOTE</p>")
    expected = '<div data-static class="live" data-live-feed data-sequence="4">'
    assert frozen == expected + "\n  <p>NOTE</p>\n<header>"
    assert snapshot.freeze("<p>No feed here</p>", "<p>NOTE</p>") is None
    # Under an article: still, and without the page's note.
    embed = '<section data-embed data-live-feed data-events-url="/live/s/events">\n<h2>'
    assert snapshot.freeze(embed, "<p>NOTE</p>") == (
        "<section data-static data-embed data-live-feed>\n<h2>"
    )
    # The front page follows several feeds: every one stands still.
    front = embed.replace("/s/", "/a/") + "<p>x</p>" + embed.replace("/s/", "/b/")
    assert snapshot.freeze(front, "<p>NOTE</p>") == (
        "<section data-static data-embed data-live-feed>\n<h2><p>x</p>"
        "<section data-static data-embed data-live-feed>\n<h2>"
    )


def test_link_graph_checks():
    graph = {"index.html": ["news/index.html", "gone.html"], "news/index.html": ["index.html"]}
    files = {"index.html", "news/index.html", "orphan.html"}
    assert linkcheck.broken_links(graph, files) == [linkcheck.Broken("index.html", "gone.html")]
    assert linkcheck.reachable(graph, ["index.html"]) == {
        "index.html",
        "news/index.html",
        "gone.html",
    }
    assert linkcheck.target_of("news/index.html", "../static/a.css") == "static/a.css"
    assert linkcheck.target_of("news/index.html", "https://example.com/") is None
    assert linkcheck.target_of("news/index.html", "/news/").reason == "absolute path"
    assert linkcheck.target_of("index.html", "../etc/passwd").reason == "outside the mirror"


# --- A small site, mirrored ----------------------------------------------------------------


@pytest.fixture(autouse=True)
def _public_address(settings):
    settings.NEWSDESK_BASE_URL = BASE


@pytest.fixture(autouse=True)
def _stable_code(monkeypatch):
    """Other code may change while the suite runs; a changed fingerprint forces a full run."""
    monkeypatch.setattr(plan, "code_fingerprint", lambda: "test")


def narrate(article, settings):
    """A real (silent) MP3 and a ready narration row, as the worker would leave them."""
    audio = encode_mp3(np.zeros(22_050, dtype=np.int16), 22_050)
    name = default_storage.save(f"narration/{article.slug}.mp3", ContentFile(audio))
    Narration.objects.update_or_create(
        article=article,
        defaults={
            "audio": name,
            "audio_bytes": len(audio),
            "duration": 1.0,
            "timings": [{"key": article.body[0].id, "start": 0.0}],
            "status": AudioStatus.READY,
            "audio_updated_at": timezone.now(),
        },
    )
    return name


@pytest.fixture
def site(db, settings):
    # pytest-django runs transactional tests last, after others that emptied every table
    # (the root collection and the page tree with them): put back what migrations made.
    ensure_site_structure()
    start = datetime(2024, 1, 27, 13, 34, tzinfo=UTC)
    desk = make_author("News Desk", kind=Author.Kind.DESK, bio="The editors on duty.")
    reporter = make_author("Olena Reporter", role="Reporter", photo=make_image("Olena"))
    energy, city = make_topic("Energy"), make_topic("Zelenobrid")
    for number in range(22):  # enough for a second page of /news/, the reporter and Energy
        make_article(
            f"Grid repair update {number}",
            authors=[reporter],
            topics=[energy],
            published_at=start - timedelta(days=number + 1),
            hero=False,
        )
    older = make_article(
        "Bridge reopens after repairs",
        authors=[reporter],
        topics=[city],
        published_at=start - timedelta(hours=5),
    )
    lead = make_article(
        "Power returns to 48,000 homes after overnight repairs",
        authors=[desk, reporter],
        topics=[city, energy],
        published_at=start,
        standfirst="Crews restored the last substation shortly after dawn.",
        hero_credit="Regional energy company",
        body=[
            *paragraphs("Repair crews worked through the night.", "Power is back."),
            (
                "image",
                {"image": make_image("Substation"), "alt": "A substation", "caption": "Dawn."},
            ),
        ],
    )
    feed = make_live_feed("Storm over the coast")
    updates = [post(feed, f"Update number {number}") for number in range(3)]
    audio = narrate(lead, settings)
    return {
        "lead": lead,
        "older": older,
        "reporter": reporter,
        "energy": energy,
        "feed": feed,
        "updates": updates,
        "audio": audio,
    }


def mirror(outdir, **options):
    lines = []
    summary = builder.Builder(outdir, log=lines.append, progress_every=50, **options).run()
    return summary, lines


def manifest(outdir):
    return json.loads((outdir / store.MANIFEST).read_text())["files"]


def changed_files(before, after):
    return {file for file in after if before.get(file, {}).get("sha256") != after[file]["sha256"]}


def file_of(url):
    return links.file_for(unquote(url))


def check_links_independently(outdir):
    """Every link and resource in every HTML file, read with BeautifulSoup, leads to a file of
    the mirror; none is root-absolute (file:// would resolve it to the disk's root) and none
    but the canonical link points back at the site."""
    problems, checked = [], 0
    for path in outdir.rglob("*.html"):
        soup = BeautifulSoup(path.read_text(), "html.parser")
        for element in soup.find_all(True):
            refs = [element.get(name) for name in ("href", "src", "poster")]
            refs += [part.split()[0] for part in element.get("srcset", "").split(",") if part]
            refs += [
                value
                for name, value in element.attrs.items()
                if name.startswith("data-") and value.startswith(("/", "."))
            ]
            for ref in filter(None, refs):
                if ref.startswith("#"):
                    continue
                if ref.startswith(BASE) and "canonical" not in element.get("rel", []):
                    problems.append((path, ref, "points back at the site"))
                elif ref.startswith("/"):
                    problems.append((path, ref, "root-absolute"))
                elif not urlsplit(ref).scheme:
                    checked += 1
                    target = path.parent / unquote(urlsplit(ref).path)
                    if not target.resolve().is_file():
                        problems.append((path, ref, "missing"))
    return problems, checked


FILES_ONLY = pytest.mark.same_on_every_database
"""For the tests of what the run writes and prints: the PostgreSQL run (which leaves them
out) keeps the ones whose outcome hangs on the site's state as the database reads it."""


def test_mirror_writes_a_complete_copy_that_works_from_a_file_system(site, tmp_path):
    outdir = tmp_path / "mirror"
    summary, lines = mirror(outdir)

    assert summary.mode == "full" and summary.broken == 0 and summary.written == summary.files
    assert any("files checked" in line for line in lines)  # progress
    problems, checked = check_links_independently(outdir)
    assert problems == [] and checked > 500
    assert linkcheck.check_tree(outdir) == []

    lead, feed, reporter = site["lead"], site["feed"], site["reporter"]
    for url in [
        "/",
        "/news/",
        "/news/?page=2",
        lead.url,
        site["older"].url,
        reporter.get_absolute_url(),
        reporter.get_absolute_url() + "?page=2",
        site["energy"].get_absolute_url() + "?page=2",
        feed.url,
        site["updates"][0].get_absolute_url(),
        "/live/",
        "/feeds/podcast.xml",
        "/static/newsdesk/site.css",
        "/media/" + site["audio"],
    ]:
        assert (outdir / file_of(url)).is_file(), url

    article = BeautifulSoup((outdir / file_of(lead.url)).read_text(), "html.parser")
    assert article.find("link", rel="canonical")["href"] == BASE + lead.url
    assert article.find("meta", property="og:url")["content"] == BASE + lead.url
    assert article.find("link", rel="stylesheet")["href"] == "../../static/newsdesk/site.css"
    hero = article.select_one(".article__hero img")
    article_folder = (outdir / file_of(lead.url)).parent
    for candidate in [hero["src"], *(part.split()[0] for part in hero["srcset"].split(","))]:
        assert candidate.startswith("../../media/images/")
        assert (article_folder / candidate).resolve().is_file()
    assert article.select_one("audio")["src"] == "../../media/" + site["audio"]
    assert (outdir / "media" / site["audio"]).read_bytes()[:2] == b"\xff\xf3"  # an MP3 frame

    live = (outdir / file_of(feed.url)).read_text()
    assert NOTE in live and "it does not update" in live
    live_root = BeautifulSoup(live, "html.parser").select_one("[data-live-feed]")
    assert live_root.has_attr("data-static")
    assert not live_root.has_attr("data-events-url") and not live_root.has_attr("data-poll-url")

    podcast = (outdir / "feeds/podcast.xml").read_text()
    assert f'url="{BASE}/media/{site["audio"]}"' in podcast  # feeds keep absolute URLs
    entries = manifest(outdir)
    assert entries["index.html"]["sha256"] == store.sha256_file(outdir / "index.html")


def test_rerunning_writes_only_what_changed(site, tmp_path):
    outdir = tmp_path / "mirror"
    mirror(outdir)
    first = manifest(outdir)

    again, _ = mirror(outdir)
    assert (again.mode, again.rendered, again.written, again.removed) == ("incremental", 0, 0, 0)
    full, _ = mirror(outdir, full=True)
    assert full.mode == "full" and full.written == 0 and full.unchanged == full.files

    older = site["older"]
    older.title = "Bridge reopens after six weeks of repairs"
    older.save_revision().publish()
    edited, _ = mirror(outdir)
    changed = changed_files(first, manifest(outdir))
    assert edited.mode == "incremental"
    assert edited.written == len(changed) <= 25
    assert edited.rendered < 60
    assert {file_of(older.url), "index.html", "news/index.html"} <= changed
    assert file_of(site["reporter"].get_absolute_url()) in changed
    assert file_of(site["lead"].url) in changed  # it shows the bridge under "Related stories"
    assert "news/page/2/index.html" not in changed
    assert file_of(site["reporter"].get_absolute_url() + "?page=2") not in changed
    assert not any(file.startswith(("media/", "static/")) for file in changed)


def test_a_new_article_is_found_and_moves_the_listings_along(site, tmp_path):
    outdir = tmp_path / "mirror"
    mirror(outdir)
    before = manifest(outdir)
    new = make_article("Ferry service resumes", authors=[site["reporter"]], hero=False)
    summary, _ = mirror(outdir)
    changed = changed_files(before, manifest(outdir))
    assert summary.mode == "incremental"
    assert {file_of(new.url), "index.html", "news/index.html", "news/page/2/index.html"} <= changed
    assert file_of(site["reporter"].get_absolute_url() + "?page=2") in changed
    problems, _ = check_links_independently(outdir)
    assert problems == []


def test_the_site_state_is_read_in_a_fixed_number_of_queries(site):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from newsdesk.mirror import changes

    with CaptureQueriesContext(connection) as queries:
        state = changes.load()
    for number in range(3):
        make_article(f"Another story {number}", topics=[site["energy"]], hero=False)
    with CaptureQueriesContext(connection) as more_queries:
        changes.load()
    assert len(queries) == len(more_queries) <= 15
    assert state.signature(site["lead"].url) not in (None, changes.VANISHED)
    assert state.signature("/news/?page=2") and state.signature("/news/?page=3") == "vanished"
    assert state.signature("/news/no-such-story/") == changes.VANISHED
    assert state.signature("/feeds/rss.xml") is None


@FILES_ONLY
def test_a_run_interrupted_while_moving_files_is_followed_by_a_full_one(site, tmp_path):
    outdir = tmp_path / "mirror"
    mirror(outdir)
    (outdir / store.INCOMPLETE).touch()
    summary, _ = mirror(outdir)
    # Only the live snapshot is rewritten: with no manifest to trust, its note gets a new time.
    assert summary.mode == "full" and summary.written <= 1
    assert not (outdir / store.INCOMPLETE).exists()


def test_new_live_updates_reach_the_snapshot(site, tmp_path):
    outdir = tmp_path / "mirror"
    mirror(outdir)
    before = manifest(outdir)
    update = post(site["feed"], "Winds ease along the coast")
    summary, _ = mirror(outdir)
    changed = changed_files(before, manifest(outdir))
    assert file_of(site["feed"].url) in changed
    assert file_of(update.get_absolute_url()) in changed
    assert summary.rendered < 30
    assert "Winds ease along the coast" in (outdir / file_of(site["feed"].url)).read_text()


@FILES_ONLY
def test_the_copy_searches_itself(site, tmp_path):
    outdir = tmp_path / "mirror"
    mirror(outdir)
    index = (outdir / "offline-search/index.js").read_text()
    assert site["lead"].title in index and site["older"].title in index
    page = BeautifulSoup((outdir / file_of(site["lead"].url)).read_text(), "html.parser")
    # The masthead's search box leads to the copy's own search page, not to the site.
    assert page.select_one("form.masthead__search")["action"] == "../../offline-search/index.html"
    search = BeautifulSoup((outdir / "offline-search/index.html").read_text(), "html.parser")
    assert [s["src"] for s in search.select("script[src]")][0] == "index.js"


def test_an_article_showing_a_live_feed_follows_its_updates(site, tmp_path):
    lead = site["lead"]
    lead.live_feed = site["feed"]
    lead.save_revision().publish()
    outdir = tmp_path / "mirror"
    mirror(outdir)
    before = manifest(outdir)
    post(site["feed"], "Ferry crossings resume")
    mirror(outdir)
    assert file_of(lead.url) in changed_files(before, manifest(outdir))
    assert "Ferry crossings resume" in (outdir / file_of(lead.url)).read_text()


def test_unpublished_articles_leave_the_mirror(site, tmp_path):
    outdir = tmp_path / "mirror"
    mirror(outdir)
    older = site["older"]
    gone = outdir / file_of(older.url)
    assert gone.is_file()
    older.unpublish()

    summary, _ = mirror(outdir)
    assert summary.mode == "incremental" and summary.removed >= 1
    assert not gone.exists()
    assert file_of(older.url) not in manifest(outdir)
    problems, _ = check_links_independently(outdir)
    assert problems == []
    for path in outdir.rglob("*.html"):
        assert older.slug not in path.read_text(), path


@FILES_ONLY
def test_a_broken_internal_link_fails_the_run_and_names_the_page(site, tmp_path, capsys):
    outdir = tmp_path / "mirror"
    mirror(outdir)
    index_before = (outdir / "index.html").read_bytes()
    manifest_before = (outdir / store.MANIFEST).read_bytes()
    broken = make_article(
        "A story with a dead link",
        body=paragraphs('See <a href="/news/no-such-story/">the earlier story</a>.'),
        hero=False,
    )

    with pytest.raises(SystemExit) as failure:
        execute_from_command_line(["newsdesk", "mirror", str(outdir)])
    assert failure.value.code == 1
    message = capsys.readouterr().err
    assert f"{broken.url} links to ../no-such-story/index.html" in message
    assert (outdir / "index.html").read_bytes() == index_before  # the copy is untouched
    assert (outdir / store.MANIFEST).read_bytes() == manifest_before
    assert not (outdir / file_of(broken.url)).exists()
    assert not (outdir / store.STAGING).exists()


@FILES_ONLY
def test_redirects_become_pages_that_send_the_reader_on(site, tmp_path):
    from wagtail.contrib.redirects.models import Redirect

    Redirect.objects.create(old_path="/bridge-story", redirect_page=site["older"])
    make_article(
        "A story linking to an old address",
        body=paragraphs('See <a href="/bridge-story/">the bridge story</a>.'),
        hero=False,
    )
    outdir = tmp_path / "mirror"
    mirror(outdir)
    moved = (outdir / "bridge-story/index.html").read_text()
    assert 'url=../news/bridge-reopens-after-repairs/index.html"' in moved
    assert linkcheck.check_tree(outdir) == []


@FILES_ONLY
def test_changed_code_renders_everything_but_writes_only_new_bytes(site, tmp_path, monkeypatch):
    outdir = tmp_path / "mirror"
    mirror(outdir)
    monkeypatch.setattr(plan, "code_fingerprint", lambda: "after a deploy")
    summary, _ = mirror(outdir)
    assert summary.mode == "full" and summary.written == 0


@FILES_ONLY
def test_the_command_prints_a_summary(site, tmp_path, capsys, settings):
    settings.NEWSDESK_BASE_URL_IS_DEFAULT = False
    call_command("mirror", str(tmp_path / "mirror"))
    captured = capsys.readouterr()
    assert "broken links             0" in captured.out and "pages rendered" in captured.out
    assert f"Site address in the copy: {BASE} (NEWSDESK_BASE_URL)." in captured.out
    assert captured.err == ""


@FILES_ONLY
def test_the_command_says_loudly_when_the_address_is_only_the_default(
    site, tmp_path, capsys, settings
):
    """Run without NEWSDESK_BASE_URL (and without the server's PORT), a copy used to carry
    http://127.0.0.1:8000 in its canonical links and feeds, and said so only in passing."""
    settings.NEWSDESK_BASE_URL = "http://127.0.0.1:8000"
    settings.NEWSDESK_BASE_URL_IS_DEFAULT = True
    Site.objects.filter(is_default_site=True).update(hostname="127.0.0.1", port=8123)
    call_command("mirror", str(tmp_path / "mirror"))
    warning = capsys.readouterr().err
    assert "Site address in the copy: http://127.0.0.1:8000, the local default" in warning
    assert "NEWSDESK_BASE_URL is not set" in warning
    assert "(The site was last served at http://127.0.0.1:8123.)" in warning
    assert warning.rstrip().endswith(
        "set NEWSDESK_BASE_URL to the site's public address and run again."
    )
    assert 'href="http://127.0.0.1:8000/"' in (tmp_path / "mirror" / "index.html").read_text()


def test_the_mirror_stays_out_of_the_data_folders(db, settings):
    with pytest.raises(CommandError, match="overlaps MEDIA_ROOT"):
        call_command("mirror", str(Path(settings.MEDIA_ROOT) / "copy"), verbosity=0)


# --- In a browser, from the file system ---------------------------------------------------


@pytest.mark.browser
@pytest.mark.skipif(
    not CHROMIUM.exists() and not os.environ.get("CI"),
    reason="Debian's chromium is not installed (apt-get install chromium)",
)
def test_the_copy_opens_from_the_file_system(site, tmp_path, monkeypatch):
    post(site["feed"], "Bridge closed to traffic", is_key_event=True)  # the two-column layout
    outdir = tmp_path / "mirror"
    mirror(outdir)
    article_file = outdir / file_of(site["lead"].url)
    live_file = outdir / file_of(site["feed"].url)
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = launch_chromium(playwright)
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        failed = []
        page.on("requestfailed", lambda request: failed.append(request.url))
        page.goto(article_file.as_uri(), wait_until="load")
        styled = page.evaluate(
            """() => {
                const masthead = getComputedStyle(document.querySelector('.masthead'));
                return [getComputedStyle(document.body).marginTop, masthead.borderTopWidth];
            }"""
        )
        assert styled == ["0px", "4px"]
        hero = page.locator(".article__hero img")
        assert hero.evaluate("img => img.complete && img.naturalWidth") > 0
        page.screenshot(path="/tmp/mirror-article.png", full_page=True)
        # Browsers refuse module scripts from file:// (no origin to check them against), so
        # there the player is the browser's own <audio controls>; a static host runs it.
        assert [url for url in failed if not url.endswith("/player.js")] == []
        assert page.locator("audio[controls]").count() == 1

        # Searching from the masthead finds the story in the copy's own index, and its link
        # opens the copied file.
        page.fill("#masthead-q", "bridge reopens")
        page.press("#masthead-q", "Enter")
        page.wait_for_selector(".search-result a")
        assert page.locator("[data-summary]").inner_text().endswith(": 1")
        page.click(".search-result a")
        page.wait_for_load_state("load")
        assert page.url == (outdir / file_of(site["older"].url)).as_uri()
        assert page.locator("h1").inner_text() == "Bridge reopens after repairs"

        requests = []
        page.on("request", lambda request: requests.append(request.url))
        page.goto(live_file.as_uri(), wait_until="load")
        page.wait_for_timeout(1500)  # live.js would have connected by now
        assert page.locator(".mirror-note").is_visible()
        # Above the feed's header and key events, not squeezed into the updates' column.
        note = page.locator(".mirror-note").bounding_box()
        header = page.locator(".live__header").bounding_box()
        assert note["y"] + note["height"] <= header["y"]
        assert page.locator(".key-events").bounding_box()["y"] >= header["y"] + header["height"]
        assert not [url for url in requests if "events" in url or "updates.json" in url]
        browser.close()


# --- Media in a bucket (tests/s3.py: a real SeaweedFS) -------------------------------------


def sha256_of(data):
    return store.sha256_bytes(data)


@pytest.mark.parametrize("readers_fetch_from_the_bucket", [True, False])
def test_mirror_copies_media_from_the_bucket(
    s3_media, site, client, settings, tmp_path, readers_fetch_from_the_bucket
):
    if readers_fetch_from_the_bucket:
        settings.MEDIA_URL = s3_media.public_url  # another origin: the pages point there
    lead = site["lead"]
    page = client.get(lead.url).content.decode()
    assert (s3_media.public_url in page) is readers_fetch_from_the_bucket
    outdir = tmp_path / "mirror"
    summary, _ = mirror(outdir)
    assert summary.broken == 0
    problems, checked = check_links_independently(outdir)
    assert problems == [] and checked > 100
    copied = {
        path.relative_to(outdir / "media").as_posix(): sha256_of(path.read_bytes())
        for path in (outdir / "media").rglob("*")
        if path.is_file()
    }
    assert site["audio"] in copied
    assert not any(name.startswith("original_images/") for name in copied)
    bucket = s3_media.client()
    for name, value in copied.items():
        body = bucket.get_object(Bucket=s3_media.location.bucket, Key=s3_media.key(name))
        assert sha256_of(body["Body"].read()) == value, name
    article = BeautifulSoup((outdir / file_of(lead.url)).read_text(), "html.parser")
    hero = article.select_one(".article__hero img")
    assert hero["src"].startswith("../../media/images/")
    assert article.select_one("audio")["src"] == "../../media/" + site["audio"]

    again, _ = mirror(outdir)
    assert (again.rendered, again.written) == (0, 0)


def tree(outdir):
    """Every file of a copy and its bytes, the bookkeeping left out, the snapshot note's time
    (when that copy last changed, which differs between two copies by design) blanked."""
    files = {}
    for path in sorted(outdir.rglob("*")):
        name = path.relative_to(outdir).as_posix()
        if path.is_file() and not name.startswith(".mirror-"):
            data = path.read_bytes()
            if b"mirror-note" in data:
                data = re.sub(rb'(class="corrections mirror-note"[^>]*>).*?</p>', rb"\1</p>", data)
            files[name] = data
    return files


def test_a_refresh_leaves_exactly_what_a_full_rebuild_writes(transactional_db, site, tmp_path):
    """Committed data (transactional_db), so that the rebuild can render in two processes:
    the same tree whatever the number of processes, as well as whatever ran before."""
    outdir = tmp_path / "mirror"
    mirror(outdir)
    topic = site["energy"]
    new = make_article(
        "Substation rebuilt in record time",
        authors=[site["reporter"]],
        topics=[topic],
        published_at=timezone.now(),
        hero=False,
    )  # publishes, joins Related stories of the Energy articles, moves listings along
    older = site["older"]
    older.title = "Bridge reopens to lorries"  # an edit of a headline shown elsewhere
    older.save_revision().publish()
    gone = Page.objects.get(slug="grid-repair-update-3").specific
    gone.unpublish()
    post(site["feed"], "Update after the copy")

    refreshed, _ = mirror(outdir)
    assert refreshed.mode == "incremental"
    rebuilt, _ = mirror(tmp_path / "fresh", full=True, workers=2)
    assert rebuilt.workers == 2
    assert refreshed.files == rebuilt.files
    ours, theirs = tree(outdir), tree(tmp_path / "fresh")
    assert sorted(ours) == sorted(theirs)
    assert [name for name in ours if ours[name] != theirs[name]] == []
    assert file_of(new.url) in ours and file_of(gone.url) not in ours
