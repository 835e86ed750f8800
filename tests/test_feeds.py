"""Site, topic, author and live feeds: formats, stable ids, content, conditional requests."""

import json
import xml.etree.ElementTree as ET
from datetime import UTC, datetime, timedelta
from pathlib import Path

import feedparser
import numpy as np
import pytest
from bs4 import BeautifulSoup
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.management import call_command
from django.utils import timezone
from django.utils.http import http_date

from newsdesk.feeds import writers
from newsdesk.feeds.entries import Attachment, Entry, Feed, Image, Person
from newsdesk.feeds.html import clean
from newsdesk.narration.audio import encode_mp3
from newsdesk.narration.models import AudioStatus, Narration
from tests.factories import (
    make_article,
    make_author,
    make_image,
    make_live_feed,
    make_topic,
    paragraphs,
    post,
)

pytestmark = pytest.mark.django_db

BASE = "http://127.0.0.1:8000"
FILES = {"rss": "rss.xml", "atom": "atom.xml", "json": "feed.json"}
NS = {
    "atom": "http://www.w3.org/2005/Atom",
    "content": "http://purl.org/rss/1.0/modules/content/",
    "dc": "http://purl.org/dc/elements/1.1/",
    "media": "http://search.yahoo.com/mrss/",
}
SCHEMA = Path(__file__).parent / "data" / "jsonfeed-1.1.schema.json"
PUBLISHED = datetime(2024, 1, 27, 13, 34, tzinfo=UTC)  # 3:34 PM in Kyiv
# Queries for a whole feed, however many entries: view restrictions, the version, the
# articles, their hero renditions, bylines, topics, corrections, the pages that rich text
# links to (two), body images and their renditions; a topic or author feed adds the topic or
# author. A live feed: view restrictions, the page, the version (with the pictures' credits:
# a library image changes without the update), the updates, their authors, corrections and
# image renditions.
SITE_FEED_QUERIES = 11
LIVE_FEED_QUERIES = 8


@pytest.fixture(autouse=True)
def _base_url(settings):
    settings.NEWSDESK_BASE_URL = BASE
    settings.NEWSDESK_FEED_CONTENT = "full"


def get(client, url, **headers):
    response = client.get(url, **headers)
    assert response.status_code == 200, (url, response.status_code)
    return response


def parsed(client, url):
    """The feed as feedparser reads it; feedparser 6 cannot read JSON Feed, so a JSON feed is
    read here into the same shape after passing the JSON Feed 1.1 schema."""
    content = get(client, url).content
    if url.endswith(".json"):
        return json_as_parsed(content)
    result = feedparser.parse(content)
    assert result.bozo == 0, result.get("bozo_exception")
    return result


def json_as_parsed(content):
    data = json.loads(content)
    validate_json_feed(data)
    entries = [
        feedparser.FeedParserDict(
            id=item["id"],
            title=item.get("title", ""),
            link=item.get("url", ""),
            summary=item.get("summary", ""),
        )
        for item in data["items"]
    ]
    feed = feedparser.FeedParserDict(title=data["title"], link=data.get("home_page_url"))
    return feedparser.FeedParserDict(version="json11", feed=feed, entries=entries, bozo=0)


def story(title="Dam gates opened", **fields):
    """An article with a standfirst, two topics, a hero photo and a rich body."""
    fields.setdefault("standfirst", "Water released downstream after a week of rain.")
    fields.setdefault("published_at", PUBLISHED)
    return make_article(title, **fields)


def narrate(article):
    """A finished narration, made by hand: one second of silence as a real MP3."""

    mp3 = encode_mp3(np.zeros(22050, dtype=np.int16), 22050)
    default_storage.save(f"narration/test-{article.pk}.mp3", ContentFile(mp3))
    # Publishing queued a pending job already; this one is finished.
    narration, _ = Narration.objects.update_or_create(
        article=article,
        defaults={
            "status": AudioStatus.READY,
            "audio": f"narration/test-{article.pk}.mp3",
            "audio_bytes": len(mp3),
            "duration": 1.0,
            "audio_updated_at": timezone.now(),
        },
    )
    return narration


