"""Narration jobs end to end with the real voice: queueing on publish, the audio and its
timings, incremental re-narration, failures, retries, the admin and the commands."""

import contextlib
import io
import os
import signal
import sqlite3
import time
from pathlib import Path

import feedparser
import pytest
from django.core.files.storage import default_storage
from django.core.management import call_command
from django.core.management.base import CommandError
from django_tasks_db.models import DBTaskResult

from newsdesk.accounts import roles
from newsdesk.narration import actions
from newsdesk.narration.audio import read_frame_header
from newsdesk.narration.models import AudioStatus, LexiconEntry, LiveBriefing, Narration
from newsdesk.narration.speech import speech_text
from tests.factories import (
    ensure_site_structure,
    make_article,
    make_author,
    make_live_feed,
    post,
)
from tests.test_server import newsdesk

pytestmark = pytest.mark.django_db(transaction=True)

BODY = [
    ("paragraph", "<p>The council met on Jan. 27 and approved 1,250 new shelter places.</p>"),
    ("heading", {"text": "What happens next", "level": "h2"}),
    ("paragraph", "<p>Builders start work on Monday, the mayor said.</p>"),
    ("image", None),  # replaced in article_with_body: images are never read
    ("quote", {"text": "We will be ready before the frost.", "attribution": "The mayor"}),
    (
        "paragraph",
        {
            "text": "<p>An internal note editors keep out of the audio.</p>",
            "exclude_from_audio": True,
        },
    ),
]


@pytest.fixture(autouse=True)
def _narration_cache_in_tmp(settings, tmp_path):
    settings.DATA_DIR = tmp_path / "data"
    ensure_site_structure()  # transactional tests start from empty tables
    roles.ensure_roles()


def article_with_body(**fields):
    from tests.factories import make_image

    body = []
    for block_type, value in BODY:
        if block_type == "image":
            value = {"image": make_image("Shelter"), "alt": "A shelter", "caption": "A caption"}
        body.append((block_type, value))
    return make_article(
        "Council approves shelters",
        authors=[make_author("Olena Marchenko"), make_author("Taras Bondar")],
        body=body,
        **fields,
    )


def narration_tasks():
    return DBTaskResult.objects.filter(task_path="newsdesk.narration.tasks.narrate").count()


def narration_for(article):
    return Narration.objects.get(article=article)


def run(narration):
    return actions.run_job("article", narration.pk)


def cache_files(settings):
    folder = actions.cache_dir()
    return set(folder.rglob("*.mp3")) if folder.exists() else set()


def test_publishing_queues_narration_without_waiting_for_it():
    started = time.monotonic()
    article = article_with_body()
    elapsed = time.monotonic() - started
    narration = narration_for(article)
    assert narration.status == AudioStatus.PENDING
    assert not narration.has_audio
    task = DBTaskResult.objects.get(id=narration.task_id)
    assert task.args_kwargs["args"] == ["article", narration.pk]
    assert elapsed < 30  # generous: what matters is that no audio was made on the way


def test_a_job_makes_an_mp3_with_timings_for_what_is_read(settings):
    article = article_with_body()
    narration = narration_for(article)
    assert run(narration) == "ready"
    narration.refresh_from_db()
    assert narration.status == AudioStatus.READY
    with default_storage.open(narration.audio) as opened:  # on disk or in the bucket
        data = opened.read()
    header = read_frame_header(data)
    assert header.layer == 3 and header.channels == 1
    assert narration.audio_bytes == len(data)
    assert 8 < narration.duration < 60
    keys = [timing["key"] for timing in narration.timings]
    body = list(article.body)
    read_blocks = [body[0].id, body[1].id, body[2].id, body[4].id]
    assert keys == ["headline", "byline", *read_blocks, "disclosure"]
    starts = [timing["start"] for timing in narration.timings]
    assert starts == sorted(starts) and starts[0] == 0


def test_the_script_reads_the_byline_and_disclosure_not_captions_or_excluded_blocks():
    from newsdesk.narration import script

    article = article_with_body()
    parts = script.article_script(article, {})
    text = " ".join(part.segment.text for part in parts)
    assert text.startswith("Council approves shelters. By Olena Marchenko and Taras Bondar.")
    assert "January twenty-seventh" in text
    assert "one thousand two hundred fifty" in text
    assert "caption" not in text.lower()
    assert "internal note" not in text
    assert text.endswith(speech_text(script.SPOKEN_DISCLOSURE))


