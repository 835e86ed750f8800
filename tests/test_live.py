"""Live feeds: sequence numbers, resume semantics, the reader page, feeds and the command."""

import asyncio
import io
import json
import xml.etree.ElementTree as ET
from datetime import UTC, datetime, timedelta

import pytest
from bs4 import BeautifulSoup
from django.core.exceptions import ValidationError
from django.core.management import call_command

from newsdesk.live.actions import correct_update, delete_update, edit_update
from newsdesk.live.models import LiveUpdate, LiveUpdateChange
from newsdesk.live.stream import stream
from tests.factories import http_scope, make_live_feed, post

pytestmark = pytest.mark.django_db


def test_every_change_takes_the_next_sequence_number():
    feed = make_live_feed()
    first, second = post(feed, "First"), post(feed, "Second")
    assert (first.sequence, second.sequence) == (1, 2)
    edit_update(first, headline="First, corrected")
    assert first.sequence == 3
    delete_update(second)
    assert second.sequence == 4 and second.is_deleted
    other = make_live_feed("Another feed")
    assert post(other).sequence == 1  # numbering is per feed
    actions = list(LiveUpdateChange.objects.filter(update=first).values_list("action", flat=True))
    assert actions == ["post", "edit"]


def test_changed_after_gives_exactly_what_was_missed():
    feed = make_live_feed()
    seen = post(feed, "Seen").sequence
    missed = [post(feed, f"Missed {n}") for n in range(3)]
    assert [u.headline for u in LiveUpdate.objects.changed_after(seen)] == [
        u.headline for u in missed
    ]


def test_invalid_update_is_refused_with_field_messages():
    feed = make_live_feed()
    with pytest.raises(ValidationError) as error:
        post(feed, headline="", source_url="not a link")
    assert set(error.value.message_dict) >= {"headline", "source_url"}
    assert not LiveUpdate.objects.exists()


def test_drafts_are_not_shown_until_published(client):
    feed = make_live_feed()
    draft = post(feed, "Draft only", publish=False)
    assert draft.headline.encode() not in client.get(feed.url).content
    edit_update(draft, is_published=True)
    assert draft.headline.encode() in client.get(feed.url).content


def poll(client, feed, after):
    response = client.get(f"{feed.url}updates.json", {"after": after})
    assert response.status_code == 200
    assert "max-age=2" in response["Cache-Control"]
    return json.loads(response.content)


def test_polling_endpoint_resumes_without_loss_or_repeats(client):
    feed = make_live_feed()
    start = post(feed, "Before").sequence
    new = [post(feed, f"New {n}") for n in range(3)]
    body = poll(client, feed, start)
    assert [event["headline"] for event in body["events"]] == ["New 0", "New 1", "New 2"]
    assert body["last"] == new[-1].sequence
    assert "New 0" in body["events"][0]["html"]

    edit_update(new[0], headline="New 0, edited")
    delete_update(new[1])
    body = poll(client, feed, body["last"])
    assert [(e["type"], e["id"]) for e in body["events"]] == [
        ("update", new[0].pk),
        ("delete", new[1].pk),
    ]
    assert poll(client, feed, body["last"])["events"] == []


@pytest.mark.parametrize("junk", ["", "abc", "-1", "9" * 40])
def test_polling_endpoint_ignores_junk_positions(client, junk):
    feed = make_live_feed()
    post(feed)
    assert poll(client, feed, junk)["events"] == []


async def read_events(feed_id, after, count, connected=None):
    """The first `count` events a reader's stream sends (comments and retry skipped).

    `connected` is set once the stream has subscribed (its first chunk, `retry:`, comes after).
    """
    received = []
    generator = stream(feed_id, after)
    async for chunk in generator:
        chunk = chunk.decode()
        if connected is not None:
            connected.set()
        if chunk.startswith("id:"):
            received.append(chunk)
        if len(received) == count:
            break
    await generator.aclose()
    return received


def event_ids(chunks):
    return [int(chunk.split("\n", 1)[0].removeprefix("id: ")) for chunk in chunks]