# --- The three formats ---------------------------------------------------------------------


def test_rss_has_the_required_elements(client):
    article = story(topics=[make_topic("Floods")], authors=[make_author("Olena Koval")])
    response = get(client, "/feeds/rss.xml")
    assert response["Content-Type"] == "application/rss+xml; charset=utf-8"
    channel = ET.fromstring(response.content).find("channel")
    assert channel.findtext("title") == "Newsdesk"
    assert channel.findtext("link") == f"{BASE}/"
    assert channel.findtext("lastBuildDate").endswith(("+0200", "+0300"))  # Kyiv time
    assert channel.findtext("description")
    assert channel.find("atom:link", NS).get("href") == f"{BASE}/feeds/rss.xml"
    (item,) = channel.findall("item")
    assert item.findtext("title") == "Dam gates opened"
    assert item.findtext("link") == f"{BASE}{article.url}"
    assert item.find("guid").get("isPermaLink") == "false"
    assert item.findtext("guid") == f"urn:uuid:{article.translation_key}"
    assert item.findtext("pubDate") == "Sat, 27 Jan 2024 15:34:00 +0200"
    assert item.findtext("description") == article.standfirst
    assert item.findtext("dc:creator", namespaces=NS) == "Olena Koval"
    assert item.findtext("category") == "Floods"
    result = parsed(client, "/feeds/rss.xml")
    assert result.version == "rss20"
    assert result.entries[0].published_parsed[:5] == (2024, 1, 27, 13, 34)


def test_atom_has_the_required_elements(client):
    article = story(authors=[make_author("Olena Koval")])
    response = get(client, "/feeds/atom.xml")
    assert response["Content-Type"] == "application/atom+xml; charset=utf-8"
    feed = ET.fromstring(response.content)
    assert feed.findtext("atom:id", namespaces=NS).startswith("urn:uuid:")
    assert feed.findtext("atom:title", namespaces=NS) == "Newsdesk"
    assert feed.findtext("atom:updated", namespaces=NS)
    assert feed.find("atom:link[@rel='self']", NS).get("href") == f"{BASE}/feeds/atom.xml"
    (entry,) = feed.findall("atom:entry", NS)
    assert entry.findtext("atom:id", namespaces=NS) == f"urn:uuid:{article.translation_key}"
    assert entry.findtext("atom:title", namespaces=NS) == "Dam gates opened"
    assert entry.findtext("atom:published", namespaces=NS) == "2024-01-27T15:34:00+02:00"
    assert entry.findtext("atom:updated", namespaces=NS) == "2024-01-27T15:34:00+02:00"
    assert entry.find("atom:link[@rel='alternate']", NS).get("href") == f"{BASE}{article.url}"
    assert entry.findtext("atom:author/atom:name", namespaces=NS) == "Olena Koval"
    result = parsed(client, "/feeds/atom.xml")
    assert result.version == "atom10"
    assert result.entries[0].author_detail.href.endswith("/authors/olena-koval/")


def test_json_feed_has_the_required_members(client):
    article = story()
    response = get(client, "/feeds/feed.json")
    assert response["Content-Type"] == "application/feed+json; charset=utf-8"
    data = json.loads(response.content)
    assert data["version"] == "https://jsonfeed.org/version/1.1"
    assert data["title"] == "Newsdesk"
    assert data["feed_url"] == f"{BASE}/feeds/feed.json"
    (item,) = data["items"]
    assert item["id"] == f"urn:uuid:{article.translation_key}"
    assert item["content_html"].startswith("<figure>")
    assert item["date_published"] == "2024-01-27T15:34:00+02:00"
    assert item["summary"] == article.standfirst
    assert parsed(client, "/feeds/feed.json").version == "json11"


