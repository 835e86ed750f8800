"""Property-based tests of the feed writers (feeds/writers.py): whatever the titles, bodies,
names and links hold (control characters, lone surrogates, "]]>", markup, huge strings), RSS
and Atom are well-formed XML that says the same text, and JSON Feed is valid JSON with the
keys the specification requires. Pure: no database.
"""

import json
import re
from datetime import UTC, datetime, timedelta, timezone

import defusedxml.ElementTree as ElementTree
from hypothesis import given, settings
from hypothesis import strategies as st

from newsdesk.feeds import html as feed_html
from newsdesk.feeds.entries import Attachment, Entry, Feed, Image, Person
from newsdesk.feeds.writers import atom, json_feed, rss
from tests.fuzzing import FUZZ, TEXT_PIECES, html_fragments

# Characters XML 1.0 can carry, as the writers' own rule states them.
XML_CHARACTER = re.compile("[\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
ATOM = "{http://www.w3.org/2005/Atom}"

# Every code point, lone surrogates included: the XML writers must survive them.
any_text = st.one_of(
    st.text(st.characters(codec=None), max_size=60),
    st.lists(st.sampled_from(TEXT_PIECES), max_size=6).map("".join),
)
# What can reach the writers from the database: no lone surrogates (UTF-8 cannot store them).
stored_text = st.one_of(
    st.text(st.characters(codec="utf-8"), max_size=60),
    st.lists(st.sampled_from(TEXT_PIECES), max_size=6).map("".join),
)
moments = st.datetimes(
    min_value=datetime(1900, 1, 1),
    max_value=datetime(2200, 1, 1),
    timezones=st.sampled_from([UTC, timezone(timedelta(hours=3)), timezone(timedelta(hours=-9))]),
)


def feeds(text):
    people = st.builds(Person, name=text, url=st.one_of(st.just(""), text))
    images = st.builds(
        Image,
        url=text,
        mime_type=st.just("image/jpeg"),
        width=st.integers(1, 5000),
        height=st.integers(1, 5000),
        alt=text,
        credit=text,
    )
    attachments = st.builds(
        Attachment,
        url=text,
        mime_type=st.just("audio/mpeg"),
        size=st.integers(0, 10**9),
        duration=st.one_of(st.none(), st.floats(0.5, 10_000)),
        title=text,
    )
    entries = st.builds(
        Entry,
        id=text,
        title=text,
        link=text,
        published=moments,
        updated=moments,
        summary=text,
        content_html=st.one_of(text, html_fragments),
        authors=st.lists(people, max_size=3),
        categories=st.lists(text, max_size=3),
        image=st.one_of(st.none(), images),
        attachments=st.lists(attachments, max_size=2),
    )
    return st.builds(
        Feed,
        id=text,
        title=text,
        description=text,
        home_page_url=text,
        urls=st.fixed_dictionaries({"rss": text, "atom": text, "json": text}),
        language=st.sampled_from(["en", "uk", "de-CH"]),
        updated=moments,
        authors=st.lists(people, max_size=2),
        icon=text,
        entries=st.lists(entries, max_size=4),
    )


def as_read(text):
    """The text an XML parser gives back: no forbidden characters, line ends normalised."""
    return NOT_XML.sub("", text).replace("\r\n", "\n").replace("\r", "\n")


# Feeds are bigger examples than HTML fragments: fewer of them keep the run short.
FEEDS = settings(FUZZ, max_examples=60)


def parse(document):
    assert document.startswith(b'<?xml version="1.0" encoding="utf-8"?>')
    return ElementTree.fromstring(document)


@FEEDS
@given(feed=feeds(any_text))
def test_rss_is_well_formed_and_says_the_same(feed):
    channel = parse(rss(feed)).find("channel")
    assert (channel.findtext("title") or "") == as_read(feed.title)
    items = channel.findall("item")
    assert len(items) == len(feed.entries)
    for item, entry in zip(items, feed.entries, strict=True):
        assert (item.findtext("title") or "") == as_read(entry.title)
        assert (item.findtext("guid") or "") == as_read(entry.id)
        encoded = item.findtext("{http://purl.org/rss/1.0/modules/content/}encoded")
        assert (encoded or "") == as_read(entry.content_html)
        creators = item.findall("{http://purl.org/dc/elements/1.1/}creator")
        assert [(c.text or "") for c in creators] == [as_read(a.name) for a in entry.authors]


@FEEDS
@given(feed=feeds(any_text))
def test_atom_is_well_formed_and_says_the_same(feed):
    root = parse(atom(feed))
    assert (root.findtext(f"{ATOM}title") or "") == as_read(feed.title)
    entries = root.findall(f"{ATOM}entry")
    assert len(entries) == len(feed.entries)
    for element, entry in zip(entries, feed.entries, strict=True):
        assert (element.findtext(f"{ATOM}id") or "") == as_read(entry.id)
        assert element.find(f"{ATOM}link").get("href") == NOT_XML.sub("", entry.link)
        content = element.find(f"{ATOM}content")
        if entry.content_html:
            assert (content.text or "") == as_read(entry.content_html)
        terms = [category.get("term") for category in element.findall(f"{ATOM}category")]
        assert terms == [NOT_XML.sub("", category) for category in entry.categories]


@settings(FUZZ, max_examples=10)
@given(feed=feeds(any_text), size=st.sampled_from([100_000, 1_000_000]))
def test_huge_strings_stay_well_formed(feed, size):
    feed.title = ("]]><x>&\x00\ud800" * size)[:size]
    for entry in feed.entries:
        entry.content_html = ("<p>]]>" + "a" * size + "</p>")[:size]
    for writer in (rss, atom):
        parse(writer(feed))


JSON_FEED_ITEM_KEYS = {"id", "url", "title", "date_published", "date_modified"}


@FEEDS
@given(feed=feeds(stored_text))
def test_json_feed_is_valid_json_with_the_required_keys(feed):
    document = json_feed(feed)
    data = json.loads(document.decode("utf-8"))
    assert data["version"] == "https://jsonfeed.org/version/1.1"
    assert data["title"] == feed.title and isinstance(data["items"], list)
    assert len(data["items"]) == len(feed.entries)
    for item, entry in zip(data["items"], feed.entries, strict=True):
        assert item.keys() >= JSON_FEED_ITEM_KEYS
        assert item["id"] == entry.id and isinstance(item["id"], str)
        # JSON Feed 1.1: an item has content_html or content_text (or both).
        assert "content_html" in item or "content_text" in item
        for author in item.get("authors", []):
            assert isinstance(author["name"], str)
        for attachment in item.get("attachments", []):
            assert {"url", "mime_type"} <= attachment.keys()


@settings(FUZZ, max_examples=60)
@given(markup=html_fragments, title=any_text)
def test_cleaned_article_html_in_xml_feeds_reads_back_as_it_was(markup, title):
    """The path article bodies take: clean() for the reader, then the XML writers."""
    cleaned = feed_html.clean(markup, "https://news.example.org/a/")
    entry = Entry(
        id="urn:x",
        title=title,
        link="https://news.example.org/a/",
        published=datetime(2025, 5, 1, tzinfo=UTC),
        updated=datetime(2025, 5, 1, tzinfo=UTC),
        summary="",
        content_html=cleaned,
    )
    feed = Feed(
        id="urn:f",
        title="F",
        description="",
        home_page_url="https://news.example.org/",
        urls={"rss": "r", "atom": "a", "json": "j"},
        language="en",
        updated=datetime(2025, 5, 1, tzinfo=UTC),
        entries=[entry],
    )
    content = parse(atom(feed)).find(f"{ATOM}entry/{ATOM}content")
    assert (content is None) == (not cleaned)
    if cleaned:
        assert (content.text or "") == as_read(cleaned)
