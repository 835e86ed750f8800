"""A full disk: editors get a clear "not saved" answer, nothing is half-written, and the same
request succeeds once there is space (newsdesk/core/storage_errors.py, narration's MP3 write).

The database cases fill SQLite for real with PRAGMA max_page_count, which makes any write that
needs a new page fail with SQLITE_FULL exactly as a full disk does; they run on SQLite only.
The file case fills a tiny tmpfs, which needs root (mount); otherwise it is skipped.
"""

import contextlib
import errno
import json
import logging
import os
import sqlite3
import subprocess

import pytest
from django.db import OperationalError, connection
from django.urls import reverse
from wagtail.models import APIToken

from newsdesk.accounts import roles
from newsdesk.articles.models import ArticlePage
from newsdesk.core.storage_errors import is_disk_full
from newsdesk.narration import actions
from newsdesk.narration.models import AudioStatus, Narration
from tests.factories import article_publish_form, make_article, make_live_feed

sqlite_only = pytest.mark.skipif(
    connection.vendor != "sqlite", reason="PRAGMA max_page_count is SQLite's"
)
LONG_TEXT = "Water levels on the river rose by 40 cm overnight, the agency said. " * 3000


def sqlite_full_error():
    """A real SQLITE_FULL, from a database that may not grow."""
    with contextlib.closing(sqlite3.connect(":memory:")) as database:
        database.execute("CREATE TABLE t (v)")
        database.execute("PRAGMA max_page_count = 2")
        try:
            database.execute("INSERT INTO t VALUES (?)", ["x" * 100_000])
        except sqlite3.OperationalError as error:
            return error
    raise AssertionError("SQLite accepted a write past max_page_count")


def wrapped(cause):
    """Django's wrapper, as the database layer raises it (`raise ... from`)."""
    try:
        raise OperationalError(str(cause)) from cause
    except OperationalError as error:
        return error


@pytest.mark.parametrize(
    ("error", "full"),
    [
        (OSError(errno.ENOSPC, "No space left on device"), True),
        (OSError(errno.EDQUOT, "Disk quota exceeded"), True),
        (OSError(errno.EACCES, "Permission denied"), False),
        (sqlite3.OperationalError("database is locked"), False),
        (ValueError("database or disk is full?"), False),
    ],
)
def test_disk_full_errors_are_told_from_others(error, full):
    assert is_disk_full(error) is full


def test_sqlite_full_is_recognised_directly_and_through_django():
    error = sqlite_full_error()
    assert is_disk_full(error)
    assert is_disk_full(wrapped(error))
    assert not is_disk_full(wrapped(sqlite3.OperationalError("no such table: x")))


def test_a_reader_is_told_the_page_cannot_be_shown_not_that_a_change_was_lost(rf, caplog):
    from newsdesk.core.storage_errors import DiskFullMiddleware

    middleware = DiskFullMiddleware(lambda request: None)
    error = OSError(errno.ENOSPC, "No space left on device")
    response = middleware.process_exception(rf.get("/news/storm/"), error)
    page = response.content.decode()
    assert response.status_code == 503
    assert "cannot be shown just now" in page and "not saved" not in page
    assert middleware.process_exception(rf.get("/"), ValueError("no")) is None
    assert [r.getMessage()[:28] for r in caplog.records] == ["Disk full: GET /news/storm/ "]


def test_a_full_disk_outside_the_view_gets_the_same_answer_from_handler500(rf, caplog):
    # An error raised by a middleware (the session being saved, say) never reaches
    # DiskFullMiddleware; Django hands it to handler500 instead.
    from newsdesk.core.db_errors import server_error

    request = rf.post("/admin/pages/3/edit/")
    try:
        raise OSError(errno.ENOSPC, "No space left on device")
    except OSError:
        response = server_error(request)
    assert response.status_code == 503
    assert response["Retry-After"] == "60"
    assert "your change was not saved" in response.content.decode()
    assert [r.getMessage()[:35] for r in caplog.records] == ["Disk full: POST /admin/pages/3/edit"]


@contextlib.contextmanager
def database_full():
    """The test database may not grow by one page, as on a disk with no space left."""
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA page_count")
        (pages,) = cursor.fetchone()
        cursor.execute(f"PRAGMA max_page_count = {pages}")
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute("PRAGMA max_page_count = 4294967294")


def edit_form(article, title):
    byline = article.byline.get()
    # Long enough that saving the revision needs new database pages.
    return article_publish_form(
        title, article.slug, byline.author_id, f"<p>{LONG_TEXT}</p>", byline_id=byline.pk
    )


@sqlite_only
@pytest.mark.django_db
def test_publishing_on_a_full_disk_says_not_saved_and_works_once_there_is_space(client_for, caplog):
    client, _ = client_for(roles.EDITORS)
    article = make_article("Flood defences hold", hero=False)
    url = reverse("wagtailadmin_pages:edit", args=(article.pk,))
    caplog.set_level(logging.INFO)
    with database_full():
        response = client.post(url, edit_form(article, "Flood defences breached"))
    assert response.status_code == 503
    assert response["Retry-After"] == "60"
    page = response.content.decode()
    assert "disk is full" in page and "not saved" in page
    assert "Traceback" not in page
    logged = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert [r.name for r in logged] == ["newsdesk.core.storage_errors"], logged
    assert f"POST {url}" in logged[0].getMessage()
    assert ArticlePage.objects.get(pk=article.pk).title == "Flood defences hold"

    response = client.post(url, edit_form(article, "Flood defences breached"))
    assert response.status_code == 302
    assert ArticlePage.objects.get(pk=article.pk).title == "Flood defences breached"