@pytest.mark.parametrize("fmt", FILES)
def test_json_feed_and_every_format_of_every_feed_validate(client, fmt):
    topic, author = make_topic("Floods"), make_author("Olena Koval")
    narrate(story(topics=[topic], authors=[author]))
    story("Second story", topics=[topic], body=[], hero=False, standfirst="")
    live = make_live_feed("Storm over the coast")
    post(live, "Bridge closed", source_name="city council", source_url="https://example.org")
    for place in ("/feeds/", f"/topics/{topic.slug}/", f"/authors/{author.slug}/", live.url):
        assert parsed(client, place + FILES[fmt]).entries, place


def validate_json_feed(data):
    import jsonschema  # a development dependency (requirements-dev.lock)

    schema = json.loads(SCHEMA.read_text())
    validator = jsonschema.Draft202012Validator(schema, format_checker=jsonschema.FormatChecker())
    errors = sorted(validator.iter_errors(data), key=lambda error: list(error.path))
    assert not errors, [f"{list(error.path)}: {error.message}" for error in errors]
    # The "uri" format is only checked when optional packages are installed; check it here.
    urls = [data["home_page_url"], data["feed_url"]]
    urls += [item[key] for item in data["items"] for key in ("url", "image") if key in item]
    assert all(url.startswith(("http://", "https://")) for url in urls)


def test_the_schema_rejects_what_json_feed_forbids():
    import jsonschema

    schema = json.loads(SCHEMA.read_text())
    good = {"version": "https://jsonfeed.org/version/1.1", "title": "T", "items": []}
    jsonschema.validate(good, schema)
    for bad in (
        {**good, "version": "https://jsonfeed.org/version/1"},
        {**good, "items": [{"id": "1"}]},  # neither content_html nor content_text
        {**good, "items": [{"id": "1", "content_text": "x", "date_published": "2024-01-27"}]},
        {**good, "authors": [{}]},
        {**good, "tittle": "typo"},
    ):
        with pytest.raises(jsonschema.ValidationError):
            jsonschema.validate(bad, schema)


# --- Identity, content and media -----------------------------------------------------------


def test_ids_survive_an_edit_and_a_new_slug(client):
    article = story()
    before = {fmt: parsed(client, f"/feeds/{name}").entries[0] for fmt, name in FILES.items()}
    article.title = "Dam gates opened at dawn"
    article.slug = "dam-gates-dawn"
    article.save_revision().publish()
    for fmt, name in FILES.items():
        after = parsed(client, f"/feeds/{name}").entries[0]
        assert after.id == before[fmt].id, fmt
        assert after.title == "Dam gates opened at dawn"
        assert after.link == f"{BASE}/news/dam-gates-dawn/"


def test_each_entry_keeps_its_own_text_when_only_some_are_built_again(client):
    """A renamed author drops the newer story's entries but not its stored text, an edit
    drops the older story's both: the next feed builds the two entries and only the older
    text, which once took the newer story's paragraphs, read first (feeds/articles.py)."""
    author = make_author("Olena Koval")
    make_article(
        "Newer",
        authors=[author],
        body=paragraphs("The newer story's opening words."),
        published_at=PUBLISHED,
    )
    older = make_article(
        "Older",
        body=paragraphs("The older story's opening words."),
        published_at=PUBLISHED - timedelta(hours=1),
    )
    get(client, "/feeds/rss.xml")  # every entry built and stored
    author.name = "Olena Kovalenko"
    author.save()
    older.body = paragraphs("The older story, corrected.")
    older.save_revision().publish()
    entries = {fmt: parsed(client, f"/feeds/{FILES[fmt]}").entries for fmt in ("rss", "atom")}
    texts = {
        fmt: {entry.title: entry.content[0].value for entry in found}
        for fmt, found in entries.items()
    }
    items = json.loads(get(client, "/feeds/feed.json").content)["items"]
    texts["json"] = {item["title"]: item["content_html"] for item in items}
    for fmt, found in texts.items():
        assert "The older story, corrected." in found["Older"], fmt
        assert "newer" not in found["Older"], fmt
        assert "The newer story's opening words." in found["Newer"], fmt


