"""Fetching sources from a real HTTP server on 127.0.0.1 (tests/sourceserver.py): storing,
versions, de-duplication, and every kind of bad input, each refused with a plain reason."""

import gzip
import json
import logging
import os
import threading
import time
from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import timezone

from newsdesk.sources import fetcher, poller, web
from newsdesk.sources.fetcher import fetch_source
from newsdesk.sources.models import Item, ItemVersion, Source
from newsdesk.sources.parsers import Entry, Parsed
from newsdesk.sources.store import store
from tests.factories import make_source
from tests.sourceserver import FIXTURES, SourceServer

pytestmark = pytest.mark.django_db


@pytest.fixture
def server():
    running = SourceServer().start()
    yield running
    running.stop()


def refresh(source):
    source.refresh_from_db()
    return source


def test_rss_items_are_stored_sanitised_and_refetched_conditionally(server):
    url = server.serve_fixture("/water.xml", "rss.xml")
    source = make_source(kind="rss", url=url, verification="official")
    result = fetch_source(source)
    assert result.error == ""
    assert len(result.outcome.new) == 2
    item = Item.objects.get(guid="rwa-statement-2041")
    (version,) = item.versions.all()
    assert "<script>" not in version.body and "alert(1)" not in version.body
    assert "onclick" not in version.body
    assert '<a href="https://water.example.org/map">Map of affected streets</a>' in version.body
    assert version.changed == []
    source = refresh(source)
    assert source.etag and source.last_error == "" and source.failures == 0
    assert source.last_new_item_at is not None

    again = fetch_source(source)
    assert again.not_modified
    assert server.routes["/water.xml"].conditional_hits == 1
    assert ItemVersion.objects.count() == 2


@pytest.mark.parametrize(
    ("kind", "fixture", "count"),
    [("atom", "atom.xml", 2), ("jsonfeed", "feed.json", 2), ("ninjs", "ninjs-3.json", 1),
     ("newsml", "newsml.xml", 1), ("telegram", "telegram.html", 2)],
)  # fmt: skip
def test_every_kind_over_http(server, kind, fixture, count):
    source = make_source(kind=kind, url=server.serve_fixture(f"/{fixture}", fixture))
    result = fetch_source(source)
    assert (result.error, len(result.outcome.new)) == ("", count)
    assert source.items.count() == count
    assert all(item.headline for item in source.items.all())


def test_an_agency_update_is_one_new_version_with_what_changed(server):
    source = make_source(kind="ninjs", url=server.serve_fixture("/grid.json", "ninjs-1.json"))
    fetch_source(source)
    server.serve_fixture("/grid.json", "ninjs-2.json")
    result = fetch_source(refresh(source))
    assert [item.guid for item in result.outcome.changed] == [
        "urn:example:agency:2024:0127:energy-grid"
    ]
    item = Item.objects.get()
    assert item.headline == "Grid operator reports outages in four regions"
    assert [v.number for v in item.versions.all()] == [1, 2]
    assert item.versions.get(number=2).changed == ["headline", "body"]
    assert item.versions.get(number=2).source_version == "2"

    for fixture in ("ninjs-2.json", "ninjs-1.json"):  # the same again, then a stale copy
        server.serve_fixture("/grid.json", fixture, etag=False)
        result = fetch_source(refresh(source))
        assert (result.outcome.new, result.outcome.changed, result.outcome.unchanged) == ([], [], 1)
    assert ItemVersion.objects.count() == 2


def big_feed(count, changed=None):
    items = "".join(
        f"<item><title>Statement {n}{' (corrected)' if n == changed else ''}</title>"
        f"<guid>statement-{n}</guid><description>Text of statement {n}.</description></item>"
        for n in range(count)
    )
    return f'<?xml version="1.0"?><rss version="2.0"><channel>{items}</channel></rss>'


