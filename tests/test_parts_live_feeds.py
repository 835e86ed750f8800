"""Stored parts of live pages, feed entries and the front page's lead (docs/caching.md):
every change still shows at once, and a post no longer drops every update's part."""

import json
import xml.etree.ElementTree as ET

import pytest
from django.test import RequestFactory

from newsdesk.feeds import sources, writers
from newsdesk.live import parts as live_parts
from newsdesk.live.actions import correct_update, delete_update, edit_update
from newsdesk.parts import store
from newsdesk.parts.models import Part
from tests.factories import make_article, make_author, make_image, make_live_feed, make_topic, post

pytestmark = pytest.mark.django_db

FILES = {"rss": "rss.xml", "atom": "atom.xml", "json": "feed.json"}


def text_of(client, url):
    response = client.get(url)
    assert response.status_code == 200, url
    return response.content.decode()


def update_parts(update):
    return set(
        Part.objects.filter(key__contains=f":live.liveupdate.{update.pk}:").values_list(
            "key", flat=True
        )
    )


# --- live page ------------------------------------------------------------------------------


def test_a_new_post_keeps_the_other_updates_parts_and_shows_at_once(client):
    feed = make_live_feed()
    first = post(feed, "Bridge closed")
    second = post(feed, "Ferry cancelled")
    page = text_of(client, feed.url)
    assert "Bridge closed" in page and "Ferry cancelled" in page
    kept = update_parts(first) | update_parts(second)
    assert len(kept) == 2  # one per update: its element and its structured data
    post(feed, "Schools shut for the day")
    page = text_of(client, feed.url)
    assert "Schools shut for the day" in page
    assert "Bridge closed" in page and "Ferry cancelled" in page
    assert kept <= update_parts(first) | update_parts(second)  # not rebuilt: never dropped


def test_a_correction_shows_at_once_and_replaces_the_old_version(client):
    feed = make_live_feed()
    update = post(feed, "Bridge closed", body="<p>Police closed the bridge at 9 AM.</p>")
    assert "at 9 AM" in text_of(client, feed.url)
    old = update_parts(update)
    correct_update(
        update,
        text="An earlier version gave the wrong time.",
        body="<p>Police closed the bridge at 10 AM.</p>",
    )
    page = text_of(client, feed.url)
    assert "at 10 AM" in page and "at 9 AM" not in page
    assert "An earlier version gave the wrong time." in page
    data = structured(page)
    (entry,) = data["liveBlogUpdate"]
    assert entry["correction"][0]["text"] == "An earlier version gave the wrong time."
    assert "10 AM" in entry["articleBody"]
    assert not (old & update_parts(update))  # the old version's rows are gone
    assert len(update_parts(update)) == 1
    for name in FILES.values():
        body = text_of(client, f"{feed.url}{name}")
        assert "An earlier version gave the wrong time." in body and "at 9 AM" not in body


def test_an_edit_a_pin_and_a_deletion_show_at_once(client):
    feed = make_live_feed()
    update = post(feed, "Bridge closed")
    other = post(feed, "Ferry cancelled")
    text_of(client, feed.url)
    edit_update(update, headline="Bridge reopened")
    page = text_of(client, feed.url)
    assert ">Bridge reopened</h3>" in page and ">Bridge closed</h3>" not in page
    assert structured(page)["liveBlogUpdate"][-1]["headline"] == "Bridge reopened"
    edit_update(other, is_pinned=True)
    page = text_of(client, feed.url)
    assert "update--pinned" in page
    delete_update(other)
    page = text_of(client, feed.url)
    assert "Ferry cancelled" not in page and ">Bridge reopened</h3>" in page
    assert [entry["headline"] for entry in structured(page)["liveBlogUpdate"]] == [
        "Bridge reopened"
    ]
    for name in FILES.values():
        body = text_of(client, f"{feed.url}{name}")
        assert "Ferry cancelled" not in body and "Bridge reopened" in body


