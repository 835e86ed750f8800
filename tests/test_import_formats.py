"""`newsdesk import` with saved HTML pages and WordPress exports, and the HTML sanitiser."""

import io
import shutil
from datetime import UTC, datetime
from io import StringIO
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from bs4 import BeautifulSoup
from django.core.management import CommandError, call_command
from PIL import Image as PillowImage
from wagtail.contrib.redirects.models import Redirect

from newsdesk.articles.models import ArticlePage, Author, Topic
from newsdesk.importer.data import SourceError
from newsdesk.importer.htmlpage import read_page
from newsdesk.importer.sanitise import blocks_from_html
from newsdesk.importer.sources import detect_format
from newsdesk.importer.wxr import read_export

FIXTURES = Path(__file__).parent / "fixtures" / "import"
KYIV = ZoneInfo("Europe/Kyiv")
ALLOWED_TAGS = {"p", "b", "i", "a", "br", "ul", "ol", "li"}


def run(*args):
    out, err = StringIO(), StringIO()
    call_command("import", *[str(arg) for arg in args], stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def png(path, color=(200, 40, 40)):
    path.parent.mkdir(parents=True, exist_ok=True)
    buffer = io.BytesIO()
    PillowImage.new("RGB", (64, 40), color).save(buffer, format="PNG")
    path.write_bytes(buffer.getvalue())


def assert_safe_rich_text(markup):
    """Only the allow-listed tags, and no attribute but a link's http(s)/mailto/tel href."""
    for tag in BeautifulSoup(markup, "html.parser").find_all(True):
        assert tag.name in ALLOWED_TAGS, markup
        allowed = {"href"} if tag.name == "a" else set()
        assert set(tag.attrs) <= allowed, markup
        if tag.name == "a":
            assert tag["href"].startswith(("http:", "https:", "mailto:", "tel:")), markup


def assert_no_live_payload(page_html):
    """The rendered page runs nothing the source brought: no handlers, no javascript: links."""
    soup = BeautifulSoup(page_html, "html.parser")
    for tag in soup.find_all(True):
        assert not [name for name in tag.attrs if name.lower().startswith("on")], tag
        for name in ("href", "src", "action", "formaction"):
            value = str(tag.get(name) or "").replace(" ", "").lower()
            assert not value.startswith(("javascript:", "data:text/html")), tag
    for script in soup.find_all("script"):
        assert "alert" not in (script.string or "")
    assert not soup.find_all(["iframe", "object", "embed"])


# --- formats ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "expected"),
    [("reference.txt", "text"), ("article.html", "html"), ("export.xml", "wxr")],
)
def test_formats_are_detected_from_content(name, expected, tmp_path):
    renamed = tmp_path / "no-suffix"
    shutil.copy(FIXTURES / name, renamed)
    assert detect_format(renamed, renamed.read_bytes()) == expected


# --- the sanitiser -------------------------------------------------------------------------

XSS = [
    '<script>alert(1)</script>',
    '<img src=x onerror=alert(1)>',
    '<p onclick="alert(1)">click</p>',
    '<a href="javascript:alert(1)">js</a>',
    '<a href="JaVaScRiPt:alert(1)">js</a>',
    '<a href="jav&#x09;ascript:alert(1)">js</a>',
    '<a href=" &#14; javascript:alert(1)">js</a>',
    '<a href="data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==">data</a>',
    '<a href="vbscript:msgbox(1)">vb</a>',
    '<svg onload=alert(1)><circle r="1"/></svg>',
    '<iframe src="javascript:alert(1)"></iframe>',
    '<iframe srcdoc="&lt;script&gt;alert(1)&lt;/script&gt;"></iframe>',
    '<math><mtext><table><mglyph><style><img src=x onerror=alert(1)></style></mglyph></table>'
    "</mtext></math>",
    '<noscript><p title="</noscript><img src=x onerror=alert(1)>"></noscript>',
    '<b style="background:url(javascript:alert(1))">styled</b>',
    '<form action="javascript:alert(1)"><button>go</button></form>',
    '<object data="javascript:alert(1)"></object><embed src="javascript:alert(1)">',
    '<details open ontoggle=alert(1)>x</details>',
    '<a href="https://ok.example/" onmouseover="alert(1)" style="x">ok</a>',
    '<!--<img src=x onerror=alert(1)>-->',
]  # fmt: skip