def test_a_thousand_items_delivered_many_times_are_stored_once(server):
    url = server.serve("/many.xml", big_feed(1000), etag=False)
    source = make_source(url=url)
    for _ in range(4):
        fetch_source(refresh(source))
    assert Item.objects.count() == 1000
    assert ItemVersion.objects.count() == 1000
    server.serve("/many.xml", big_feed(1000, changed=517), etag=False)
    result = fetch_source(refresh(source))
    assert [item.guid for item in result.outcome.changed] == ["statement-517"]
    assert (len(result.outcome.new), result.outcome.unchanged) == (0, 999)
    assert ItemVersion.objects.count() == 1001
    fetch_source(refresh(source))
    assert ItemVersion.objects.count() == 1001


def fifty_megabytes(handler):
    handler.send_response(200)
    handler.end_headers()  # no Content-Length: the reader has to count
    chunk = b"<rss>" + b" " * (1024 * 1024 - 5)
    try:
        for _ in range(50):
            handler.wfile.write(chunk)
    except OSError:
        pass  # the fetcher hung up at its limit


def gzip_bomb(handler):
    body = gzip.compress(b" " * (50 * 1024 * 1024), compresslevel=9)  # about 50 kB
    handler.send_response(200)
    handler.send_header("Content-Encoding", "gzip")
    handler.send_header("Content-Length", str(len(body)))
    handler.end_headers()
    handler.wfile.write(body)


def redirect_to_self(handler):
    handler.send_response(302)
    handler.send_header("Location", handler.path)
    handler.send_header("Content-Length", "0")
    handler.end_headers()


BAD_INPUT = {
    "malformed feed": ("rss", "malformed.xml", "Not well-formed XML: mismatched tag"),
    "XML bomb": ("rss", "bomb.xml", "Refused: the XML declares entities"),
    "invalid encoding": ("rss", "bad-encoding.xml", "is the text in the encoding it declares?"),
    "ninjs missing fields": ("ninjs", "ninjs-missing.json", "it has no uri"),
    "50 MB answer": ("rss", fifty_megabytes, "larger than the limit of 10 MB"),
    "gzip bomb": ("rss", gzip_bomb, "larger than the limit of 10 MB"),
    "redirect loop": ("rss", redirect_to_self, "Too many redirects (more than 5)"),
    "slow server": ("rss", "slow", "The server took too long (more than 1 s) to answer."),
    "server error": ("rss", "error", "The server answered 503 Service Unavailable."),
}


@pytest.mark.parametrize("case", BAD_INPUT)
def test_bad_input_is_refused_with_a_plain_error_and_nothing_stored(server, settings, caplog, case):
    kind, served, message = BAD_INPUT[case]
    # A short timeout only where the case is the timeout: on a busy machine reading and
    # refusing 50 MB or a gzip bomb can itself take over a second.
    settings.NEWSDESK_SOURCE_TIMEOUT = 1 if served == "slow" else 30
    if served == "slow":
        url = server.serve("/bad", trickle=(b"<", 0.2, 40))
    elif served == "error":
        url = server.serve("/bad", status=503)
    elif callable(served):
        url = server.serve("/bad", served)
    else:
        url = server.serve_fixture("/bad", served)
    source = make_source(kind=kind, url=url)
    before = timezone.now()
    with caplog.at_level(logging.WARNING, logger="newsdesk.sources"):
        result = fetch_source(source)
    assert message in result.error
    source = refresh(source)
    assert message in source.last_error
    assert message in source.status_text()
    assert message in caplog.text and source.name in caplog.text
    assert Item.objects.count() == 0 and ItemVersion.objects.count() == 0
    assert source.failures == 1
    assert source.next_fetch_at > before + timedelta(seconds=source.interval)


def test_nul_characters_never_reach_the_database():
    """PostgreSQL refuses NUL in text; a Telegram page or JSON can carry one (not XML)."""
    source = make_source(url="http://127.0.0.1:9/x")
    entry = Entry(guid="post\x00/1", headline="A\x00B", body="<p>C\x00D</p>", version="2\x00")
    outcome = store(source, Parsed(entries=[entry]))
    assert len(outcome.new) == 1
    version = ItemVersion.objects.get()
    assert (version.item.guid, version.headline, version.body) == ("post/1", "AB", "<p>CD</p>")
    assert version.source_version == "2"


