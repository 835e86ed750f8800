"""Property-based tests of every HTML sanitiser: over nested, broken, hostile HTML, the output
never holds script, event handlers, styles or script URLs, and cleaning twice changes nothing.

The sanitisers: feed and read-API HTML (feeds/html.py clean), imported HTML (importer/
sanitise.py), plain text made into live update paragraphs (live/text.py), rich text sent to the
live API (Wagtail's APIRichText with the live update features) and search input
(search/query.py). No database: these are pure functions, or Wagtail's without a query.
"""

import html
import re
from zoneinfo import ZoneInfo

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from newsdesk.feeds import html as feed_html
from newsdesk.importer import htmlpage, sanitise
from newsdesk.live import api
from newsdesk.live.text import paragraphs
from newsdesk.search import query
from tests.fuzzing import FUZZ, HOSTILE_URLS, html_fragments, parsed_tags, unsafe_parts

BASE = "https://news.example.org/2025/05/story/"
bases = st.sampled_from([BASE, "https://news.example.org/", "http://127.0.0.1:8000/live/x/"])
# Hand-picked inputs every run tries first, whatever the strategy draws.
KNOWN_TRICKS = [
    "<scr<script>ipt>alert(1)</script>",
    '<a href="jav&#x09;ascript:alert(1)">x</a>',
    '<a href=" &#14;javascript:alert(1)">x</a>',
    "<img src=x onerror=alert(1)//>",
    "<svg><script>alert(1)</script></svg>",
    "<math><mtext><table><mglyph><style><img src=x onerror=alert(1)>",
    '<a href="https://example.org/" onclick="alert(1)">ok</a>',
    '<p style="background:url(javascript:alert(1))">x</p>',
    '<noscript><p title="</noscript><img src=x onerror=alert(1)>"></noscript>',
    "<!--><script>alert(1)</script>-->",
    "<template><script>alert(1)</script></template><b>after</b>",
    '<a href="data:text/html,<script>alert(1)</script>">x</a>',
    "<p>]]><![CDATA[<script>alert(1)</script>]]></p>",
    # Kept by Wagtail's whitelist as they came; a browser ends them at the first ">".
    "<p><![CDATA[><script>alert(1)</script>]]></p>",
    "<![CDATA[><img src=x onerror=alert(1)>]]>",
    "<p><?x ><img src=x onerror=alert(1)>?></p>",
    "<p><!DOCTYPE html><!ELEMENT ><img src=x onerror=alert(1)>></p>",
]


def with_tricks(test, **other_arguments):
    for trick in KNOWN_TRICKS:
        test = example(markup=trick, **other_arguments)(test)
    return test


def with_tricks_at(base):
    return lambda test: with_tricks(test, base=base)


# --- feeds/html.py -------------------------------------------------------------------------


@FUZZ
@given(markup=html_fragments, base=bases)
@with_tricks_at(BASE)
def test_feed_clean_is_safe_and_idempotent(markup, base):
    cleaned = feed_html.clean(markup, base)
    assert unsafe_parts(cleaned) == []
    assert feed_html.clean(cleaned, base) == cleaned
    for tag, attrs in parsed_tags(cleaned):
        assert tag in feed_html.ALLOWED
        assert set(attrs) <= feed_html.ALLOWED[tag]
        for name in attrs.keys() & feed_html.URL_ATTRIBUTES:
            assert attrs[name].startswith(("http://", "https://", "mailto:", "tel:")), attrs


@FUZZ
@given(text=st.text(st.characters(codec=None), max_size=200), base=bases)
def test_feed_clean_keeps_plain_text_as_text(text, base):
    """Text without markup comes out escaped and otherwise whole."""
    text = text.replace("<", "").replace("&", "")
    assert html.unescape(feed_html.clean(text, base)) == text


# --- importer/sanitise.py ------------------------------------------------------------------

PARAGRAPH_TAGS = {"p", "b", "i", "br", "a", "ul", "ol", "li"}


@FUZZ
@given(markup=html_fragments)
@with_tricks
def test_imported_html_is_safe_and_stable(markup):
    blocks = sanitise.blocks_from_html(markup)
    for kind, value in blocks:
        assert kind in {"paragraph", "heading", "quote"}
        assert "\x00" not in str(value)  # PostgreSQL cannot store it
        if kind != "paragraph":
            assert value["text"] == value["text"].strip() and value["text"]
            continue
        assert unsafe_parts(value) == []
        for tag, attrs in parsed_tags(value):
            assert tag in PARAGRAPH_TAGS
            assert set(attrs) <= ({"href"} if tag == "a" else set())
        # Imported once, imported again: a paragraph block is its own fixed point.
        assert sanitise.blocks_from_html(value) == [(kind, value)]