@pytest.mark.django_db(transaction=True)
def test_reconnecting_reader_gets_exactly_the_missed_updates():
    feed = make_live_feed()
    last_seen = post(feed, "Seen before the disconnect").sequence
    missed = [post(feed, f"Posted while away {n}") for n in range(3)]
    chunks = asyncio.run(asyncio.wait_for(read_events(feed.pk, last_seen, 3), timeout=10))
    assert event_ids(chunks) == [update.sequence for update in missed]
    assert all("event: update" in chunk for chunk in chunks)


@pytest.mark.django_db(transaction=True)
def test_a_reader_ahead_of_the_feed_is_told_to_reload():
    # As after restoring a backup older than the reader's page.
    feed = make_live_feed()
    seen = post(feed, "Posted before the backup was restored").sequence

    async def first_chunks():
        chunks = []
        async for chunk in stream(feed.pk, seen + 5):
            chunks.append(chunk.decode())
        return chunks

    chunks = asyncio.run(asyncio.wait_for(first_chunks(), timeout=10))
    assert any("event: reload" in chunk for chunk in chunks)


@pytest.mark.django_db(transaction=True)
def test_open_stream_receives_new_edited_and_deleted_updates():
    feed = make_live_feed()
    first = post(feed, "Already there")

    async def scenario():
        connected = asyncio.Event()
        reader = asyncio.create_task(read_events(feed.pk, first.sequence, 3, connected))
        # Post only once the reader is subscribed: a reader who connects later is sent the
        # current state from the database instead, where the edit and delete are collapsed.
        await asyncio.wait_for(connected.wait(), timeout=10)
        second = await asyncio.to_thread(post, feed, "Breaking")
        await asyncio.to_thread(edit_update, first, headline="Already there, updated")
        await asyncio.to_thread(delete_update, second)
        return await asyncio.wait_for(reader, timeout=10)

    chunks = asyncio.run(scenario())
    assert event_ids(chunks) == [2, 3, 4]
    assert "event: update" in chunks[0] and "Breaking" in chunks[0]
    assert "Already there, updated" in chunks[1]
    assert "event: delete" in chunks[2]


async def asgi_get(path, *, method="GET", headers=(), scheme="https", chunks=1):
    """Call the site's ASGI application as a server would; hang up after `chunks` body chunks.

    Returns (status, headers, bodies, finished): `finished` is whether the application returned
    promptly after the reader hung up.
    """
    from newsdesk.asgi import application

    scope = http_scope(path, method=method, scheme=scheme, headers=headers)
    hung_up = asyncio.Event()
    sent = []

    async def receive():
        await hung_up.wait()
        return {"type": "http.disconnect"}

    async def send(message):
        sent.append(message)
        if message["type"] != "http.response.body":
            return
        bodies = [m for m in sent if m["type"] == "http.response.body"]
        if len(bodies) >= chunks or not message.get("more_body", False):
            hung_up.set()

    app = asyncio.ensure_future(application(scope, receive, send))
    await asyncio.wait_for(hung_up.wait(), timeout=10)
    done, _ = await asyncio.wait([app], timeout=5)
    start = sent[0]
    bodies = [m["body"] for m in sent if m["type"] == "http.response.body"]
    return start["status"], dict(start["headers"]), bodies, bool(done)


@pytest.mark.django_db(transaction=True)  # the stream looks the feed up on its own connection
def test_event_stream_headers_and_hang_up():
    from newsdesk.live.broker import broker

    feed = make_live_feed()
    status, headers, bodies, finished = asyncio.run(asgi_get(f"{feed.url}events"))
    assert status == 200
    assert headers[b"content-type"] == b"text/event-stream"
    assert headers[b"x-accel-buffering"] == b"no"
    assert b"no-cache" in headers[b"cache-control"]
    assert headers[b"x-content-type-options"] == b"nosniff"
    assert b"set-cookie" not in headers
    assert bodies[0].startswith(b"retry:")
    assert finished, "the stream kept running after the reader hung up"
    assert broker.reader_count() == 0