def test_private_addresses_are_refused_unless_allowed(server):
    url = server.serve_fixture("/water.xml", "rss.xml")
    source = make_source(url=url, allow_private=False)
    result = fetch_source(source)
    assert result.error.startswith("Refused: 127.0.0.1 is a private or local address (127.0.0.1)")
    assert server.routes["/water.xml"].hits == 0  # never connected
    assert Item.objects.count() == 0


def test_a_redirect_to_a_private_address_is_refused(server):
    target = server.serve_fixture("/water.xml", "rss.xml")
    with pytest.raises(web.FetchError, match="private or local"):
        web.fetch(target.replace("127.0.0.1", "localhost"), web.Limits(allow_private=False))


@pytest.mark.parametrize(
    ("address", "public"),
    [("127.0.0.1", False), ("10.1.2.3", False), ("192.168.0.10", False), ("169.254.169.254", False),
     ("::1", False), ("fe80::1", False), ("::ffff:127.0.0.1", False), ("0.0.0.0", False),
     ("100.64.0.1", False), ("224.0.0.1", False), ("93.184.215.14", True), ("2a00:1450::1", True)],
)  # fmt: skip
def test_which_addresses_count_as_public(address, public):
    assert web.is_public(address) is public


def test_backoff_grows_with_failures_and_is_capped():
    delays = [fetcher.next_delay(60, failures) for failures in (0, 1, 3, 20)]
    assert 54 <= delays[0] <= 66
    assert 108 <= delays[1] <= 132
    assert 432 <= delays[2] <= 528
    assert delays[3] <= 3600 * 1.1
    assert fetcher.next_delay(60, 1, retry_after=900) >= 900 * 0.9


def test_watched_folder_moves_files_to_done_and_failed(tmp_path):
    for name in ("ninjs-1.json", "newsml.xml", "malformed.xml"):
        (tmp_path / name).write_bytes((FIXTURES / name).read_bytes())
    (tmp_path / "half-written.part").write_bytes(b"{")
    (tmp_path / "just-arrived.json").write_bytes((FIXTURES / "ninjs-3.json").read_bytes())
    old = time.time() - 60
    for name in ("ninjs-1.json", "newsml.xml", "malformed.xml"):
        os.utime(tmp_path / name, (old, old))
    source = make_source(kind="folder", folder=str(tmp_path))
    result = fetch_source(source)
    assert len(result.outcome.new) == 2
    assert sorted(p.name for p in (tmp_path / "done").iterdir()) == ["newsml.xml", "ninjs-1.json"]
    assert sorted(p.name for p in (tmp_path / "failed").iterdir()) == [
        "malformed.xml",
        "malformed.xml.error",
    ]
    error = (tmp_path / "failed" / "malformed.xml.error").read_text()
    assert "Not well-formed XML" in error
    assert "malformed.xml: Not well-formed XML" in refresh(source).last_error
    # Left where they are: still being written, or too new to be sure they are whole.
    assert (tmp_path / "half-written.part").exists() and (tmp_path / "just-arrived.json").exists()

    second = fetch_source(refresh(source))  # the failed file is not read again
    assert second.files == [] and refresh(source).last_error == ""
    assert Item.objects.count() == 2


def test_an_oversized_dropped_file_is_moved_aside_unread(tmp_path, settings):
    settings.NEWSDESK_SOURCE_MAX_MB = 1
    big = tmp_path / "huge.json"
    big.write_bytes(b"[" + b" " * (2 * 1024 * 1024) + b"]")
    os.utime(big, (time.time() - 60, time.time() - 60))
    result = fetch_source(make_source(kind="folder", folder=str(tmp_path)))
    assert result.files == ["failed huge.json: Refused: the file is over the limit of 1 MB."]
    assert (tmp_path / "failed" / "huge.json.error").exists()
    assert Item.objects.count() == 0