def test_full_content_is_absolute_and_safe(client):
    linked = make_article("Earlier story", published_at=PUBLISHED - timedelta(days=1))
    photo = make_image("Spillway", credit="Regional water agency", size=(300, 200))
    body = [
        *paragraphs(
            f'See <a linktype="page" id="{linked.pk}">our earlier story</a> and '
            '<a href="/news/">all news</a>.',
            'Evil <script>alert(1)</script><a href="javascript:alert(2)">link</a>.',
        ),
        ("heading", {"text": "What next <maybe>", "level": "h3"}),
        ("quote", {"text": "We are ready.", "attribution": "The mayor"}),
        ("image", {"image": photo, "alt": "The spillway", "caption": "Tuesday."}),
    ]
    story(body=body, hero_caption="Rescuers at the dam.")
    item = json.loads(get(client, "/feeds/feed.json").content)["items"][0]
    html = item["content_html"]
    soup = BeautifulSoup(html, "html.parser")
    hrefs = [a.get("href") for a in soup.find_all("a")]
    assert f"{BASE}{linked.url}" in hrefs
    assert f"{BASE}/news/" in hrefs
    assert "<script" not in html and "alert(1)" not in html and "javascript:" not in html
    assert "<h3>What next &lt;maybe&gt;</h3>" in html
    assert "<figcaption>The mayor</figcaption>" in html
    sources = [img["src"] for img in soup.find_all("img")]
    assert len(sources) == 2 and all(src.startswith(f"{BASE}/media/") for src in sources)
    captions = [caption.text for caption in soup.find_all("figcaption")]
    assert "Rescuers at the dam. (Newsroom photo desk)" in captions
    assert "Tuesday. (Regional water agency)" in captions
    assert item["image"].startswith(f"{BASE}/media/images/")


def test_summary_setting_leaves_the_full_text_out(client, settings):
    story(body=paragraphs("The full text of the story."))
    settings.NEWSDESK_FEED_CONTENT = "summary"
    channel = ET.fromstring(get(client, "/feeds/rss.xml").content).find("channel")
    assert channel.find("item/content:encoded", NS) is None
    assert channel.findtext("item/description").startswith("Water released")
    entry = ET.fromstring(get(client, "/feeds/atom.xml").content).find("atom:entry", NS)
    assert entry.find("atom:content", NS) is None
    assert entry.findtext("atom:summary", namespaces=NS).startswith("Water released")
    item = json.loads(get(client, "/feeds/feed.json").content)["items"][0]
    assert "content_html" not in item
    assert item["content_text"].startswith("Water released")
    settings.NEWSDESK_FEED_CONTENT = "full"
    item = json.loads(get(client, "/feeds/feed.json").content)["items"][0]
    assert "The full text of the story." in item["content_html"]


def test_summary_falls_back_to_the_opening_words(client):
    story(standfirst="", body=paragraphs("First <b>words</b> of the story.", "More."))
    item = json.loads(get(client, "/feeds/feed.json").content)["items"][0]
    assert item["summary"] == "First words of the story. More."


def test_narration_is_an_enclosure_and_the_hero_a_media_element(client):
    article = story()
    narration = narrate(article)
    audio = f"{BASE}/media/{narration.audio}"
    item = ET.fromstring(get(client, "/feeds/rss.xml").content).find("channel/item")
    enclosure = item.find("enclosure")
    assert enclosure.attrib == {
        "url": audio,
        "length": str(narration.audio_bytes),
        "type": "audio/mpeg",
    }
    media = item.find("media:content", NS)
    assert media.get("medium") == "image" and media.get("type") == "image/jpeg"
    assert (media.get("width"), media.get("height")) == ("1200", "630")
    assert media.findtext("media:credit", namespaces=NS) == "Newsroom photo desk"
    entry = ET.fromstring(get(client, "/feeds/atom.xml").content).find("atom:entry", NS)
    link = entry.find("atom:link[@rel='enclosure']", NS)
    assert (link.get("href"), link.get("type")) == (audio, "audio/mpeg")
    assert entry.find("media:content", NS) is not None
    item = json.loads(get(client, "/feeds/feed.json").content)["items"][0]
    (attachment,) = item["attachments"]
    assert attachment["url"] == audio and attachment["mime_type"] == "audio/mpeg"
    assert attachment["size_in_bytes"] == narration.audio_bytes
    assert get(client, f"/media/{narration.audio}").status_code == 200


