"""`newsdesk import` with page dumps: what it writes, what it prints, and what it refuses."""

import logging
from datetime import datetime
from io import StringIO
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from django.core.management import CommandError, call_command

from newsdesk.articles.models import ArticlePage, Author
from newsdesk.importer.models import ImportRecord
from newsdesk.live.models import LiveFeedPage, LiveUpdate

FIXTURES = Path(__file__).parent / "fixtures" / "import"
KYIV = ZoneInfo("Europe/Kyiv")
REFERENCE = FIXTURES / "reference.txt"

pytestmark = pytest.mark.django_db


def run(*args):
    out, err = StringIO(), StringIO()
    call_command("import", *[str(arg) for arg in args], stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def actions(output):
    return [
        line.split(" ", 1)[0]
        for line in output.splitlines()
        if not line.startswith(("Imported", "Dry run"))
    ]


def write(tmp_path, name, text):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_a_page_dump_becomes_an_article_and_a_live_feed():
    out, err = run(REFERENCE, "--publish")
    article = ArticlePage.objects.get()
    assert article.live
    assert article.title.startswith("Zelenobrid restores power")
    assert [author.name for author in article.authors] == ["Zelenobrid news desk"]
    assert article.authors[0].kind == Author.Kind.DESK
    assert article.first_published_at == datetime(2025, 3, 14, 15, 34, tzinfo=KYIV)
    assert article.reading_minutes == 2
    assert (article.hero_caption, article.hero_credit) == (
        "Repair crews work at the damaged Pivnichna substation in Zelenobrid on March 14, 2025.",
        "Zelenobrid City Council",
    )
    assert len(article.body) == 8
    feed = LiveFeedPage.objects.get()
    assert (feed.slug, feed.live, feed.status) == ("live-2025-03-14", True, "ended")
    updates = list(LiveUpdate.objects.filter(feed=feed).order_by("sequence"))
    # Posted oldest first, so sequence numbers follow the clock.
    assert [update.published_at.astimezone(KYIV).strftime("%d %H:%M") for update in updates] == [
        "13 20:54",
        "14 00:22",
        "14 09:15",
        "14 10:47",
    ]
    assert all(update.is_published for update in updates)
    assert updates[2].body.count("<p>") == 2 and "38,000" in updates[2].body
    lines = out.splitlines()
    assert lines[:3] == [
        "created author /authors/zelenobrid-news-desk/",
        "created live feed /live/live-2025-03-14/",
        f"created article /news/{article.slug}/",
    ]
    assert article.live_feed_id == feed.pk  # shown under the article, as in the dump
    assert lines[3].startswith("created live update /live/live-2025-03-14/updates/")
    assert lines[-1] == "Imported 1 of 1 file(s): 7 created, 0 updated, 0 unchanged."
    assert "no photo imported; the page shows the caption on its own" in err


def test_the_article_page_shows_what_the_dump_showed(client):
    run(REFERENCE, "--publish")
    article = ArticlePage.objects.get()
    html = client.get(article.url).content.decode()
    assert "Zelenobrid restores power to most districts" in html
    assert "Zelenobrid news desk" in html
    assert "March 14, 2025 3:34 PM" in html
    assert "2 min read" in html
    assert "Author: Zelenobrid news desk" in " ".join(html.split())
    # Then the live block, newest first, its entries under the day each was posted.
    block = html[html.index('class="article-live"') :]
    assert block.index("March 14, 2025") < block.index("10:47 AM") < block.index("12:22 AM")
    assert block.index("12:22 AM") < block.index("March 13, 2025") < block.index("8:54 PM")


def test_the_live_feed_page_dates_entries_across_midnight(client):
    run(REFERENCE, "--publish")
    html = client.get(LiveFeedPage.objects.get().url).content.decode()
    assert 'data-day="2025-03-14"' in html and 'data-day="2025-03-13"' in html
    assert html.index("Tram route 5 resumes") < html.index("Air-raid alert declared")
    assert html.index('data-day="2025-03-14"') < html.index('data-day="2025-03-13"')


def test_importing_again_changes_nothing():
    run(REFERENCE, "--publish")
    revisions = ArticlePage.objects.get().revisions.count()
    recorded = ImportRecord.objects.get().updated_at
    out, _ = run(REFERENCE, "--publish")
    assert ImportRecord.objects.get().updated_at == recorded
    assert set(actions(out)) == {"unchanged"}
    assert len(actions(out)) == 7
    assert ArticlePage.objects.get().revisions.count() == revisions
    assert LiveUpdate.objects.count() == 4 and ImportRecord.objects.count() == 1


def test_a_changed_dump_updates_the_same_article_and_entries(tmp_path):
    run(REFERENCE, "--publish")
    text = REFERENCE.read_text().replace("About 46,000 households", "About 47,000 households")
    text = text.replace("running again, the city", "running again, the city's")
    out, _ = run(write(tmp_path, "changed.txt", text), "--publish")
    assert "updated article" in out and out.count("updated live update") == 1
    article = ArticlePage.objects.get()
    assert "47,000" in str(article.body[1].value["text"])
    assert LiveUpdate.objects.count() == 4


def test_without_publish_everything_is_a_draft():
    out, _ = run(REFERENCE)
    assert not ArticlePage.objects.get().live
    assert not LiveFeedPage.objects.get().live
    assert not LiveUpdate.objects.filter(is_published=True).exists()
    # Publishing later is an update, not a second article.
    out, _ = run(REFERENCE, "--publish")
    assert "updated article" in out and ArticlePage.objects.get().live
    assert LiveUpdate.objects.filter(is_published=True).count() == 4


def test_dry_run_writes_nothing():
    out, _ = run(REFERENCE, "--dry-run", "--publish")
    assert "created article" in out and "Dry run" in out
    assert not ArticlePage.objects.exists()
    assert not Author.objects.exists()
    assert not LiveFeedPage.objects.exists() and not ImportRecord.objects.exists()


def test_a_malformed_file_is_refused_whole_and_the_others_still_import(tmp_path):
    bad = write(
        tmp_path,
        "bad.txt",
        REFERENCE.read_text().replace("March 14, 2025 3:34", "February 30, 2025 3:34"),
    )
    out, err = StringIO(), StringIO()
    with pytest.raises(CommandError, match=r"1 of 2 file\(s\) failed: .*bad\.txt"):
        call_command("import", str(bad), str(FIXTURES / "minimal.txt"), stdout=out, stderr=err)
    assert f"error: {bad}:2: 'February 30, 2025' is not a date" in err.getvalue()
    assert "Traceback" not in err.getvalue()
    assert "Failed:" in out.getvalue()
    assert [page.title for page in ArticlePage.objects.all()] == [
        "Library on Sadova Street reopens after repairs"
    ]


def test_an_unreadable_file_is_reported(tmp_path):
    with pytest.raises(CommandError):
        run(tmp_path / "missing.txt")
    bad = tmp_path / "latin1.txt"
    bad.write_bytes("Headline\nby Caf\xe9 desk".encode("latin-1"))
    with pytest.raises(CommandError):
        run(bad)


def test_dumps_of_the_same_day_share_a_feed_without_posting_twice(tmp_path):
    run(REFERENCE, "--publish")
    second = REFERENCE.read_text().replace(
        "Zelenobrid restores power", "Left bank waits for power", 1
    )
    out, _ = run(write(tmp_path, "second.txt", second), "--publish")
    assert "created article" in out
    assert out.count("unchanged live update") == 4
    assert ArticlePage.objects.count() == 2 and LiveUpdate.objects.count() == 4


def test_two_entries_with_the_same_time_and_headline_stay_two_updates(tmp_path):
    # A desk posting "Air-raid alert" twice in one minute, for two districts: neither is lost.
    text = REFERENCE.read_text()
    entry = "8:54 PM\nAir-raid alert declared in Zelenobrid Oblast\n\n"
    twice = text.replace(entry, entry + "The alert covers Lukivka too.\n\n" + entry, 1)
    assert twice != text
    path = write(tmp_path, "twice.txt", twice)
    out, _ = run(path, "--publish")
    assert out.count("created live update") == 5
    bodies = LiveUpdate.objects.filter(headline__startswith="Air-raid alert").values_list(
        "body", flat=True
    )
    assert len(bodies) == 2 and any("Lukivka too" in body for body in bodies)
    out, _ = run(path, "--publish")
    assert set(actions(out)) == {"unchanged"} and LiveUpdate.objects.count() == 5


def test_live_feed_option_names_the_feed(tmp_path):
    run(FIXTURES / "several_midnights.txt", "--live-feed", "brid-floods")
    feed = LiveFeedPage.objects.get()
    assert feed.slug == "brid-floods"
    assert feed.updates.count() == 6


def test_authors_are_people_or_desks_and_found_by_name():
    Author.objects.create(name="Solomiia Verbenko", slug="solomiia", role="Senior correspondent")
    out, _ = run(FIXTURES / "several_authors.txt")
    assert "unchanged author /authors/solomiia/" in out
    kinds = dict(Author.objects.values_list("name", "kind"))
    assert kinds == {
        "Solomiia Verbenko": "person",
        "Marko Hnatiuk": "person",
        "Zelenobrid news desk": "desk",
    }
    article = ArticlePage.objects.get()
    assert [author.name for author in article.authors] == [
        "Solomiia Verbenko",
        "Marko Hnatiuk",
        "Zelenobrid news desk",
    ]


def test_the_page_keeps_the_reading_time_of_its_source(tmp_path, client):
    # The reference text counts 2 minutes here; the source said 5, and the page says what
    # the source said until an editor clears the figure.
    text = REFERENCE.read_text().replace("2 min read", "5 min read")
    _, err = run(write(tmp_path, "slow.txt", text), "--publish")
    assert "min read" not in err
    article = ArticlePage.objects.get()
    assert (article.reading_minutes_override, article.reading_minutes) == (5, 5)
    assert "5 min read" in client.get(article.url).content.decode()
    article.reading_minutes_override = None
    article.save_revision().publish()
    assert ArticlePage.objects.get().reading_minutes == 2


def test_markup_in_a_dump_is_text(tmp_path, client):
    text = (
        (FIXTURES / "minimal.txt")
        .read_text()
        .replace(
            "The library is open",
            '<script>alert("x")</script><img src=x onerror=alert(1)> The library is open',
        )
    )
    run(write(tmp_path, "markup.txt", text), "--publish")
    html = client.get(ArticlePage.objects.get().url).content.decode()
    assert "<script>alert" not in html and "<img src=x" not in html
    assert "&lt;script&gt;alert" in html


def test_time_zone_option(tmp_path):
    run(FIXTURES / "minimal.txt", "--time-zone", "America/New_York")
    assert ArticlePage.objects.get().first_published_at == datetime(
        2025, 4, 2, 9, 0, tzinfo=ZoneInfo("America/New_York")
    )
    with pytest.raises(CommandError, match="Unknown time zone"):
        run(FIXTURES / "minimal.txt", "--time-zone", "Mars/Olympus")


def test_a_folder_imports_its_files_in_order(tmp_path):
    folder = tmp_path / "dumps"
    folder.mkdir()
    for name in ["minimal.txt", "several_authors.txt"]:
        (folder / name).write_text((FIXTURES / name).read_text())
    (folder / ".hidden.txt").write_text("junk")
    out, _ = run(folder)
    assert out.splitlines()[-1].startswith("Imported 2 of 2 file(s)")


def test_a_failure_while_writing_rolls_the_whole_file_back(monkeypatch):
    from django.core.exceptions import ValidationError

    from newsdesk.importer import writer

    posted = []

    def post_or_fail(feed, **fields):
        if posted:
            raise ValidationError({"headline": ["Refused for the test."]})
        posted.append(fields["headline"])
        return real_post(feed, **fields)

    real_post = writer.post_update
    monkeypatch.setattr(writer, "post_update", post_or_fail)
    err = StringIO()
    with pytest.raises(CommandError):
        call_command("import", str(REFERENCE), stdout=StringIO(), stderr=err)
    # Entries are posted oldest first: the second is the 12:22 AM entry on line 36.
    assert f"{REFERENCE}:36: headline: Refused for the test." in err.getvalue()
    assert posted == ["Air-raid alert declared in Zelenobrid Oblast"]
    assert not ArticlePage.objects.exists() and not LiveFeedPage.objects.exists()
    assert not LiveUpdate.objects.exists() and not Author.objects.exists()
    assert not ImportRecord.objects.exists()


def test_library_logs_are_quiet_unless_asked_for(caplog):
    caplog.set_level(logging.INFO)
    run(REFERENCE, "--publish")
    assert not [record for record in caplog.records if record.name.startswith("wagtail")]
    ArticlePage.objects.get().delete()
    ImportRecord.objects.all().delete()
    call_command("import", str(REFERENCE), "--publish", verbosity=2, stdout=StringIO())
    assert any(record.name.startswith("wagtail") for record in caplog.records)
    assert logging.getLogger("wagtail").level == logging.NOTSET  # restored afterwards