@pytest.mark.django_db(transaction=True)
def test_event_stream_replays_from_last_event_id_through_the_server_interface():
    feed = make_live_feed()
    seen = post(feed, "Seen").sequence
    missed = [post(feed, f"Missed {n}") for n in range(2)]
    status, _, bodies, _ = asyncio.run(
        asgi_get(f"{feed.url}events", headers=[(b"last-event-id", str(seen).encode())], chunks=3)
    )
    assert status == 200
    assert event_ids([body.decode() for body in bodies[1:]]) == [u.sequence for u in missed]


@pytest.mark.django_db(transaction=True)
def test_event_stream_refuses_what_it_should():
    feed = make_live_feed()
    url = f"{feed.url}events"
    assert asyncio.run(asgi_get(url, method="POST"))[0] == 405
    assert asyncio.run(asgi_get("/live/no-such-feed/events"))[0] == 404
    feed.unpublish()
    assert asyncio.run(asgi_get(url))[0] == 404


@pytest.mark.django_db(transaction=True)
def test_event_stream_refuses_unknown_hosts_and_redirects_plain_http(settings):
    from newsdesk.asgi import application  # noqa: F401  (Django is set up)

    feed = make_live_feed()
    url = f"{feed.url}events"
    settings.ALLOWED_HOSTS = ["news.example"]
    assert asyncio.run(asgi_get(url))[0] == 400  # Host: localhost is not allowed now
    settings.ALLOWED_HOSTS = ["localhost"]
    settings.SECURE_SSL_REDIRECT = True
    status, headers, _, _ = asyncio.run(asgi_get(f"{url}?after=3", scheme="http"))
    assert status == 301
    assert headers[b"location"] == f"https://localhost{url}?after=3".encode()


# --- The reader page ------------------------------------------------------------------------


def page_for(client, url):
    response = client.get(url)
    assert response.status_code == 200
    return BeautifulSoup(response.content, "html.parser")


def test_page_shows_updates_newest_first_with_date_headers_across_midnight(client, settings):
    settings.TIME_ZONE = "Europe/Kyiv"
    feed = make_live_feed()
    # Kyiv is UTC+2 in January: 21:54 UTC is 11:54 PM, 22:22 UTC is 12:22 AM the next day.
    post(feed, "Evening", published_at=datetime(2024, 1, 26, 18, 54, tzinfo=UTC))
    post(feed, "Before midnight", published_at=datetime(2024, 1, 26, 21, 54, tzinfo=UTC))
    post(feed, "After midnight", published_at=datetime(2024, 1, 26, 22, 22, tzinfo=UTC))
    page = page_for(client, feed.url)
    dates = [h.get_text(strip=True) for h in page.select(".live__date")]
    assert dates == ["January 27, 2024", "January 26, 2024"]
    headlines = [h.get_text(strip=True) for h in page.select(".live__timeline .update__headline")]
    assert headlines == ["After midnight", "Before midnight", "Evening"]
    times = [t.get_text(strip=True) for t in page.select(".live__timeline .update__time time")]
    assert times == ["12:22 AM", "11:54 PM", "8:54 PM"]


def test_date_headers_follow_local_days_across_a_dst_change(client, settings):
    settings.TIME_ZONE = "Europe/Kyiv"
    feed = make_live_feed()
    # March 31, 2024: clocks went from 3:00 to 4:00. 00:30 UTC is 2:30 AM (UTC+2),
    # 01:30 UTC is 4:30 AM (UTC+3); 21:59 UTC on March 30 is 11:59 PM the day before.
    post(feed, "Late", published_at=datetime(2024, 3, 30, 21, 59, tzinfo=UTC))
    post(feed, "Before the change", published_at=datetime(2024, 3, 31, 0, 30, tzinfo=UTC))
    post(feed, "After the change", published_at=datetime(2024, 3, 31, 1, 30, tzinfo=UTC))
    page = page_for(client, feed.url)
    assert [h.get_text(strip=True) for h in page.select(".live__date")] == [
        "March 31, 2024",
        "March 30, 2024",
    ]
    times = [t.get_text(strip=True) for t in page.select(".live__timeline .update__time time")]
    assert times == ["4:30 AM", "2:30 AM", "11:59 PM"]