@pytest.mark.parametrize("payload", XSS)
def test_sanitiser_keeps_no_active_content(payload):
    blocks = blocks_from_html(f"<p>before</p>{payload}<p>after {payload}</p>")
    assert blocks[0] == ("paragraph", "<p>before</p>")
    for kind, value in blocks:
        if kind == "paragraph":
            assert_safe_rich_text(value)
        else:  # headings and quotations are plain text, escaped when shown
            assert isinstance(value["text"], str)


SANITISED = [
    ("<p>One <strong>two</strong> <em>three</em></p>", ["<p>One <b>two</b> <i>three</i></p>"]),
    ("First\n\nSecond", ["<p>First</p>", "<p>Second</p>"]),
    ('<a href="/relative">old link</a>', ["<p>old link</p>"]),
    ('<a href="mailto:d@example.org">mail</a>', ['<p><a href="mailto:d@example.org">mail</a></p>']),
    ("<p>   </p><p>&lt;tag&gt; &amp; text</p>", ["<p>&lt;tag&gt; &amp; text</p>"]),
    ("<ol><li>a</li><li><ul><li>b</li></ul></li></ol>", ["<ol><li>a</li><li>b</li></ol>"]),
    ("line<br><br>next", ["<p>line</p>", "<p>next</p>"]),
]


@pytest.mark.parametrize(("markup", "paragraphs"), SANITISED)
def test_sanitiser_paragraphs(markup, paragraphs):
    assert blocks_from_html(markup) == [("paragraph", html) for html in paragraphs]


def test_sanitiser_headings_and_quotes():
    assert blocks_from_html(
        "<h3>Sub</h3><h1>Top</h1><blockquote><p>A</p><p>B</p></blockquote>"
    ) == [
        ("heading", {"text": "Sub", "level": "h3"}),
        ("heading", {"text": "Top", "level": "h2"}),
        ("quote", {"text": "A B", "attribution": ""}),
    ]


# --- HTML pages ----------------------------------------------------------------------------


def test_html_page_metadata_and_text():
    story = read_page((FIXTURES / "article.html").read_bytes(), KYIV)
    assert story.source_key == "url:https://courier.example/news/brid-river-ferry-returns/"
    assert story.headline == "Brid River ferry returns after winter break"
    assert story.authors == ("Petro Savchuk", "Zelenobrid news desk")
    assert story.published == datetime(2025, 4, 11, 15, 20, tzinfo=UTC)
    assert (story.caption, story.credit) == (
        "The ferry Lastivka at the Lukivka pier on April 10, 2025.",
        "Petro Savchuk",
    )
    assert story.topics == ("Transport", "Brid River")
    assert story.image.url == "https://courier.example/media/ferry.jpg"
    assert [kind for kind, _ in story.body] == [
        "paragraph", "paragraph", "heading", "paragraph", "paragraph", "quote",
    ]  # fmt: skip
    text = " ".join(str(value) for _, value in story.body)
    for furniture in ("AI assistance", "Share", "Related", "Home", "©", "by Petro", "Author:"):
        assert furniture not in text
    assert story.footer_author == "Petro Savchuk"