def test_an_update_picture_is_an_image_object_and_a_new_credit_shows_at_once(client):
    feed = make_live_feed()
    image = make_image("Flooded street", credit="Newsroom photo desk")
    update = post(
        feed,
        "Water rises",
        image=image,
        image_alt="A flooded street",
        image_caption="Podil at noon",
    )
    (entry,) = structured(text_of(client, feed.url))["liveBlogUpdate"]
    picture = entry["image"]
    assert picture["@type"] == "ImageObject" and picture["url"].startswith("http")
    assert picture["caption"] == "Podil at noon"
    assert picture["creditText"] == "Newsroom photo desk"
    assert update_parts(update)
    for name in FILES.values():
        assert "Newsroom photo desk" in text_of(client, f"{feed.url}{name}")
    image.credit = "Photo: Mariia Hrytsenko"
    image.save()
    page = text_of(client, feed.url)
    (entry,) = structured(page)["liveBlogUpdate"]
    assert entry["image"]["creditText"] == "Photo: Mariia Hrytsenko"
    assert "(Photo: Mariia Hrytsenko)" in page and "Newsroom photo desk" not in page
    for name in FILES.values():
        body = text_of(client, f"{feed.url}{name}")
        assert "Photo: Mariia Hrytsenko" in body and "Newsroom photo desk" not in body
    edit_update(update, image_credit="Photo: Ivan Petrenko")
    (entry,) = structured(text_of(client, feed.url))["liveBlogUpdate"]
    assert entry["image"]["creditText"] == "Photo: Ivan Petrenko"


def test_an_edited_image_reaches_the_update(client):
    feed = make_live_feed()
    image = make_image("Flooded street")
    update = post(feed, "Water rises", image=image, image_alt="A flooded street")
    text_of(client, feed.url)
    assert update_parts(update)
    image.focal_point_x, image.focal_point_y = 10, 10
    image.focal_point_width = image.focal_point_height = 20
    image.save()  # its renditions change: the image's tag drops the part
    assert not update_parts(update)
    assert "A flooded street" in text_of(client, feed.url)


def test_an_article_shows_a_new_post_in_its_live_block(client):
    feed = make_live_feed()
    post(feed, "Bridge closed")
    article = make_article(live_feed=feed)
    assert "Bridge closed" in text_of(client, article.url)
    post(feed, "Ferry cancelled")
    assert "Ferry cancelled" in text_of(client, article.url)


def test_a_stored_live_page_reads_its_updates_parts_in_one_query(
    client, django_assert_max_num_queries
):
    feed = make_live_feed()
    for number in range(12):
        post(feed, f"Update number {number}")
    first = text_of(client, feed.url)
    # The route (no article there, then the feed and its briefing), the view restrictions,
    # the feed's position, pinned update, timeline, key events and the updates' parts (one
    # query for all of them): no corrections, no per-update query.
    with django_assert_max_num_queries(9):
        again = text_of(client, feed.url)
    assert again == first


def test_a_preview_request_never_stores_update_parts():
    feed = make_live_feed()
    update = post(feed, "Bridge closed")
    request = RequestFactory().get(feed.url)
    request.is_preview = True
    token = store.begin_request()
    try:
        html = live_parts.element(request, update, 3, lambda: "<article>draft</article>")
        element, ld = live_parts.page_entry(request, update)
    finally:
        store.end_request(token)
    assert html == "<article>draft</article>"
    assert json.loads(ld)["headline"] == "Bridge closed"
    assert ">Bridge closed</h3>" in element
    assert not update_parts(update)


def structured(page):
    start = page.index('{"@context":"https://schema.org","@type":"LiveBlogPosting"')
    end = page.index("</script>", start)
    return json.loads(page[start:end])


# --- feeds ----------------------------------------------------------------------------------


def entry_parts(article):
    return Part.objects.filter(key__contains=":feed-entry-").filter(
        key__endswith=f":articles.articlepage.{article.pk}"
    )


@pytest.mark.parametrize("fmt", FILES)
def test_stored_entries_give_the_same_bytes_as_entries_written_in_place(client, fmt):
    topic = make_topic("Energy")
    for number in range(3):
        make_article(f"Grid story {number}", topics=[topic])
    first = client.get(f"/feeds/{FILES[fmt]}").content  # builds and stores the entries
    assert entry_parts(make_article("Later", publish=False)).count() == 0
    stored = client.get(f"/feeds/{FILES[fmt]}").content
    direct = writers.WRITERS[fmt](sources.site().feed())  # no request: nothing stored
    assert first == stored == direct


def test_every_format_is_stored_for_an_article_once_built(client):
    article = make_article("Grid repaired")
    text_of(client, "/feeds/rss.xml")
    assert entry_parts(article).count() == 3  # rss, atom, json
    topic_feed = make_topic("Unused")  # another feed the article is not in changes nothing
    assert topic_feed.pk
    assert entry_parts(article).count() == 3