def test_editing_one_paragraph_synthesizes_only_that_paragraph(settings):
    article = article_with_body()
    run(narration_for(article))
    before = cache_files(settings)
    first_audio = narration_for(article).audio
    body = list(article.body.raw_data)
    body[2]["value"]["text"] = "<p>Builders start work on Tuesday, the mayor said.</p>"
    article.body = body
    article.save_revision().publish()
    narration = narration_for(article)
    assert narration.status == AudioStatus.PENDING
    run(narration)
    new_pieces = cache_files(settings) - before
    assert len(new_pieces) == 1
    narration.refresh_from_db()
    assert narration.audio != first_audio
    assert not default_storage.exists(first_audio), "replaced audio is removed"


def test_republishing_unchanged_text_queues_nothing():
    article = article_with_body()
    run(narration_for(article))
    tasks = narration_tasks()
    article.save_revision().publish()
    assert narration_for(article).status == AudioStatus.READY
    assert narration_tasks() == tasks


def test_a_lexicon_entry_changes_what_is_read_and_queues_new_audio():
    article = make_article("Zaluzhnyi visits the front")
    run(narration_for(article))
    LexiconEntry.objects.create(term="Zaluzhnyi", pronunciation="zah-LOOZH-nee")
    from newsdesk.narration import script

    parts = script.article_script(article, LexiconEntry.as_mapping())
    assert parts[0].segment.text.startswith("zah-LOOZH-nee visits the front")
    assert actions.request_narration(article) is True


def test_a_missing_voice_fails_the_job_with_plain_words_and_the_article_stays_published(
    settings,
):
    settings.NEWSDESK_VOICE = "/srv/voices/nowhere.onnx"
    article = make_article("Storm warning")
    article.refresh_from_db()
    assert article.live
    narration = narration_for(article)
    assert narration.status == AudioStatus.FAILED
    assert "/srv/voices/nowhere.onnx" in narration.error
    assert "NEWSDESK_VOICE" in narration.error


def test_a_failing_job_is_retried_with_back_off_then_marked_failed(settings, tmp_path, local_media):
    article = make_article("Flood defences hold")
    narration = narration_for(article)
    # A file where the audio folder should be: writing the MP3 fails like a full disk would.
    settings.MEDIA_ROOT = tmp_path / "blocked"
    settings.MEDIA_ROOT.mkdir()
    (settings.MEDIA_ROOT / "narration").write_text("not a folder")
    for attempt in range(1, actions.MAX_ATTEMPTS + 1):
        with pytest.raises(OSError):
            run(narration)
        narration.refresh_from_db()
        assert narration.attempts == attempt
        if attempt < actions.MAX_ATTEMPTS:
            assert narration.status == AudioStatus.PENDING
            assert "retrying" in narration.error
            retry = DBTaskResult.objects.get(id=narration.task_id)
            assert retry.run_after > narration.started_at
    assert narration.status == AudioStatus.FAILED
    assert narration.error.startswith(f"Gave up after {actions.MAX_ATTEMPTS} attempts")


def test_a_job_held_by_a_dead_worker_is_queued_again():
    article = make_article("Bridge reopens")
    narration = narration_for(article)
    Narration.objects.filter(pk=narration.pk).update(
        status=AudioStatus.RUNNING, worker=f"{os.uname().nodename}:999999999"
    )
    assert actions.recover_stalled() == 1
    narration.refresh_from_db()
    assert narration.status == AudioStatus.PENDING
    assert run(narration) == "ready"


def test_a_duplicate_task_does_nothing():
    article = make_article("Power restored")
    narration = narration_for(article)
    assert run(narration) == "ready"
    assert run(narration) == "skipped"