def test_pinned_update_leads_and_key_events_are_listed(client):
    feed = make_live_feed()
    key = post(feed, "Evacuation ordered", is_key_event=True)
    pinned = post(feed, "Where to find shelter", is_pinned=True)
    post(feed, "Minor update")
    page = page_for(client, feed.url)
    assert page.select_one(".live__pinned .update__headline").text == pinned.headline
    assert len(page.select(f"#update-{pinned.pk}")) == 1  # not repeated in the timeline
    links = page.select(".key-events a")
    assert [a["href"] for a in links] == [f"#update-{key.pk}"]


def test_source_and_verification_make_one_attribution_line(client):
    feed = make_live_feed()
    post(
        feed,
        "Strike reported",
        source_name="the regional military administration",
        source_channel="Telegram",
        source_url="https://example.org/post/1",
        verification="official",
    )
    line = page_for(client, feed.url).select_one(".update__source")
    text = " ".join(line.get_text(" ", strip=True).split())
    assert text.startswith("Source: the regional military administration , via Telegram")
    assert "Official claim" in text
    assert line.a["href"] == "https://example.org/post/1"


def test_the_verification_label_is_shown_when_the_update_names_no_source(client):
    feed = make_live_feed()
    post(feed, "Our reporter saw the bridge closed", verification="confirmed")
    line = page_for(client, feed.url).select_one(".update__source")
    assert line is not None
    assert "Source:" not in line.text
    assert line.select_one(".verification--confirmed").text == "Confirmed by our reporters"
    item = json.loads(client.get(f"{feed.url}feed.json").content)["items"][0]
    assert "<p>Confirmed by our reporters</p>" in item["content_html"]


def test_corrections_are_shown_on_the_update(client):
    feed = make_live_feed()
    update = post(feed, "Two people hurt")
    correct_update(update, text="An earlier version said three people.", headline="Two hurt")
    page = page_for(client, feed.url)
    assert "An earlier version said three people." in page.select_one(".update__correction").text
    detail = page_for(client, update.get_absolute_url())
    assert "An earlier version said three people." in detail.text


def test_latest_fifty_then_a_link_to_older_updates(client):
    feed = make_live_feed()
    start = datetime(2024, 5, 1, 8, 0, tzinfo=UTC)
    for number in range(55):
        post(feed, f"Update {number}", published_at=start + timedelta(minutes=number))
    page = page_for(client, feed.url)
    assert len(page.select(".live__timeline .update")) == 50
    older_link = page.select_one(".live__older a[rel=next]")["href"]
    older = page_for(client, feed.url + older_link)
    headlines = [h.text for h in older.select(".live__timeline .update__headline")]
    assert headlines == [f"Update {n}" for n in range(4, -1, -1)]


def test_live_blog_posting_structured_data(client):
    feed = make_live_feed(coverage_start=datetime(2024, 1, 26, 18, 0, tzinfo=UTC))
    post(
        feed,
        "Strike reported",
        published_at=datetime(2024, 1, 27, 8, 47, tzinfo=UTC),
        source_url="https://example.org/post/1",
    )
    page = page_for(client, feed.url)
    data = json.loads(page.find("script", type="application/ld+json").string)
    assert data["@type"] == "LiveBlogPosting"
    assert data["coverageStartTime"] == "2024-01-26T20:00:00+02:00"
    entry = data["liveBlogUpdate"][0]
    assert entry["headline"] == "Strike reported"
    assert entry["datePublished"] == "2024-01-27T10:47:00+02:00"
    assert entry["articleBody"].startswith("Strike reported")
    assert entry["isBasedOn"] == "https://example.org/post/1"