def test_no_enclosure_without_audio(client):
    article = story()
    assert Narration.objects.get(article=article).status == AudioStatus.PENDING  # queued on publish
    item = ET.fromstring(get(client, "/feeds/rss.xml").content).find("channel/item")
    assert item.find("enclosure") is None
    assert "attachments" not in json.loads(get(client, "/feeds/feed.json").content)["items"][0]


def test_feeds_hold_the_latest_fifty_published_public_articles(client):
    for number in range(52):
        make_article(
            f"Story {number}",
            hero=False,
            published_at=PUBLISHED + timedelta(minutes=number),
        )
    make_article("Draft", publish=False)
    titles = [entry.title for entry in parsed(client, "/feeds/rss.xml").entries]
    assert titles == [f"Story {number}" for number in range(51, 1, -1)]


def test_topic_and_author_feeds_hold_their_own_articles(client):
    floods, fires = make_topic("Floods"), make_topic("Fires")
    olena, ivan = make_author("Olena Koval"), make_author("Ivan Petrenko")
    story("Flood story", topics=[floods], authors=[olena])
    story("Fire story", topics=[fires], authors=[ivan, olena])
    topic_feed = parsed(client, f"/topics/{floods.slug}/atom.xml")
    assert [entry.title for entry in topic_feed.entries] == ["Flood story"]
    assert topic_feed.feed.title == "Floods · Newsdesk"
    assert topic_feed.feed.link == f"{BASE}/topics/floods/"
    author_feed = parsed(client, f"/authors/{olena.slug}/feed.json")
    assert {entry.title for entry in author_feed.entries} == {"Flood story", "Fire story"}
    assert client.get("/topics/nothing/rss.xml").status_code == 404
    assert client.get("/authors/nobody/feed.json").status_code == 404


def test_live_feeds_in_every_format(client, settings):
    feed = make_live_feed("Storm over the coast", summary="The storm, as it happens.")
    update = post(
        feed,
        "Bridge closed",
        body="<p>The <b>old</b> bridge is shut.</p>",
        source_name="city council",
        source_channel="Telegram",
    )
    from newsdesk.live.actions import correct_update

    correct_update(update, text="An earlier version named the wrong bridge.")
    ids = {}
    for fmt, name in FILES.items():
        result = parsed(client, f"{feed.url}{name}")
        (entry,) = result.entries
        assert entry.title == "Bridge closed"
        assert entry.link == f"{BASE}{update.get_absolute_url()}"
        ids[fmt] = entry.id
    assert len(set(ids.values())) == 1 and ids["rss"].startswith("urn:uuid:")
    item = json.loads(get(client, f"{feed.url}feed.json").content)["items"][0]
    assert "Source: city council, Telegram (Unverified)" in item["content_html"]
    assert "An earlier version named the wrong bridge." in item["content_html"]
    response = get(client, f"{feed.url}rss.xml")
    assert response["Cache-Control"] == "public, max-age=30, stale-while-revalidate=15"


# --- Conditional requests and caching ------------------------------------------------------