def test_a_key_live_update_queues_the_briefing_and_it_reads_the_key_events():
    feed = make_live_feed()
    post(feed, "Minor update")
    assert not LiveBriefing.objects.filter(feed=feed).exists()
    post(feed, "Dam gates opened at 10:47 AM", is_key_event=True)
    briefing = LiveBriefing.objects.get(feed=feed)
    assert briefing.status == AudioStatus.PENDING
    assert actions.run_job("briefing", briefing.pk) == "ready"
    briefing.refresh_from_db()
    keys = [timing["key"] for timing in briefing.timings]
    assert keys[0] == "intro" and keys[-1] == "disclosure"
    assert len([key for key in keys if key.endswith("-time")]) == 1
    tasks = narration_tasks()
    post(feed, "Another minor update")
    assert narration_tasks() == tasks, "a non-key update does not change the briefing"


def test_podcast_feed_lists_narrated_articles_for_podcast_apps(client):
    article = article_with_body()
    narration = narration_for(article)
    run(narration)
    narration.refresh_from_db()
    parsed = feedparser.parse(client.get("/feeds/podcast.xml").content)
    assert not parsed.bozo, parsed.get("bozo_exception")
    assert parsed.feed.itunes_explicit is False or parsed.feed.get("itunes_explicit") in (
        False,
        "false",
        None,
    )
    assert parsed.feed.image.href.endswith("/feeds/podcast-cover.png")
    (entry,) = parsed.entries
    assert entry.title == "Council approves shelters"
    assert entry.id == f"urn:uuid:{narration.guid}"
    (enclosure,) = entry.enclosures
    assert enclosure.type == "audio/mpeg"
    assert int(enclosure.length) == narration.audio_bytes
    assert enclosure.href.endswith(narration.audio_url)
    assert entry.itunes_duration.count(":") == 1
    # Regenerating keeps the episode's identity.
    actions.request_narration(article, force=True)
    run(narration)
    again = feedparser.parse(client.get("/feeds/podcast.xml").content)
    assert again.entries[0].id == entry.id
    cover = client.get("/feeds/podcast-cover.png")
    assert cover["Content-Type"] == "image/png"


def test_admin_lists_status_and_editors_can_regenerate(client_for):
    article = make_article("Grain corridor reopens")
    narration = narration_for(article)
    run(narration)
    editor, _ = client_for("Editors")
    listing = editor.get("/admin/narration/articles/")
    assert listing.status_code == 200
    assert "Grain corridor reopens" in listing.content.decode()
    assert "Ready" in listing.content.decode()
    url = f"/admin/narration/articles/{narration.pk}/regenerate/"
    assert editor.get(url).status_code == 200
    assert editor.post(url).status_code == 302
    narration.refresh_from_db()
    assert narration.status == AudioStatus.PENDING
    contributor, _ = client_for("Contributors")
    assert contributor.post(url).status_code in (302, 403)
    narration.refresh_from_db()
    assert narration.requested_at is not None


def test_lexicon_preview_plays_the_term(client_for):
    editor, _ = client_for("Editors")
    response = editor.post(
        "/admin/snippets/narration/lexiconentry/preview/",
        {"term": "IAEA", "pronunciation": "I A E A", "kind": "words", "note": ""},
    )
    assert response.status_code == 200
    page = editor.get("/admin/snippets/narration/lexiconentry/preview/")
    html = page.content.decode()
    assert "data:audio/mpeg;base64," in html
    assert "I A E A" in html


def test_speak_prints_speech_ready_text_line_by_line(monkeypatch):
    out = io.StringIO()
    monkeypatch.setattr("sys.stdin", io.StringIO("Gen. Smith arrived.\nIt cost $5.\n"))
    call_command("speak", "--print-text", "--lines", stdout=out)
    lines = out.getvalue().splitlines()
    assert lines == ["General Smith arrived.", "It cost five dollars."]


def test_speak_writes_an_mp3(tmp_path):
    target = tmp_path / "out.mp3"
    out = io.StringIO()
    call_command("speak", "Sirens sounded at 10:47 AM.", "-o", str(target), stdout=out)
    assert read_frame_header(target.read_bytes()).layer == 3
    assert "Wrote" in out.getvalue()


