"""The desk's Incoming column (issue 18): items from sources listed, filtered and alerted on,
used in a live update or an article, dismissed; and its event stream, resumable by id."""

import asyncio
import json
from datetime import UTC, datetime

import pytest
from bs4 import BeautifulSoup

from newsdesk.accounts import roles
from newsdesk.articles.models import ArticlePage
from newsdesk.desk import incoming_stream
from newsdesk.live.models import LiveUpdate
from newsdesk.sources.models import AlertRule, Item, ItemUse, Source, ago
from newsdesk.sources.notify import notify
from newsdesk.sources.parsers import Entry, Parsed
from newsdesk.sources.store import store
from tests.factories import make_live_feed, make_source

pytestmark = pytest.mark.django_db


def deliver(source, *entries):
    return store(source, Parsed(entries=[Entry(**fields) for fields in entries]))


@pytest.fixture
def feed():
    return make_live_feed()


@pytest.fixture
def sources():
    air = make_source("Air Force", kind="telegram", url="https://t.me/s/example_air")
    air.verification = "official"
    air.save()
    wire = make_source("Agency wire", kind="ninjs", url="https://wire.example.org/items")
    deliver(
        air,
        {
            "guid": "air/1",
            "headline": "Ballistic missile threat from the north",
            "body": "<p>Take shelter now.</p><script>alert(1)</script>",
            "link": "https://t.me/example_air/1",
            "time": datetime(2026, 3, 1, 22, 5, tzinfo=UTC),
        },
    )
    deliver(
        wire,
        {
            "guid": "urn:wire:1",
            "headline": "Grid operator restores power in Sumy",
            "body": "<p>Most homes have power again.</p>",
            "link": "https://wire.example.org/1",
        },
    )
    return air, wire


def html(response):
    return BeautifulSoup(response.content, "html.parser")


def headlines(response):
    return [h.get_text(strip=True) for h in html(response).select(".incoming__headline")]


def test_the_desk_lists_incoming_items_newest_first_in_the_newsroom_zone(client_for, feed, sources):
    client, _ = client_for(roles.CONTRIBUTORS)
    response = client.get("/desk/")
    assert headlines(response) == [
        "Grid operator restores power in Sumy",
        "Ballistic missile threat from the north",
    ]
    card = html(response).select_one(f"#incoming-{Item.objects.get(guid='air/1').pk}")
    assert "Air Force" in card.get_text()
    # 22:05 UTC is 00:05 the next day in Kyiv (the default zone, EET).
    assert card.select_one("time").get_text() == "2 Mar, 00:05"
    assert card.select_one("a[href='https://t.me/example_air/1']") is not None
    assert card.find("script") is None


def test_filters_by_source_and_text_work_without_javascript(client_for, feed, sources):
    air, wire = sources
    client, _ = client_for(roles.CONTRIBUTORS)
    assert headlines(client.get(f"/desk/?source={wire.pk}")) == [
        "Grid operator restores power in Sumy"
    ]
    assert headlines(client.get("/desk/?q=shelter")) == ["Ballistic missile threat from the north"]
    assert "No items match" in client.get("/desk/?q=nothing-like-this").content.decode()


def test_alert_words_highlight_matching_items(client_for, feed, sources):
    AlertRule.objects.create(words="ballistic", sound=True)
    AlertRule.objects.create(words="sumy")
    AlertRule.objects.create(words="Odesa")
    client, _ = client_for(roles.CONTRIBUTORS)
    alerted = html(client.get("/desk/")).select(".incoming__item--alert")
    assert len(alerted) == 2
    assert "Alert: ballistic" in alerted[1].get_text(" ", strip=True)
    assert "Alert: sumy" in alerted[0].get_text(" ", strip=True)