@FUZZ
@given(markup=html_fragments)
@with_tricks
def test_imported_plain_text_is_stable(markup):
    text = sanitise.plain_text(markup)
    assert text == text.strip() and "  " not in text and "\x00" not in text
    assert not re.search(r"\s{2,}", text)
    assert sanitise.plain_text(html.escape(text)) == text


@FUZZ
@given(url=st.one_of(st.sampled_from(HOSTILE_URLS), st.text()))
def test_safe_href_passes_only_absolute_safe_links(url):
    kept = sanitise.safe_href(url)
    if kept is not None:
        assert unsafe_parts(f'<a href="{html.escape(kept)}">x</a>') == []
        assert sanitise.safe_href(kept) == kept


def test_a_page_with_nul_characters_imports_without_them():
    """They reached headlines and bylines through <title> and <meta>, and PostgreSQL refused
    the whole story."""
    page = (
        b"<html><head><title>Dam\x00 holds</title>"
        b'<meta property="article:published_time" content="2025-05-01T10:00:00+00:00">'
        b'<meta name="author" content="Desk\x00 One"></head><body><article><h1>Dam holds</h1>'
        b"<p>The dam\x00 held overnight, officials said on Monday after a night of rain.</p>"
        b"</article></body></html>"
    )
    story = htmlpage.read_page(page, ZoneInfo("UTC"))
    assert (story.headline, story.authors) == ("Dam holds", ("Desk One",))
    assert "\x00" not in repr(story.body)


# --- live/text.py ----------------------------------------------------------------------------


@FUZZ
@given(text=st.text(st.characters(codec=None), max_size=300))
def test_live_paragraphs_hold_only_escaped_text(text):
    markup = paragraphs(text)
    assert {tag for tag, _ in parsed_tags(markup)} <= {"p"}
    inner = re.findall(r"<p>(.*?)</p>", markup, re.DOTALL)
    assert "".join(f"<p>{part}</p>" for part in inner) == markup
    expected = [block.strip() for block in text.replace("\r\n", "\n").split("\n\n")]
    assert [html.unescape(part) for part in inner] == [block for block in expected if block]


# --- the live API's rich text (Wagtail's whitelist with the live update features) ------------


def live_rich_text(markup, body_format="html"):
    """The body as the live API stores it: Wagtail's whitelist, then our own pass."""
    cleaned, _warnings, error = api._parse_body({"format": body_format, "content": markup})
    assert error is None
    return cleaned


@FUZZ
@given(markup=html_fragments)
@with_tricks
def test_live_api_html_is_safe_and_idempotent(markup):
    cleaned = live_rich_text(markup)
    assert unsafe_parts(cleaned) == []
    assert live_rich_text(cleaned) == cleaned


@FUZZ
@given(markup=html_fragments)
@with_tricks
def test_live_api_markdown_is_safe(markup):
    assert unsafe_parts(live_rich_text(markup, "markdown")) == []


# --- search/query.py -----------------------------------------------------------------------


@FUZZ
@given(raw=st.text(st.characters(codec=None), max_size=1000))
def test_search_text_is_clean_bounded_and_stable(raw):
    text = query.clean_text(raw)
    assert len(text) <= query.MAX_QUERY_CHARS
    assert not re.search(r"[\x00-\x1f\x7f-\x9f]", text)
    assert query.clean_text(text) == text
    parsed = query.parse(raw)
    assert len(parsed.terms) <= query.MAX_TERMS
    assert all(term and " " not in term for term in parsed.terms)
    assert query.parse(text).terms == parsed.terms


@pytest.mark.parametrize(
    "markup",
    [
        "<script>x</script>",
        "<ScRiPt>",
        "<p onclick=x>",
        '<p style="x">',
        '<a href="javascript:x">',
        '<a href=" JAVA&#09;SCRIPT:x">',
        '<img src="data:text/html,x">',
        "<iframe src=https://example.org/>",
        "<svg>",
    ],
)
def test_the_safety_check_sees_what_it_looks_for(markup):
    assert unsafe_parts(markup) != []


@pytest.mark.parametrize(
    "markup",
    ['<a href="https://example.org/?a=b:c">x</a>', '<a href="/x">y</a>', "<p>&lt;script&gt;</p>"],
)
def test_the_safety_check_passes_safe_markup(markup):
    assert unsafe_parts(markup) == []
