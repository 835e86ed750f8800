"""GRIP mode without Pushpin: what the event stream answers to a request marked as coming
through Pushpin, the publish items, and the sharing of database reads between requests.
tests/test_live_pushpin.py runs the same paths through a real Pushpin."""

import asyncio
import json
import threading

import pytest

from newsdesk.live import grip, rendered
from newsdesk.live.actions import edit_update
from newsdesk.live.gripstream import RETRY_MILLISECONDS
from newsdesk.live.publisher import Publisher
from newsdesk.live.rounds import Rounds
from newsdesk.live.stream import MAX_REPLAY
from tests.factories import make_live_feed, post
from tests.test_live import asgi_get, event_ids

GRIP_SIG = (b"grip-sig", b"anything: the signature is not verified")


@pytest.fixture
def grip_mode(settings):
    # Nothing listens there: what is published in these tests is dropped (and logged).
    settings.NEWSDESK_PUSHPIN_URL = ["http://127.0.0.1:9"]
    rendered.forget()


def events_in(body):
    return event_ids([chunk for chunk in body.decode().split("\n\n") if chunk.startswith("id:")])


def answer(url, *headers):
    status, response_headers, bodies, _ = asyncio.run(asgi_get(url, headers=[GRIP_SIG, *headers]))
    return status, response_headers, b"".join(bodies)


@pytest.mark.django_db(transaction=True)
def test_a_request_through_pushpin_gets_the_replay_and_hold_instructions(grip_mode, settings):
    feed = make_live_feed()
    seen = post(feed, "Seen").sequence
    missed = [post(feed, f"Missed {n}") for n in range(2)]
    status, headers, body = answer(f"{feed.url}events", (b"last-event-id", str(seen).encode()))
    assert status == 200
    assert headers[b"content-type"] == b"text/event-stream"
    assert headers[b"grip-hold"] == b"stream"
    assert headers[b"grip-channel"] == f"live-{feed.pk}; prev-id={missed[-1].sequence}".encode()
    check = settings.NEWSDESK_PUSHPIN_CHECK_SECONDS
    assert (
        headers[b"grip-link"] == f"<{feed.url}events?recover>; rel=next; timeout={check}".encode()
    )
    keep_alive = headers[b"grip-keep-alive"].decode()
    assert keep_alive.endswith(f"; format=base64; timeout={grip.KEEP_ALIVE_SECONDS}")
    retry, replay = body.split(b"\n\n", 1)
    low, high = RETRY_MILLISECONDS
    assert retry.startswith(b"retry: ") and low <= int(retry.split()[1]) <= high
    assert events_in(replay) == [update.sequence for update in missed]


@pytest.mark.django_db(transaction=True)
def test_a_fresh_reader_is_held_at_the_feeds_position_with_nothing_replayed(grip_mode):
    feed = make_live_feed()
    last = [post(feed, f"Update {n}") for n in range(3)][-1].sequence
    _, headers, body = answer(f"{feed.url}events")
    assert headers[b"grip-channel"] == f"live-{feed.pk}; prev-id={last}".encode()
    assert body.startswith(b"retry: ") and body.count(b"\n\n") == 1


@pytest.mark.django_db(transaction=True)
def test_pushpins_grip_last_takes_precedence_and_continues_the_response(grip_mode):
    feed = make_live_feed()
    first = post(feed, "First").sequence
    later = [post(feed, f"Later {n}") for n in range(2)]
    grip_last = (b"grip-last", f"live-{feed.pk}; last-id={first}".encode())
    _, headers, body = answer(f"{feed.url}events?recover", grip_last, (b"last-event-id", b"0"))
    assert headers[b"grip-channel"] == f"live-{feed.pk}; prev-id={later[-1].sequence}".encode()
    assert not body.startswith(b"retry:")  # a next link continues a response under way
    assert events_in(body) == [update.sequence for update in later]
    # Another channel's position is not this feed's.
    other = (b"grip-last", b"live-999999; last-id=0")
    _, _, body = answer(f"{feed.url}events?after={first}", other)
    assert events_in(body) == [update.sequence for update in later]


@pytest.mark.django_db(transaction=True)
def test_superseded_changes_are_not_replayed_and_the_position_covers_them(grip_mode):
    feed = make_live_feed()
    first = post(feed, "First")
    post(feed, "Second")
    edit_update(first, headline="First, corrected")
    _, headers, body = answer(f"{feed.url}events?after=0")
    assert events_in(body) == [2, 3]  # the post numbered 1 was replaced by the edit, 3
    assert b"First, corrected" in body
    assert headers[b"grip-channel"].endswith(b"prev-id=3")