@sqlite_only
@pytest.mark.django_db
def test_the_posting_api_answers_json_on_a_full_disk(client_for):
    _, user = client_for(roles.EDITORS)
    feed = make_live_feed()
    _, token = APIToken.create_token(user=user, name="wire")
    url = reverse("live-api:updates", args=(feed.slug,))
    update = json.dumps({"headline": "Dam holds", "body": LONG_TEXT})
    headers = {"HTTP_AUTHORIZATION": f"Bearer {token}"}
    from tests.conftest import https_client

    api = https_client()
    with database_full():
        response = api.post(url, update, content_type="application/json", **headers)
    assert response.status_code == 503
    (message,) = response.json()["errors"]["__all__"]
    assert "disk is full" in message and "not saved" in message
    assert feed.updates.count() == 0

    response = api.post(url, update, content_type="application/json", **headers)
    assert response.status_code == 201
    assert feed.updates.count() == 1


# --- Files ---------------------------------------------------------------------------------


@pytest.fixture
def full_tmpfs(tmp_path):
    """A 1 MB tmpfs with no space left; yields (folder, the filler file to delete)."""
    if os.geteuid() != 0:
        pytest.skip("mounting a tmpfs needs root")
    folder = tmp_path / "full"
    folder.mkdir()
    mount = ["mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", str(folder)]
    if subprocess.run(mount, check=False, capture_output=True).returncode:  # noqa: S603
        pytest.skip("this machine does not allow mounting a tmpfs")
    try:
        filler = folder / "filler"
        descriptor = os.open(filler, os.O_WRONLY | os.O_CREAT, 0o600)
        with contextlib.suppress(OSError):
            while True:
                os.write(descriptor, b"\0" * 4096)
        os.close(descriptor)
        yield folder, filler
    finally:
        subprocess.run(["umount", "-l", str(folder)], check=False)  # noqa: S603, S607


@pytest.mark.django_db
def test_narration_on_a_full_disk_leaves_no_partial_file_and_is_retried(
    settings, tmp_path, full_tmpfs, local_media
):
    folder, filler = full_tmpfs
    settings.DATA_DIR = tmp_path / "data"  # the paragraph cache, on a disk with space
    settings.MEDIA_ROOT = folder / "media"
    article = make_article("Ferries cancelled", hero=False)
    actions.request_narration(article)  # what publishing does once its transaction commits
    narration = Narration.objects.get(article=article)

    with pytest.raises(OSError) as raised:
        actions.run_job("article", narration.pk)
    assert raised.value.errno == errno.ENOSPC
    narration.refresh_from_db()
    assert narration.status == AudioStatus.PENDING  # queued again, not left running
    assert narration.attempts == 1
    assert "No space left on device" in narration.error and "retrying" in narration.error
    assert sorted(p.name for p in (folder / "media" / "narration").iterdir()) == []

    # A full disk does not use up the attempts: it heals without anyone regenerating the audio.
    Narration.objects.filter(pk=narration.pk).update(attempts=actions.MAX_ATTEMPTS)
    with pytest.raises(OSError):
        actions.run_job("article", narration.pk)
    narration.refresh_from_db()
    assert narration.status == AudioStatus.PENDING
    assert narration.error.startswith(f"Attempt {actions.MAX_ATTEMPTS + 1} failed")
    assert "The disk is full" in narration.error

    filler.unlink()
    Narration.objects.filter(pk=narration.pk).update(next_attempt_at=narration.requested_at)
    assert actions.run_job("article", narration.pk) == "ready"
    narration.refresh_from_db()
    assert (folder / "media" / narration.audio).stat().st_size == narration.audio_bytes
    assert [p.suffix for p in (folder / "media" / "narration").iterdir()] == [".mp3"]


@pytest.mark.django_db
def test_jobs_a_worker_could_not_record_are_released_when_its_loop_starts_again():
    from django_tasks_db.models import DBTaskResult

    mine, theirs = (make_article(title, hero=False) for title in ("Ours", "Another worker's"))
    for article, worker in ((mine, actions.worker_name()), (theirs, "elsewhere:1")):
        actions.request_narration(article)
        Narration.objects.filter(article=article).update(
            status=AudioStatus.RUNNING, worker=worker, attempts=1
        )
    assert actions.release_own_jobs() == 1
    released = Narration.objects.get(article=mine)
    assert released.status == AudioStatus.PENDING
    assert DBTaskResult.objects.get(id=released.task_id).args_kwargs["args"] == [
        "article",
        released.pk,
    ]
    assert Narration.objects.get(article=theirs).status == AudioStatus.RUNNING