@pytest.mark.parametrize("fmt", FILES)
def test_conditional_requests(client, fmt):
    topic = make_topic("Floods")
    story(topics=[topic])
    for url in (f"/feeds/{FILES[fmt]}", f"/topics/{topic.slug}/{FILES[fmt]}"):
        first = get(client, url)
        assert first["Cache-Control"] == "public, max-age=300, stale-while-revalidate=60"
        assert first["ETag"].startswith('W/"')
        assert first["Last-Modified"]
        assert "Set-Cookie" not in first and "Cookie" not in first.get("Vary", "")
        assert not first.cookies
        again = client.get(url, HTTP_IF_NONE_MATCH=first["ETag"])
        assert again.status_code == 304 and again.content == b""
        assert again["ETag"] == first["ETag"]
        assert again["Cache-Control"] == first["Cache-Control"]
        assert not again.cookies
        since = client.get(url, HTTP_IF_MODIFIED_SINCE=first["Last-Modified"])
        assert since.status_code == 304
        older = http_date(PUBLISHED.timestamp())
        assert client.get(url, HTTP_IF_MODIFIED_SINCE=older).status_code == 200
        assert client.get(url, HTTP_IF_NONE_MATCH='W/"other"').status_code == 200


def test_the_etag_changes_with_whatever_the_feed_shows(client, settings):
    article = story()
    etag = get(client, "/feeds/rss.xml")["ETag"]
    seen = {etag}

    def changed():
        response = client.get("/feeds/rss.xml", HTTP_IF_NONE_MATCH=" ,".join(seen))
        assert response.status_code == 200
        seen.add(response["ETag"])

    article.title = "A new headline"
    article.save_revision().publish()
    changed()
    narrate(article)
    changed()
    make_article("Another story", hero=False)
    changed()
    article.unpublish()
    changed()
    settings.NEWSDESK_FEED_CONTENT = "summary"
    changed()


def test_live_feed_etag_follows_updates(client):
    feed = make_live_feed()
    update = post(feed, "First")
    url = f"{feed.url}atom.xml"
    first = get(client, url)
    assert client.get(url, HTTP_IF_NONE_MATCH=first["ETag"]).status_code == 304
    from newsdesk.live.actions import delete_update

    delete_update(update)
    second = get(client, url, HTTP_IF_NONE_MATCH=first["ETag"])
    assert second["ETag"] != first["ETag"]
    assert not feedparser.parse(second.content).entries


def test_podcast_feed_answers_conditional_requests(client):
    narrate(story())
    first = get(client, "/feeds/podcast.xml")
    assert first["ETag"] and first["Last-Modified"]
    assert client.get("/feeds/podcast.xml", HTTP_IF_NONE_MATCH=first["ETag"]).status_code == 304


def test_feeds_refuse_writes(client):
    assert client.post("/feeds/rss.xml").status_code == 405
    assert client.head("/feeds/rss.xml").status_code == 200


# --- Query counts --------------------------------------------------------------------------


def busy_site(count, start=0):
    """`count` articles with what costs queries: bylines, topics, corrections, narration,
    hero and body images, and links to other pages inside the rich text."""
    photo = make_image("Shared photo", size=(300, 200))
    topics = [make_topic(f"Topic {number}") for number in range(start, start + 3)]
    authors = [make_author(f"Writer {number}") for number in range(start, start + 3)]
    previous = None
    for number in range(start, start + count):
        link = f'<a linktype="page" id="{previous.pk}">before</a>' if previous else "first"
        previous = make_article(
            f"Busy {number}",
            hero=False,
            hero_image=photo,
            hero_alt="A photo",
            authors=authors[: 1 + number % 3],
            topics=topics[: 1 + number % 3],
            published_at=PUBLISHED + timedelta(minutes=number),
            body=[
                *paragraphs(f"Paragraph with {link}.", "Another paragraph."),
                ("image", {"image": photo, "alt": "A photo", "caption": ""}),
            ],
        )
        previous.corrections.create(published_at=PUBLISHED, text="A correction.")
        if number % 2:
            narrate(previous)
    return topics[0], authors[0]


def queries_for(client, url, django_assert_max_num_queries, limit):
    get(client, url)  # makes the renditions, once
    with django_assert_max_num_queries(limit) as captured:
        get(client, url)
    return len(captured)