def test_structured_data_and_the_json_feed_keep_paragraphs_apart(client):
    feed = make_live_feed()
    post(
        feed,
        "Shelters open",
        body="<p>Shelters open at 6 p.m.</p><p>Expect <i>long</i> queues.</p>",
    )
    page = page_for(client, feed.url)
    data = json.loads(page.find("script", type="application/ld+json").string)
    assert (
        data["liveBlogUpdate"][0]["articleBody"] == "Shelters open at 6 p.m.\nExpect long queues."
    )
    item = json.loads(client.get(f"{feed.url}feed.json").content)["items"][0]
    assert item["summary"] == "Shelters open at 6 p.m. Expect long queues."


def test_rss_feed_lists_updates_with_stable_guids(client):
    feed = make_live_feed()
    update = post(feed, "Bridge closed")
    response = client.get(f"{feed.url}rss.xml")
    assert response.status_code == 200
    channel = ET.fromstring(response.content).find("channel")
    item = channel.find("item")
    assert item.findtext("title") == "Bridge closed"
    guid = item.findtext("guid")
    edit_update(update, headline="Bridge closed to traffic")
    again = ET.fromstring(client.get(f"{feed.url}rss.xml").content).find("channel/item")
    assert again.findtext("guid") == guid
    assert again.findtext("title") == "Bridge closed to traffic"


def test_permalink_page_and_deleted_updates(client):
    feed = make_live_feed()
    update = post(feed, "Permalinked")
    page = page_for(client, update.get_absolute_url())
    assert page.select_one(".update__headline").text == "Permalinked"
    assert page.find("link", rel="canonical")["href"].endswith(f"/updates/{update.pk}/")
    delete_update(update)
    assert client.get(update.get_absolute_url()).status_code == 404
    assert b"Permalinked" not in client.get(feed.url).content


def test_post_update_command_prints_id_and_sequence():
    feed = make_live_feed()
    out = io.StringIO()
    call_command(
        "post-update",
        feed.slug,
        "--headline",
        "Sirens in the city",
        "--body",
        "One.\n\nTwo.",
        "--source",
        "city council",
        "--key-event",
        stdout=out,
    )
    update = LiveUpdate.objects.get()
    assert f"id={update.pk} sequence={update.sequence}" in out.getvalue()
    assert update.body == "<p>One.</p><p>Two.</p>"
    assert update.is_key_event and update.source_name == "city council"


def test_post_update_command_explains_an_unknown_feed():
    from django.core.management.base import CommandError

    make_live_feed()
    with pytest.raises(CommandError, match="Known feeds: storm-over-the-coast"):
        call_command("post-update", "nope", "--headline", "x")


def test_home_page_links_running_live_feeds(client):
    feed = make_live_feed(summary="Updates as the storm moves inland.")
    page = page_for(client, "/")
    assert page.select_one(".home-live a")["href"] == feed.url


def test_zone_is_named_the_way_readers_know_it(settings):
    from newsdesk.live.models import zone_label

    settings.TIME_ZONE = "Europe/Kyiv"
    assert zone_label(datetime(2024, 1, 27, tzinfo=UTC)) == "Kyiv time (EET, UTC+02:00)"
    assert zone_label(datetime(2024, 7, 1, tzinfo=UTC)) == "Kyiv time (EEST, UTC+03:00)"
    settings.TIME_ZONE = "America/New_York"
    assert zone_label(datetime(2024, 1, 27, tzinfo=UTC)) == "New York time (EST, UTC-05:00)"


def test_the_zone_label_gives_the_offset_of_the_times_shown(client, settings):
    settings.TIME_ZONE = "Europe/Kyiv"
    feed = make_live_feed()
    post(feed, "Summer update", published_at=datetime(2024, 7, 1, 9, 0, tzinfo=UTC))
    label = page_for(client, feed.url).select_one("[data-zone-label]").get_text()
    assert "UTC+03:00" in label  # summer time, whatever the date today


def test_pinning_an_update_unpins_the_previous_one(client):
    feed = make_live_feed()
    old = post(feed, "Old pinned", is_pinned=True)
    new = post(feed, "New pinned", is_pinned=True)
    old.refresh_from_db()
    assert not old.is_pinned and new.is_pinned
    assert old.sequence > new.sequence  # the unpinning is a change readers receive
    page = page_for(client, feed.url)
    assert page.select_one(".live__pinned .update__headline").text == "New pinned"
    assert not page.select(f"#update-{old.pk} .update__badge--pinned")