def test_use_prefills_an_update_and_posting_publishes_it_with_attribution(
    client_for, feed, sources
):
    item = Item.objects.get(guid="air/1")
    client, editor = client_for(roles.EDITORS)
    form = html(client.get(f"/desk/incoming/{item.pk}/use/")).select_one("form.update-form")
    values = {
        field["name"]: field.get("value", "")
        for field in form.select("input")
        if field.get("type") not in ("radio", "checkbox")
    }
    assert values["headline"] == "Ballistic missile threat from the north"
    assert values["source_name"] == "Air Force"
    assert values["source_channel"] == "Telegram"
    assert values["source_url"] == "https://t.me/example_air/1"
    assert form.select_one("textarea[name=body]").get_text().strip() == "Take shelter now."
    assert form.select_one("select[name=verification] option[selected]")["value"] == "official"

    data = {**values, "body": "Take shelter now.", "verification": "official"}
    data.update(feed=feed.pk, publish="publish")
    response = client.post(f"/desk/incoming/{item.pk}/use/", data)
    assert response.status_code == 302
    update = LiveUpdate.objects.get()
    assert update.is_published
    assert update.source_name == "Air Force"
    assert update.source_time == datetime(2026, 3, 1, 22, 5, tzinfo=UTC)
    use = ItemUse.objects.get()
    assert (use.item, use.user, use.update) == (item, editor, update)
    card = html(client.get("/desk/")).select_one(f"#incoming-{item.pk}")
    assert f"Used by {editor.username} in {feed.title} (#{update.sequence})" in card.get_text()


def test_contributors_use_items_as_drafts_only(client_for, feed, sources):
    item = Item.objects.get(guid="air/1")
    client, _ = client_for(roles.CONTRIBUTORS)
    data = {"feed": feed.pk, "headline": "Missile threat", "verification": "official"}
    data["publish"] = "publish"  # not theirs to choose: ignored
    assert client.post(f"/desk/incoming/{item.pk}/use/", data).status_code == 302
    assert not LiveUpdate.objects.get().is_published


def test_people_without_desk_rights_cannot_use_or_dismiss(client_for, feed, sources):
    item = Item.objects.get(guid="air/1")
    client, _ = client_for(None)
    assert client.get(f"/desk/incoming/{item.pk}/use/").status_code == 403
    assert client.post(f"/desk/incoming/{item.pk}/dismiss/").status_code == 403
    assert client.post(f"/desk/incoming/{item.pk}/article/").status_code == 403
    assert not Item.objects.filter(dismissed_at__isnull=False).exists()


def test_dismiss_hides_an_item_for_everyone(client_for, feed, sources):
    item = Item.objects.get(guid="air/1")
    first, user = client_for(roles.CONTRIBUTORS)
    second, _ = client_for(roles.EDITORS)
    assert first.post(f"/desk/incoming/{item.pk}/dismiss/", {"q": "x"}).url == "/desk/?q=x"
    assert headlines(second.get("/desk/")) == ["Grid operator restores power in Sumy"]
    item.refresh_from_db()
    assert item.dismissed_by == user


def test_start_an_article_makes_a_draft_with_the_attribution(client_for, feed, sources):
    item = Item.objects.get(guid="air/1")
    client, editor = client_for(roles.EDITORS)
    response = client.post(f"/desk/incoming/{item.pk}/article/")
    page = ArticlePage.objects.get()
    assert response.url == f"/admin/pages/{page.pk}/edit/"
    assert not page.live
    assert page.title == "Ballistic missile threat from the north"
    text = str(page.get_latest_revision_as_object().body.render_as_block())
    assert "Take shelter now." in text
    assert 'Source: <a href="https://t.me/example_air/1">Air Force</a>, 2026-03-02 00:05' in text
    assert ItemUse.objects.get().article.pk == page.pk


def test_status_words_are_translated_and_counted():
    from django.utils import timezone, translation

    now = timezone.now()
    source = Source(name="x", kind="rss", url="https://x.example", failures=1)
    source.last_fetch_at = now
    source.next_fetch_at = now
    assert "Failed 1 time in a row" in source.status_text(now)
    with translation.override("uk"):
        assert ago(now, now) == "0 с тому"
        assert "Невдалих спроб поспіль: 1" in source.status_text(now)