@pytest.mark.parametrize("fmt", FILES)
def test_a_full_feed_costs_a_fixed_number_of_queries(client, fmt, django_assert_max_num_queries):
    topic, author = busy_site(3)
    limits = (SITE_FEED_QUERIES, SITE_FEED_QUERIES + 1, SITE_FEED_QUERIES + 1)
    places = ("/feeds/", f"/topics/{topic.slug}/", f"/authors/{author.slug}/")
    small = [
        queries_for(client, f"{place}{FILES[fmt]}", django_assert_max_num_queries, limit)
        for place, limit in zip(places, limits, strict=True)
    ]
    topic, author = busy_site(52, start=10)
    places = ("/feeds/", f"/topics/{topic.slug}/", f"/authors/{author.slug}/")
    large = [
        queries_for(client, f"{place}{FILES[fmt]}", django_assert_max_num_queries, limit)
        for place, limit in zip(places, limits, strict=True)
    ]
    assert large == small, "the query count must not grow with the number of entries"


def test_a_not_modified_answer_costs_two_queries(client, django_assert_max_num_queries):
    busy_site(3)
    etag = get(client, "/feeds/rss.xml")["ETag"]
    with django_assert_max_num_queries(2):
        assert client.get("/feeds/rss.xml", HTTP_IF_NONE_MATCH=etag).status_code == 304


def test_a_live_feed_costs_a_fixed_number_of_queries(client, django_assert_max_num_queries):
    feed = make_live_feed()
    author = make_author()
    for number in range(55):
        post(
            feed,
            f"Update {number}",
            authors=[author],
            image=make_image(size=(200, 100)),
            image_alt="A picture",
        )
    get(client, f"{feed.url}rss.xml")
    with django_assert_max_num_queries(LIVE_FEED_QUERIES):
        response = get(client, f"{feed.url}rss.xml")
    assert len(feedparser.parse(response.content).entries) == 50
    # The page, view restrictions, the version and the pictures shown (feeds/live.py version).
    with django_assert_max_num_queries(4):
        assert (
            client.get(f"{feed.url}rss.xml", HTTP_IF_NONE_MATCH=response["ETag"]).status_code == 304
        )


# --- Discovery -----------------------------------------------------------------------------


def alternates(client, url):
    soup = BeautifulSoup(get(client, url).content, "html.parser")
    return [(link["type"], link["href"]) for link in soup.head.find_all("link", rel="alternate")]


def test_pages_advertise_their_feeds(client):
    topic, author = make_topic("Floods"), make_author("Olena Koval")
    article = story(topics=[topic], authors=[author])
    live = make_live_feed()
    site = [
        ("application/rss+xml", "/feeds/rss.xml"),
        ("application/atom+xml", "/feeds/atom.xml"),
        ("application/feed+json", "/feeds/feed.json"),
    ]
    for url in ("/", "/news/", article.url, "/live/"):
        assert alternates(client, url) == site, url
    for place in (topic.get_absolute_url(), author.get_absolute_url(), live.url):
        own = [(kind, href.replace("/feeds/", place)) for kind, href in site]
        assert alternates(client, place) == own + site, place
        for _, href in own:
            assert get(client, href).status_code == 200


def test_an_invalid_content_setting_is_reported(settings):
    from django.core.management.base import SystemCheckError

    settings.NEWSDESK_FEED_CONTENT = "everything"
    with pytest.raises(SystemCheckError, match="NEWSDESK_FEED_CONTENT"):
        call_command("check")