def test_unpublishing_reaches_readers_as_a_deletion_without_content(client):
    feed = make_live_feed()
    update = post(feed, "Published too early")
    before = update.sequence
    edit_update(update, is_published=False)
    body = poll(client, feed, before)
    assert body["events"] == [{"type": "delete", "id": update.pk, "sequence": update.sequence}]
    draft = post(feed, "Secret draft headline", publish=False)
    body = poll(client, feed, update.sequence)
    assert body["events"] == [{"type": "delete", "id": draft.pk, "sequence": draft.sequence}]


def test_what_we_know_is_in_the_structured_data_with_its_time(client):
    from newsdesk.live.actions import set_what_we_know

    feed = set_what_we_know(make_live_feed(), "Bridge closed\nFerries run every hour")
    page = page_for(client, feed.url)
    data = json.loads(page.select_one('script[type="application/ld+json"]').string)
    part = data["hasPart"]
    assert part["@type"] == "WebPageElement"
    assert part["cssSelector"] == ".live__known" and page.select_one(".live__known")
    assert part["text"] == "Bridge closed\nFerries run every hour"
    assert part["dateModified"].startswith(feed.what_we_know_at.astimezone().strftime("%Y-%m-%d"))
    empty = make_live_feed("Quiet night")
    data = json.loads(
        page_for(client, empty.url).select_one('script[type="application/ld+json"]').string
    )
    assert "hasPart" not in data


def test_the_page_rows_are_the_timeline_read_as_prepared_rows():
    """live/feed.py page_rows (what the feed page reads) gives timeline()'s updates, days
    and order: pinned ones, drafts, deletions, equal times and pages of older updates."""
    from newsdesk.live.feed import page_rows, timeline, update_row

    feed = make_live_feed()
    start = datetime(2026, 3, 1, 20, 0, tzinfo=UTC)
    updates = [
        post(feed, f"Update {n}", published_at=start + timedelta(minutes=37 * (n // 2)))
        for n in range(9)
    ]
    edit_update(updates[1], is_pinned=True)
    edit_update(updates[6], is_pinned=True)
    delete_update(updates[4])
    edit_update(updates[7], is_published=False)

    def shape(days, pinned, has_older, oldest):
        return (
            [(day, [update.pk for update in items]) for day, items in days],
            pinned.pk if pinned else None,
            has_older,
            oldest.pk if oldest else None,
        )

    for size in (2, 3, 50):
        older, row = None, None
        while True:
            expected = timeline(feed, older, page_size=size)
            found = page_rows(feed, row, page_size=size)
            assert shape(*found) == shape(*expected)
            if not expected[2]:
                break
            older = expected[3]
            row = update_row(feed, older.pk)
    assert update_row(feed, 10**9) is None
    assert update_row(feed, 10**30) is None  # ?older= takes any digits


def test_an_older_page_of_an_unknown_update_shows_the_latest(client):
    feed = make_live_feed()
    post(feed, "Bridge closed")
    for older in ("999999", "9" * 40):
        response = client.get(f"{feed.url}?older={older}")
        assert response.status_code == 200
        assert "Bridge closed" in response.content.decode()


def test_an_update_gone_from_the_database_before_its_part_is_built_is_left_out():
    from newsdesk.live.feed import page_rows

    feed = make_live_feed()
    kept, gone = post(feed, "Bridge closed"), post(feed, "Ferry cancelled")
    days, pinned, _, _ = page_rows(feed)
    shown = [row for _, rows in days for row in rows]
    LiveUpdate.objects.filter(pk=gone.pk).delete()
    days, pinned, shown = feed._read_whole({kept.pk, gone.pk}, days, pinned, shown)
    assert [update.pk for update in shown] == [kept.pk]
    assert isinstance(shown[0], LiveUpdate) and shown[0].feed is feed
    assert [[update.pk for update in rows] for _, rows in days] == [[kept.pk]]