def test_one_bad_source_does_not_stop_the_others(transactional_db, server, settings):
    settings.NEWSDESK_SOURCE_TIMEOUT = 2
    slow = make_source(name="Slow", url=server.serve("/slow", trickle=(b"<", 0.5, 40)))
    looping = make_source(name="Loop", url=server.serve("/loop", redirect_to_self))
    good = make_source(name="Good", url=server.serve_fixture("/good.xml", "rss.xml"))
    stop = threading.Event()
    thread = threading.Thread(target=poller.run, args=(stop, 0.1))
    thread.start()
    try:
        for _ in range(200):  # waits for an outcome, at most 20 s; asserts nothing on time
            if all(refresh(source).last_fetch_at for source in (slow, looping, good)):
                break
            time.sleep(0.1)
    finally:
        stop.set()
        thread.join(10)
    assert good.items.count() == 2 and refresh(good).last_error == ""
    assert "took too long" in refresh(slow).last_error
    assert "Too many redirects" in refresh(looping).last_error


def test_claiming_takes_each_due_source_once():
    due = make_source(url="http://127.0.0.1:9/x")
    make_source(url="http://127.0.0.1:9/y", enabled=False)
    make_source(url="http://127.0.0.1:9/z", next_fetch_at=timezone.now() + timedelta(hours=1))
    assert [source.pk for source in poller.claim_due()] == [due.pk]
    assert poller.claim_due() == []


def test_old_items_are_removed_after_the_retention_period(settings):
    settings.NEWSDESK_SOURCE_RETENTION_DAYS = 30
    source = make_source(url="http://127.0.0.1:9/x")
    Item.objects.create(source=source, guid="old", last_seen_at=timezone.now() - timedelta(days=31))
    Item.objects.create(source=source, guid="recent")
    poller.remove_old_items()
    assert list(Item.objects.values_list("guid", flat=True)) == ["recent"]


def command(*args):
    out = StringIO()
    call_command("source", *args, stdout=out)
    return out.getvalue()


def test_command_line_add_list_fetch_items(server):
    url = server.serve_fixture("/grid.json", "ninjs-1.json")
    assert command("add", "Agency", "--kind", "ninjs", "--url", url, "--interval", "30",
                   "--allow-private") == f"added ninjs Agency: {url}\n"  # fmt: skip
    assert "Not fetched yet." in command("list")
    first = command("fetch", "Agency")
    assert (
        "new urn:example:agency:2024:0127:energy-grid\tGrid operator reports outages in three"
        in first
    )
    assert "1 new, 0 changed, 0 unchanged, 0 refused" in first
    server.serve_fixture("/grid.json", "ninjs-2.json")
    assert "changed urn:example:agency:2024:0127:energy-grid" in command("fetch", "Agency")
    listed = command("list")
    assert listed.startswith("Agency\tninjs\t") and "Last new item" in listed
    items = json.loads(command("items", "Agency", "--json"))
    assert len(items) == 1
    assert [v["number"] for v in items[0]["versions"]] == [1, 2]
    assert items[0]["versions"][1]["changed"] == ["headline", "body"]
    assert "version 2 fetched" in command("items", "Agency")


def test_command_line_refusals(server):
    with pytest.raises(CommandError, match="--folder goes with --kind folder"):
        command("add", "X", "--kind", "folder", "--url", "https://example.org/")
    with pytest.raises(CommandError, match="interval: At least 10 seconds."):
        command("add", "X", "--kind", "rss", "--url", "https://example.org/", "--interval", "2")
    make_source(name="Bomb", url=server.serve_fixture("/bomb.xml", "bomb.xml"))
    with pytest.raises(CommandError, match="Refused: the XML declares entities"):
        command("fetch", "Bomb")
    with pytest.raises(CommandError, match="No source is named 'Nope'"):
        command("fetch", "Nope")
    assert Source.objects.filter(name="X").count() == 0