def test_html_page_without_article_markup_gives_the_main_text():
    """A layout of nested <div>s, no <article> or <main>: trafilatura finds the text and leaves
    the menu, share bar, comments, "most read" box, newsletter box and footer out."""
    story = read_page((FIXTURES / "no_article_markup.html").read_bytes(), KYIV)
    assert story.source_key == "url:https://lukivka.example/city/night-buses-three-routes"
    assert story.authors == ("Halyna Moroz",)
    assert [kind for kind, _ in story.body] == ["paragraph"] * 3
    assert story.body[0][1].startswith("<p>Lukivka will run night buses on routes 2, 7 and 11")
    assert "<i>monthly passes</i>" in story.body[1][1]
    assert '<a href="https://lukivka.example/council/transport">look at' in story.body[2][1]
    text = " ".join(str(value) for _, value in story.body)
    furniture = ["Home", "Search", "Share", "comments", "Ivan", "Most read", "bakery"]
    furniture += ["Newsletter", "Copyright", "injected", "Halyna Moroz, 2 May", "night bus leaves"]
    for words in furniture:
        assert words not in text
    # Without JSON-LD the caption comes from the page's <figcaption>, its credit split off.
    assert (story.caption, story.credit) == (
        "A night bus leaves the depot on Mira Street on May 1, 2025.",
        "Lukivka Today",
    )


def test_html_page_with_control_characters_keeps_its_text():
    # lxml (under trafilatura) cannot hold these; one of them used to empty the whole page.
    html = (FIXTURES / "article.html").read_text()
    html = html.replace("<p>The river ferry", '<p title="a&#14;b">The river\x01 ferry')
    story = read_page(html.encode(), KYIV)
    assert story.body[0][1].startswith("<p>The river ferry between Zelenobrid and Lukivka")
    assert len(story.body) == 6


def test_html_page_without_text_is_refused():
    html = (FIXTURES / "article.html").read_text()
    start, end = html.index("<body>"), html.index("</body>")
    html = html[:start] + "<body><nav><a href='/'>Home</a></nav>" + html[end:]
    with pytest.raises(SourceError, match="no article text"):
        read_page(html.encode(), KYIV)


@pytest.mark.parametrize(
    ("remove", "message"),
    [
        ('"datePublished": "2025-04-11T18:20:00+03:00",', "no publication date"),
        ('"author": [', "no author"),
    ],
)
def test_html_page_without_required_metadata(remove, message):
    html = (FIXTURES / "article.html").read_text()
    html = html.replace(
        '<meta property="article:published_time" content="2025-04-11T18:20:00+03:00">', ""
    )
    if remove == '"author": [':
        html = html.replace('<meta name="author" content="Somebody Else">', "")
        start = html.index('"author": [')
        html = html[:start] + html[html.index('"image"') :]
    else:
        html = html.replace(remove, "")
    with pytest.raises(SourceError, match=message):
        read_page(html.encode(), KYIV)


@pytest.mark.django_db
def test_html_import_is_idempotent_and_skips_remote_images():
    out, err = run(FIXTURES / "article.html", "--publish", "--fetch-images")
    assert "created topic /topics/transport/" in out and "created article" in out
    assert "host 'courier.example' is not allowed" in err
    article = ArticlePage.objects.get()
    assert article.live and article.hero_image is None
    assert article.standfirst.startswith("The river ferry between")
    assert sorted(topic.name for topic in article.topics.all()) == ["Brid River", "Transport"]
    assert Author.objects.get(name="Zelenobrid news desk").kind == "desk"
    out, _ = run(FIXTURES / "article.html", "--publish", "--fetch-images")
    assert {line.split()[0] for line in out.splitlines()[:-1]} == {"unchanged"}


@pytest.mark.django_db
def test_html_import_fetches_a_local_image(tmp_path):
    page = tmp_path / "ferry.html"
    page.write_text(
        (FIXTURES / "article.html")
        .read_text()
        .replace("https://courier.example/media/ferry.jpg", "media/ferry.png")
    )
    png(tmp_path / "media" / "ferry.png")
    out, _ = run(page, "--publish", "--fetch-images")
    assert "created image " in out
    article = ArticlePage.objects.get()
    assert article.hero_image.credit == "Petro Savchuk"
    assert article.hero_alt == "A white ferry at a wooden pier"
    out, _ = run(page, "--publish", "--fetch-images")
    assert "unchanged article" in out


