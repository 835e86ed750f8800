"""The source parsers (pure): every kind from our own fixtures, and what they refuse."""

from datetime import UTC, datetime

import pytest

from newsdesk.sources.parsers import FeedError, parse, sniff
from tests.sourceserver import FIXTURES


def read(name):
    return (FIXTURES / name).read_bytes()


def test_rss_items_with_full_text_and_times():
    parsed = parse("rss", read("rss.xml"))
    assert [entry.guid for entry in parsed.entries] == ["rwa-statement-2041", "rwa-statement-2040"]
    first = parsed.entries[0]
    assert first.headline == "Pumping station in Riverside district back on mains power"
    assert "Crews will flush the network overnight" in first.body  # content:encoded wins
    assert first.link == "https://water.example.org/statements/2041"
    assert first.time == datetime(2024, 1, 27, 13, 34, tzinfo=UTC)
    assert parsed.refused == []


def test_atom_html_and_xhtml_content():
    parsed = parse("atom", read("atom.xml"))
    night, bridge = parsed.entries
    assert night.guid == "urn:example:transport:news:881"
    assert (
        night.body == "<p>Two night services will run three times a week from Monday, Jan. 29.</p>"
    )
    assert night.link == "https://transport.example.gov/news/881"
    assert "<b>two days</b>" in bridge.body
    assert bridge.time == datetime(2024, 1, 26, 6, 30, tzinfo=UTC)


def test_json_feed_html_and_text():
    ferry, market = parse("jsonfeed", read("feed.json")).entries
    assert ferry.headline.startswith("Ferry crossing suspended")
    assert market.body == "Traders returned to 62 of the 70 stalls."
    assert ferry.time == datetime(2024, 1, 27, 12, 5, tzinfo=UTC)


@pytest.mark.parametrize(
    ("name", "headline", "version", "body_part"),
    [
        (
            "ninjs-1.json",
            "Grid operator reports outages in three regions",
            "1",
            "<p>More to follow.</p>",
        ),
        ("ninjs-2.json", "Grid operator reports outages in four regions", "2", "one more than"),
        ("ninjs-3.json", "Rail freight resumes on the southern line", "1", "left the port"),
    ],
)
def test_ninjs_versions(name, headline, version, body_part):
    (entry,) = parse("ninjs", read(name)).entries
    assert entry.headline == headline
    assert entry.version == version
    assert body_part in entry.body


def test_ninjs_without_uri_is_refused_with_the_reason():
    parsed = parse("ninjs", read("ninjs-missing.json"))
    assert parsed.entries == []
    assert parsed.refused == [
        "The ninjs item: it has no uri, the item's id that every ninjs version requires."
    ]


def test_ninjs_list_keeps_good_items_and_names_the_bad_one():
    data = b'[{"uri": "urn:a", "headline": "Fine"}, {"uri": "urn:b"}]'
    parsed = parse("ninjs", data)
    assert [entry.guid for entry in parsed.entries] == ["urn:a"]
    assert parsed.refused == ["ninjs item 2: urn:b has neither a headline nor a body."]


def test_newsml_text_item_and_its_update():
    (first,) = parse("newsml", read("newsml.xml")).entries
    (second,) = parse("newsml", read("newsml-2.xml")).entries
    assert first.guid == second.guid == "urn:newsml:agency.example:20240127:harvest"
    assert (first.version, second.version) == ("1", "2")
    assert first.headline == "Grain harvest estimate raised to 58 million tonnes"
    assert "<p>The agriculture ministry raised its estimate by 2 million tonnes.</p>" in first.body
    assert "ns0:" not in first.body and "xmlns" not in first.body
    assert first.time == datetime(2024, 1, 27, 11, 20, tzinfo=UTC)


def test_telegram_posts_with_text_only():
    parsed = parse("telegram", read("telegram.html"))
    assert [entry.guid for entry in parsed.entries] == [
        "oblast_admin_example/5120",
        "oblast_admin_example/5122",
    ]  # the photo without words is left out
    alert, debris = parsed.entries
    assert alert.headline == "Air raid alert in the oblast has ended."
    assert alert.link == "https://t.me/oblast_admin_example/5120"
    assert alert.time == datetime(2024, 1, 27, 0, 22, 41, tzinfo=UTC)
    assert debris.headline.endswith("…") and len(debris.headline) <= 121


@pytest.mark.parametrize(
    ("kind", "name", "message"),
    [
        ("rss", "bomb.xml", "Refused: the XML declares entities"),
        ("rss", "malformed.xml", "Not well-formed XML: mismatched tag"),
        ("rss", "bad-encoding.xml", "is the text in the encoding it declares?"),
        ("atom", "rss.xml", "Not an Atom feed: the document is <rss>."),
        ("telegram", "rss.xml", "Not a Telegram channel preview page"),
    ],
)
def test_unreadable_deliveries_raise_a_plain_error(kind, name, message):
    with pytest.raises(FeedError, match=message.replace("?", r"\?").replace("(", r"\(")):
        parse(kind, read(name))


@pytest.mark.parametrize("kind", ["ninjs", "jsonfeed"])
def test_json_in_another_encoding_is_refused(kind):
    with pytest.raises(FeedError, match=r"Not valid UTF-8: byte 17 \(0xe9\)"):
        parse(kind, b'{"headline": "caf\xe9"}')


def test_sniff_tells_dropped_files_apart():
    assert sniff(read("ninjs-1.json")) == "ninjs"
    assert sniff(read("feed.json")) == "jsonfeed"
    assert sniff(read("newsml.xml")) == "newsml"
    assert sniff(read("rss.xml")) == "rss"
    assert sniff(read("atom.xml")) == "atom"
    with pytest.raises(FeedError):
        sniff(b"PK\x03\x04 a zip file")