# --- The stream ----------------------------------------------------------------------------


def collect(after, count):
    """The first `count` events of a desk's stream, as (id, data) pairs."""

    async def run():
        events = []
        chunks = incoming_stream.stream(after)
        try:
            async for chunk in chunks:
                text = chunk.decode()
                if text.startswith("id: "):
                    lines = dict(line.split(": ", 1) for line in text.strip().splitlines())
                    events.append((int(lines["id"]), json.loads(lines["data"])))
                    if len(events) == count:
                        return events
        finally:
            await chunks.aclose()

    return asyncio.run(run())


def test_the_stream_replays_what_a_desk_missed_by_version_id(transactional_db, sources):
    air, _ = sources
    versions = list(Item.objects.order_by("pk").values_list("versions__pk", flat=True))
    deliver(
        air, {"guid": "air/1", "headline": "Ballistic threat over", "body": "<p>All clear.</p>"}
    )
    events = collect(after=versions[0], count=2)
    # The first version of air/1 is superseded: the desk gets the wire item and version 2.
    assert [data["item"] for _, data in events] == [
        Item.objects.get(guid="urn:wire:1").pk,
        Item.objects.get(guid="air/1").pk,
    ]
    assert "All clear." in events[1][1]["html"]
    assert "version 2" in events[1][1]["html"]
    assert events[0][0] < events[1][0]


def test_the_stream_leaves_out_dismissed_items(transactional_db, sources):
    Item.objects.filter(guid="air/1").update(dismissed_at=datetime.now(UTC))
    events = collect(after=0, count=1)
    assert events[0][1]["item"] == Item.objects.get(guid="urn:wire:1").pk


def test_the_stream_marks_alerts_and_sound(transactional_db, sources):
    AlertRule.objects.create(words="BALLISTIC", sound=True)
    events = collect(after=0, count=2)
    flags = {data["item"]: (data["alert"], data["sound"]) for _, data in events}
    assert flags[Item.objects.get(guid="air/1").pk] == (True, True)
    assert flags[Item.objects.get(guid="urn:wire:1").pk] == (False, False)


def test_a_dismissal_reaches_the_desks_already_open(transactional_db, sources):
    from asgiref.sync import sync_to_async

    item = Item.objects.get(guid="air/1")

    async def run():
        chunks = incoming_stream.stream(None)
        try:
            await chunks.__anext__()  # subscribed: the stream has begun
            await sync_to_async(dismiss_elsewhere, thread_sensitive=False)(item)
            async with asyncio.timeout(60):  # a bound against hanging, not a measurement
                async for chunk in chunks:
                    if chunk.startswith(b"event: dismiss"):
                        return chunk.decode()
        finally:
            await chunks.aclose()

    event = run_in_loop(run)
    assert "id:" not in event  # a dismissal moves no one's resume position
    assert json.loads(event.split("data: ", 1)[1]) == {"items": [item.pk]}


def run_in_loop(function):
    return asyncio.run(function())


def dismiss_elsewhere(item):
    """Another desk's Dismiss, in a thread that closes its database connection after."""
    from django.db import connection

    from newsdesk.desk import incoming

    try:
        incoming.dismiss(item, None)
        notify()
        incoming_stream.broker.wake()
    finally:
        connection.close()


def test_the_stream_is_refused_without_the_asgi_server(client_for):
    """Under WSGI Django would read the endless stream to its end first: a thread held for
    ever (a test's live server never shut down). 204 tells EventSource to stop."""
    client, _ = client_for(roles.EDITORS)
    response = client.get("/desk/incoming/events/")
    assert response.status_code == 204
    assert client_for(None)[0].get("/desk/incoming/events/").status_code == 403