@pytest.mark.django_db
def test_html_local_images_must_stay_under_the_source_folder(tmp_path):
    outside = tmp_path / "outside.png"
    png(outside)
    folder = tmp_path / "pages"
    folder.mkdir()
    page = folder / "ferry.html"
    html = (FIXTURES / "article.html").read_text()
    page.write_text(html.replace("https://courier.example/media/ferry.jpg", "../outside.png"))
    _, err = run(page, "--fetch-images")
    assert "must be under" in err
    assert ArticlePage.objects.get().hero_image is None


XSS_PAGE = """<!doctype html><html><head>
<title>x</title>
<meta property="og:title" content="Ferry &lt;img src=x onerror=alert(1)&gt; news">
<meta property="article:published_time" content="2025-04-11T18:20:00+03:00">
<meta name="author" content="&lt;script&gt;alert(1)&lt;/script&gt;Iryna Bondar">
<meta property="article:section" content="&lt;b onclick=alert(1)&gt;Transport&lt;/b&gt;">
</head><body><article>
<figure><figcaption>Caption <img src=x onerror=alert(1)>
(Credit<script>alert(1)</script>)</figcaption></figure>
<p>Safe paragraph.</p>
PAYLOADS
</article></body></html>"""


@pytest.mark.django_db
def test_html_xss_payloads_never_survive(tmp_path, client):
    page = tmp_path / "xss.html"
    page.write_text(XSS_PAGE.replace("PAYLOADS", "\n".join(f"<p>p {p}</p>{p}" for p in XSS)))
    run(page, "--publish")
    article = ArticlePage.objects.get()
    assert article.title == "Ferry news"
    assert [author.name for author in article.authors] == ["Iryna Bondar"]
    for block in article.body:
        if block.block_type == "paragraph":
            assert_safe_rich_text(block.value["text"].source)
    response = client.get(article.url)
    assert response.status_code == 200
    assert_no_live_payload(response.content.decode())


# --- WordPress exports ---------------------------------------------------------------------


def test_wxr_posts_are_read_and_other_items_skipped():
    stories = read_export((FIXTURES / "export.xml").read_bytes(), KYIV)
    assert [story.headline for story in stories] == [
        "Pumping station on Richkova Street back in service",
        "Night buses: three new routes from April",
        "Draft: school canteen prices",
    ]
    first, second, draft = stories
    assert first.authors == ("Olha Kravets",) and second.authors == ("Evening Post city desk",)
    assert first.published == datetime(2025, 3, 18, 8, 5, tzinfo=UTC)
    assert draft.published == datetime(2025, 3, 21, 9, 0, tzinfo=KYIV)  # no GMT date: local
    assert first.topics == ("City", "Water") and second.topics == ("City", "Transport")
    assert (first.caption, first.credit) == (
        "Engineers test a new pump on Richkova Street.",
        "Zelenobrid Water Utility",
    )
    assert first.image.alt == "Two engineers beside a blue pump"
    assert [value for _, value in second.body] == [
        "<p>Three night bus routes will start on April 1, the transport department said.</p>",
        "<p>The buses will run every 40 minutes between midnight and 5 a.m. "
        "Tickets cost the same as in the daytime.</p>",
    ]
    assert (first.line, second.line, draft.line) == (16, 43, 65)
    assert draft.publish is False and draft.old_urls == ()


@pytest.mark.django_db
def test_wxr_import(client, tmp_path):
    export = tmp_path / "export.xml"
    shutil.copy(FIXTURES / "export.xml", export)
    png(tmp_path / "uploads" / "2025" / "03" / "pump-station.png")
    out, err = run(export, "--publish", "--fetch-images")
    assert not err.strip() or "no photo" in err
    pages = {page.slug: page for page in ArticlePage.objects.all()}
    assert set(pages) == {"pumping-station-back", "night-buses", "draft-school-canteen-prices"}
    pump = pages["pumping-station-back"]
    assert pump.live and pages["night-buses"].live and not pages["draft-school-canteen-prices"].live
    assert pump.hero_image is not None and pump.hero_alt == "Two engineers beside a blue pump"
    assert pump.hero_caption == "Engineers test a new pump on Richkova Street."
    assert pump.standfirst == "Repairs took 11 days."
    assert sorted(Topic.objects.values_list("name", flat=True)) == ["City", "Transport", "Water"]
    assert Author.objects.get(name="Evening Post city desk").kind == "desk"
    assert "created redirect /2025/03/pumping-station-back" in out
    response = client.get("/2025/03/pumping-station-back/")
    assert response.status_code == 301 and response["Location"].endswith(pump.url)
    out, _ = run(export, "--publish", "--fetch-images")
    assert {line.split()[0] for line in out.splitlines()[:-1]} == {"unchanged"}
    assert Redirect.objects.count() == 2