@pytest.mark.django_db(transaction=True)
def test_too_far_behind_or_ahead_is_told_to_reload_and_not_held(grip_mode, monkeypatch):
    feed = make_live_feed()
    last = [post(feed, f"Update {n}") for n in range(3)][-1].sequence
    _, headers, body = answer(f"{feed.url}events?after={last + 5}")
    assert b"grip-hold" not in headers and b"event: reload" in body
    monkeypatch.setattr("newsdesk.live.gripstream.MAX_REPLAY", 1)
    _, headers, body = answer(f"{feed.url}events?after=0")
    assert b"grip-hold" not in headers and b"event: reload" in body
    assert MAX_REPLAY > 1  # the real limit is untouched


@pytest.mark.django_db(transaction=True)
def test_unknown_or_unpublished_feeds_are_404_through_pushpin_too(grip_mode):
    feed = make_live_feed()
    assert answer("/live/no-such-feed/events")[0] == 404
    feed.unpublish()
    assert answer(f"{feed.url}events")[0] == 404


@pytest.mark.django_db(transaction=True)
def test_without_pushpin_configured_a_grip_sig_changes_nothing(settings):
    settings.NEWSDESK_PUSHPIN_URL = []
    feed = make_live_feed()
    status, headers, bodies, finished = asyncio.run(
        asgi_get(f"{feed.url}events", headers=[GRIP_SIG])
    )
    assert status == 200 and b"grip-hold" not in headers
    assert bodies[0].startswith(b"retry:") and finished


def test_grip_last_parsing():
    headers = [
        (b"grip-last", b"live-7; last-id=41"),
        (b"grip-last", b"live-8; last-id=3, other; last-id=x"),
        (b"grip-sig", b"x"),
    ]
    assert grip.last_ids(headers) == (("live-7", 41), ("live-8", 3))
    assert grip.last_ids([(b"grip-last", b"live-7; last-id=-1")]) == ()
    assert grip.is_grip_request(headers) and not grip.is_grip_request(headers[:2])


@pytest.mark.django_db(transaction=True)
def test_published_items_chain_ids_and_a_superseded_change_keeps_the_chain(grip_mode):
    feed = make_live_feed()
    first = post(feed, "First")
    second = post(feed, "Second")
    edit_update(first, headline="First, corrected")
    items = Publisher(["http://127.0.0.1:9"]).items({feed.pk: {1, 2, 3}})
    assert [(i["id"], i["prev-id"]) for i in items] == [("1", "0"), ("2", "1"), ("3", "2")]
    assert {i["channel"] for i in items} == {f"live-{feed.pk}"}
    contents = [i["formats"]["http-stream"]["content"] for i in items]
    assert contents[0] == grip.SUPERSEDED  # number 1 is now the edit's, published as 3
    assert contents[1].startswith(f"id: {second.sequence}\nevent: update\n")
    assert json.loads(contents[2].split("data: ", 1)[1])["headline"] == "First, corrected"
    body = json.loads(grip.publish_body(items))
    assert body["items"] == items


def test_rounds_share_reads_and_never_answer_with_a_read_older_than_the_request():
    reads = []
    release = threading.Event()

    def read(name):
        reads.append(name)
        number = len(reads)
        if number == 1:
            release.wait(10)  # the first read is slow: requests arrive while it runs
        return number

    async def scenario():
        rounds = Rounds(read)
        first = asyncio.ensure_future(rounds.get(("a",)))
        await asyncio.sleep(0.05)  # the first round is reading now
        late = [asyncio.ensure_future(rounds.get(("a",))) for _ in range(5)]
        other = asyncio.ensure_future(rounds.get(("b",)))  # another key: no waiting
        await asyncio.sleep(0.05)
        release.set()
        return await first, await asyncio.gather(*late), await other

    first, late, other = asyncio.run(scenario())
    assert (first, other) == (1, 2)
    # The five that arrived during the first read share one read, started after it ended.
    assert late == [3] * 5
    assert reads == ["a", "b", "a"]


def test_pushpin_settings_are_checked(settings):
    from newsdesk.live.checks import pushpin_settings

    settings.NEWSDESK_PUSHPIN_URL = ["http://127.0.0.1:5561", "127.0.0.1:5561"]
    settings.NEWSDESK_PUSHPIN_CHECK_SECONDS = 0
    assert [error.id for error in pushpin_settings(None)] == ["live.E001", "live.E002"]
    settings.NEWSDESK_PUSHPIN_URL = ["https://pushpin.internal:5561"]
    settings.NEWSDESK_PUSHPIN_CHECK_SECONDS = 20
    assert pushpin_settings(None) == []


def test_publish_requests_are_split_below_pushpins_body_limit():
    from newsdesk.live.publisher import batches

    items = [grip.publish_item(1, n, "x" * 300) for n in range(1, 101)]
    split = list(batches(items, limit=5000))
    assert [item for batch in split for item in batch] == items  # all, in order
    assert all(len(grip.publish_body(batch)) <= 5000 for batch in split)
    assert len(split) > 1