@pytest.mark.parametrize("fmt", FILES)
def test_an_edited_article_a_new_article_and_a_deletion_show_at_once(client, fmt):
    url = f"/feeds/{FILES[fmt]}"
    article = make_article("First headline")
    other = make_article("Other story")
    assert "First headline" in text_of(client, url)
    article.title = "Second headline"
    article.save_revision().publish()
    body = text_of(client, url)
    assert "Second headline" in body and "First headline" not in body
    make_article("Brand new story")
    assert "Brand new story" in text_of(client, url)
    other.unpublish()
    assert "Other story" not in text_of(client, url)


@pytest.mark.parametrize("fmt", FILES)
def test_a_renamed_author_and_topic_show_in_stored_entries(client, fmt):
    author = make_author("Olena Petrenko")
    topic = make_topic("Energy")
    make_article("Grid repaired", authors=[author], topics=[topic])
    url = f"/feeds/{FILES[fmt]}"
    body = text_of(client, url)
    assert "Olena Petrenko" in body and "Energy" in body
    author.name = "Olena Kovalenko"
    author.save()
    topic.name = "Power grid"
    topic.save()
    body = text_of(client, url)
    assert "Olena Kovalenko" in body and "Olena Petrenko" not in body
    assert "Power grid" in body and ">Energy<" not in body and '"Energy"' not in body


def test_an_edited_hero_credit_shows_in_stored_entries(client):
    article = make_article("Grid repaired")
    assert "Newsroom photo desk" in text_of(client, "/feeds/atom.xml")
    image = article.hero_image
    image.credit = "Photo: Mariia Hrytsenko"
    image.save()
    body = text_of(client, "/feeds/atom.xml")
    assert "Photo: Mariia Hrytsenko" in body and "Newsroom photo desk" not in body


def test_a_feed_from_stored_entries_is_well_formed_and_costs_few_queries(
    client, django_assert_max_num_queries
):
    topic = make_topic("Energy")
    for number in range(4):
        make_article(f"Grid story {number}", topics=[topic])
    for name in FILES.values():
        text_of(client, f"/topics/{topic.slug}/{name}")
    for name in ("rss.xml", "atom.xml"):
        with django_assert_max_num_queries(4):  # topic, version rows, restrictions, entries
            ET.fromstring(client.get(f"/topics/{topic.slug}/{name}").content)
    with django_assert_max_num_queries(4):
        items = json.loads(client.get(f"/topics/{topic.slug}/feed.json").content)["items"]
    assert len(items) == 4
    for name in FILES.values():
        text_of(client, f"/feeds/{name}")
        # The site feed: the view restrictions, its version rows (prepared), the entries.
        with django_assert_max_num_queries(3):
            text_of(client, f"/feeds/{name}")


# --- front page -----------------------------------------------------------------------------


def test_the_front_page_lead_is_stored_and_shows_every_change(client):
    topic = make_topic("Energy")
    lead = make_article("Grid repaired overnight", topics=[topic])
    assert "Grid repaired overnight" in text_of(client, "/")
    assert Part.objects.filter(key__endswith=f"articles.articlepage.{lead.pk}:lead").exists()
    topic.name = "Power grid"
    topic.save()
    assert "Power grid" in text_of(client, "/")
    lead.title = "Grid fully repaired"
    lead.save_revision().publish()
    page = text_of(client, "/")
    assert "Grid fully repaired" in page and "Grid repaired overnight" not in page
    make_article("Newer lead story")
    assert "Newer lead story" in text_of(client, "/")


def test_the_key_events_list_is_stored_and_shows_every_change(client):
    feed = make_live_feed()
    first = post(feed, "Dam breached", is_key_event=True)
    post(feed, "Rain eases")
    page = text_of(client, feed.url)
    assert f'data-key-for="update-{first.pk}"' in page
    assert Part.objects.filter(key__contains=":live-key-events:").count() == 1
    second = post(feed, "Evacuation ordered", is_key_event=True)
    page = text_of(client, feed.url)
    assert f'data-key-for="update-{second.pk}"' in page
    edit_update(first, headline="Dam breached in two places")
    page = text_of(client, feed.url)
    assert "Dam breached in two places</a></li>" in page
    delete_update(second)
    page = text_of(client, feed.url)
    assert f'data-key-for="update-{second.pk}"' not in page
    assert Part.objects.filter(key__contains=":live-key-events:").count() == 1  # one version
    edit_update(first, is_key_event=False)
    assert "data-key-events" not in text_of(client, feed.url)