def test_narrate_waits_and_summarises():
    make_article("Ferry resumes", slug="ferry-resumes")
    out = io.StringIO()
    call_command("narrate", "--slug", "ferry-resumes", "--wait", stdout=out)
    text = out.getvalue()
    assert "[1/1] ready   Ferry resumes" in text
    assert "Narration summary" in text
    with pytest.raises(CommandError, match="No published article with the slug nope"):
        call_command("narrate", "--slug", "nope")


@pytest.mark.same_on_every_database  # its workers use a SQLite site of their own
def test_a_worker_killed_mid_job_leaves_the_job_to_run_again(tmp_path, migrated_sqlite):
    """Two real worker processes: the first is killed while narrating, the second finishes."""
    env = {**os.environ, "NEWSDESK_DATA_DIR": str(tmp_path / "site"), "DATABASE_URL": ""}
    env.pop("DJANGO_SETTINGS_MODULE", None)
    migrated_sqlite(env["NEWSDESK_DATA_DIR"])
    # Long enough that the first worker is still narrating when the test sees it running.
    long_body = " ".join(["The river rose through the night and crews worked on."] * 15)
    create = (
        "from tests.factories import make_article, paragraphs;"
        "make_article('Long night on the river', slug='long-night', "
        f"body=paragraphs(*['{long_body}'] * 3))"
    )
    assert newsdesk("shell", "-c", create, env=env, cwd=Path(__file__).parents[1]).wait(120) == 0
    first = newsdesk("worker", env=env)
    status = wait_for_status(env, "running", first)
    assert status == "running"
    first.send_signal(signal.SIGKILL)
    first.wait(10)
    assert query_status(env) == "running"  # left behind by the dead worker
    second = newsdesk("worker", env=env)
    try:
        assert wait_for_status(env, "ready", second, timeout=240) == "ready"
    finally:
        second.terminate()
        second.wait(20)
    # The dead worker's task result is recorded as failed, not left RUNNING for ever, and
    # the job succeeded once, as the new task the recovery queued.
    statuses = query(
        env,
        "from django_tasks_db.models import DBTaskResult as R;"
        "print(sorted((r.status, r.worker_ids[0]) for r in "
        "R.objects.filter(task_path='newsdesk.narration.tasks.narrate')))",
    )
    host = os.uname().nodename
    assert statuses == str(sorted([("FAILED", f"{host}:{first.pid}"),
                                   ("SUCCESSFUL", f"{host}:{second.pid}")]))  # fmt: skip


def query(env, script):
    output, _ = newsdesk("shell", "-c", script, env=env).communicate(timeout=60)
    return output.strip().splitlines()[-1] if output.strip() else ""


def query_status(env):
    """The narration's status, read straight from the workers' SQLite file: a `newsdesk
    shell` per poll would start Django each time and take the CPU the worker needs."""
    database = Path(env["NEWSDESK_DATA_DIR"]) / "newsdesk.sqlite3"
    with contextlib.closing(sqlite3.connect(f"file:{database}?mode=ro", uri=True)) as db:
        row = db.execute(
            "SELECT narration.status FROM narration_narration AS narration"
            " JOIN wagtailcore_page AS page ON page.id = narration.article_id"
            " WHERE page.slug = 'long-night'"
        ).fetchone()
    return row[0] if row else ""


def wait_for_status(env, wanted, worker, timeout=120):
    deadline = time.monotonic() + timeout
    status = ""
    while time.monotonic() < deadline:
        status = query_status(env)
        if status == wanted:
            return status
        if worker.poll() is not None:
            raise AssertionError(f"worker exited: {worker.stdout.read()}")
        time.sleep(0.05)
    return status


def test_startup_check_names_a_broken_voice(settings, tmp_path):
    from newsdesk.narration.checks import voice_is_usable

    assert voice_is_usable(None) == []
    settings.NEWSDESK_VOICE = str(tmp_path / "missing.onnx")
    (warning,) = voice_is_usable(None)
    assert warning.id == "newsdesk.W010"
    assert str(tmp_path / "missing.onnx") in warning.msg


def test_published_articles_without_audio_are_queued_by_the_worker_chores():
    from newsdesk.server.scheduler import recover_narration

    article = make_article("Older story")
    Narration.objects.filter(article=article).delete()
    recover_narration()
    assert narration_for(article).status == AudioStatus.PENDING
