"""RSS descriptions are HTML to feed readers and podcast apps: plain text (a standfirst, a
live update's opening words, a feed's title) must be escaped there, or markup typed into it
comes alive in every reader that does not sanitise. Found by tests/test_xss_corpus.py.
No database: the podcast feed is given the two fields it reads."""

import json
import xml.etree.ElementTree as ET
from datetime import UTC, datetime
from types import SimpleNamespace

from newsdesk.feeds import writers
from newsdesk.feeds.entries import Entry, Feed
from newsdesk.narration.podcast import PodcastFeed

HOSTILE = '<img src=x onerror="alert(1)"> Fish & chips'
MOMENT = datetime(2025, 3, 14, 10, 0, tzinfo=UTC)


def feed_with(summary, description=""):
    entry = Entry(
        id="urn:x",
        title=HOSTILE,
        link="https://news.example.org/a/",
        published=MOMENT,
        updated=MOMENT,
        summary=summary,
        content_html="",
    )
    return Feed(
        id="urn:f",
        title=HOSTILE,
        description=description,
        home_page_url="https://news.example.org/",
        urls={"rss": "r", "atom": "a", "json": "j"},
        language="en",
        updated=MOMENT,
        entries=[entry],
    )


def test_rss_descriptions_carry_plain_text_as_escaped_html():
    channel = ET.fromstring(writers.rss(feed_with(HOSTILE))).find("channel")
    # The channel falls back to the title, which is plain text too.
    for description in (channel.findtext("description"), channel.findtext("item/description")):
        assert description == '&lt;img src=x onerror="alert(1)"&gt; Fish &amp; chips'


def test_atom_and_json_feed_keep_plain_text_as_text():
    root = ET.fromstring(writers.atom(feed_with(HOSTILE)))
    summary = root.find("{http://www.w3.org/2005/Atom}entry/{http://www.w3.org/2005/Atom}summary")
    assert (summary.get("type"), summary.text) == ("text", HOSTILE)
    item = json.loads(writers.json_feed(feed_with(HOSTILE)))["items"][0]
    assert item["summary"] == HOSTILE and "content_html" not in item


def test_podcast_episode_descriptions_carry_the_standfirst_as_escaped_html():
    # item_description reads only these two fields of the narrated article.
    narration = SimpleNamespace(article=SimpleNamespace(standfirst=HOSTILE, search_description=""))
    description = PodcastFeed().item_description(narration)
    assert description == '&lt;img src=x onerror="alert(1)"&gt; Fish &amp; chips'