@pytest.mark.django_db
def test_wxr_is_all_or_nothing(tmp_path):
    broken = (
        (FIXTURES / "export.xml").read_text().replace("2025-03-20 20:40:00", "2025-13-45 99:00:00")
    )
    export = tmp_path / "broken.xml"
    export.write_text(broken)
    err = StringIO()
    with pytest.raises(CommandError):
        call_command("import", str(export), stdout=StringIO(), stderr=err)
    assert (
        f"{export}:43: 'Night buses: three new routes from April': '2025-13-45 99:00:00'"
        in err.getvalue()
    )
    assert not ArticlePage.objects.exists() and not Author.objects.exists()


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            '<?xml version="1.0"?>\n<rss>\n<channel>\n<item></channel></rss>',
            "line 4: not well-formed XML: mismatched tag",
        ),
        (
            '<?xml version="1.0"?><!DOCTYPE rss [<!ENTITY a "aaaa"><!ENTITY b "&a;&a;&a;">]>'
            "<rss><channel><title>&b;</title></channel></rss>",
            "refused for safety",
        ),
        (
            '<?xml version="1.0"?><!DOCTYPE rss [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
            "<rss><channel><title>&x;</title></channel></rss>",
            "refused for safety",
        ),
        ('<?xml version="1.0"?><rss><channel></channel></rss>', "no posts"),
        ('<?xml version="1.0"?><feed></feed>', "not a WordPress export"),
    ],
)
def test_wxr_malformed(text, message):
    with pytest.raises(SourceError) as caught:
        read_export(text.encode(), KYIV)
    assert message in str(caught.value)


WXR_XSS = """<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0" xmlns:content="http://purl.org/rss/1.0/modules/content/"
  xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:wp="http://wordpress.org/export/1.2/">
<channel>
<wp:author><wp:author_login>x</wp:author_login>
<wp:author_display_name><![CDATA[<img src=x onerror=alert(1)>Oksana Dziuba]]>
</wp:author_display_name></wp:author>
<item>
<title><![CDATA[<script>alert(1)</script>Market reopens]]></title>
<link>javascript:alert(1)</link>
<dc:creator>x</dc:creator>
<guid>https://evening.example/?p=7</guid>
<content:encoded><![CDATA[PAYLOADS]]></content:encoded>
<wp:post_date_gmt>2025-03-18 08:05:00</wp:post_date_gmt>
<wp:status>publish</wp:status>
<wp:post_type>post</wp:post_type>
<category domain="category" nicename="x"><![CDATA[<b onmouseover=alert(1)>Markets</b>]]></category>
</item>
</channel></rss>"""


@pytest.mark.django_db
def test_wxr_xss_payloads_never_survive(tmp_path, client):
    export = tmp_path / "xss.xml"
    export.write_text(WXR_XSS.replace("PAYLOADS", "Plain words.\n\n" + "\n\n".join(XSS)))
    out, _ = run(export, "--publish")
    article = ArticlePage.objects.get()
    assert article.title == "Market reopens"
    assert [author.name for author in article.authors] == ["Oksana Dziuba"]
    assert Topic.objects.get().name == "Markets"
    assert "redirect" not in out
    for block in article.body:
        if block.block_type == "paragraph":
            assert_safe_rich_text(block.value["text"].source)
    response = client.get(article.url)
    assert_no_live_payload(response.content.decode())