# --- The pure pieces -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("markup", "expected"),
    [
        ('<p>A <a href="/news/x/">link</a></p>', f'<p>A <a href="{BASE}/news/x/">link</a></p>'),
        ('<a href="other/">relative</a>', f'<a href="{BASE}/news/story/other/">relative</a>'),
        ('<a href="#part">anchor</a>', f'<a href="{BASE}/news/story/#part">anchor</a>'),
        (
            '<a href="mailto:desk@example.org">mail</a>',
            '<a href="mailto:desk@example.org">mail</a>',
        ),
        ('<a href="javascript:alert(1)">x</a>', "<a>x</a>"),
        ('<a href=" data:text/html,hi">x</a>', "<a>x</a>"),
        ('<a href="&#106;avascript:alert(1)">x</a>', "<a>x</a>"),
        ('<a href="java\tscript:alert(1)">x</a>', "<a>x</a>"),
        ('<p onclick="steal()" class="x">text</p>', "<p>text</p>"),
        ("<p>a<script>alert(1)</script>b</p>", "<p>ab</p>"),
        ("<style>p{}</style><iframe src=x>inner</iframe>ok", "ok"),
        ("<div><p>kept <u>text</u></p></div>", "<p>kept text</p>"),
        ('<img src="/media/a.jpg" alt="A" onerror="x">', f'<img src="{BASE}/media/a.jpg" alt="A">'),
        ('<img src="javascript:x">', ""),
        ("<p>unclosed <b>bold", "<p>unclosed <b>bold</b></p>"),
        ("<p>1 &lt; 2 &amp; 3</p><!-- note -->", "<p>1 &lt; 2 &amp; 3</p>"),
        ("<br/><hr>", "<br><hr>"),
    ],
)
def test_clean(markup, expected):
    assert clean(markup, f"{BASE}/news/story/") == expected


def test_writers_drop_characters_xml_cannot_carry():
    moment = datetime(2024, 1, 27, 15, 34, tzinfo=UTC)
    entry = Entry(
        id="urn:uuid:1",
        title="Bad \x0b title",
        link=f"{BASE}/news/a/",
        published=moment,
        updated=moment,
        summary="Text\x00",
        content_html="<p>\x1b</p>",
        authors=[Person("A")],
        image=Image(f"{BASE}/a.jpg", "image/jpeg", 10, 10, alt="\x08alt"),
        attachments=[Attachment(f"{BASE}/a.mp3", "audio/mpeg", 100, 1.5)],
    )
    feed = Feed(
        id="urn:uuid:2",
        title="Feed",
        description="",
        home_page_url=f"{BASE}/",
        urls={fmt: f"{BASE}/feeds/{name}" for fmt, name in FILES.items()},
        language="en",
        updated=moment,
        entries=[entry],
    )
    for fmt in ("rss", "atom"):
        result = feedparser.parse(writers.WRITERS[fmt](feed))
        assert result.bozo == 0, (fmt, result.get("bozo_exception"))
        assert result.entries[0].title == "Bad  title"
    data = json.loads(writers.json_feed(feed))
    assert data["items"][0]["attachments"][0]["duration_in_seconds"] == 2
    with pytest.raises(ValueError, match="timezone-aware"):
        writers.rfc3339(datetime(2024, 1, 27))  # noqa: DTZ001


# --- The benchmark data set ----------------------------------------------------------------


def test_the_benchmark_data_set_is_deterministic_and_serves(client):
    from django.db import transaction

    from benchmarks.dataset import author_slug, build, topic_slug
    from newsdesk.articles.models import ArticlePage

    def snapshot():
        # Not primary keys, nor the body (it links pages and images by id): PostgreSQL
        # sequences do not roll back with the transaction, so ids differ on the second build.
        fields = (
            "path",
            "url_path",
            "title",
            "translation_key",
            "first_published_at",
            "word_count",
        )
        return list(ArticlePage.objects.order_by("path").values_list(*fields))

    with transaction.atomic():
        build(articles=30, authors=4, topics=5, images=2)
        first = snapshot()
        transaction.set_rollback(True)
    made = build(articles=30, authors=4, topics=5, images=2)
    assert (made.articles, made.authors, made.topics) == (30, 4, 5)
    assert snapshot() == first
    article = ArticlePage.objects.published().first()
    assert get(client, article.url).status_code == 200
    assert len(parsed(client, "/feeds/rss.xml").entries) == 30
    assert parsed(client, f"/topics/{topic_slug(0)}/feed.json").entries
    assert parsed(client, f"/authors/{author_slug(0)}/atom.xml").entries
