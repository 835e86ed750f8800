"""Scheduled publishing with several workers: a due page is published, or an expired one
unpublished, exactly once when two workers run the chore at the same moment
(newsdesk/server/scheduled.py). Each worker is a thread with its own database connection,
and both have listed what is due before either starts, the worst interleaving."""

import threading
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.db import connection
from django.utils import timezone
from django_tasks_db.models import DBTaskResult
from wagtail.models import PageLogEntry, Revision

from newsdesk.articles.models import ArticlePage
from newsdesk.pagecache.models import Invalidation
from newsdesk.server import scheduled
from newsdesk.server.scheduler import publish_due_pages
from tests.factories import ensure_site_structure, make_article

pytestmark = pytest.mark.django_db(transaction=True)  # each worker needs its own connection


@pytest.fixture(autouse=True)
def _site(settings, tmp_path):
    settings.DATA_DIR = tmp_path / "data"
    ensure_site_structure()  # transactional tests start from empty tables


def scheduled_article(title):
    """An article an editor scheduled for an hour ahead, whose hour has now passed."""
    article = make_article(title, publish=False)
    article.go_live_at = timezone.now() + timedelta(hours=1)
    article.save_revision().publish()  # with a future go-live time: approved, not live
    revision = Revision.objects.get(object_id=str(article.pk), approved_go_live_at__isnull=False)
    past = timezone.now() - timedelta(minutes=1)
    revision.approved_go_live_at = past
    revision.content["go_live_at"] = past.isoformat()
    revision.save(update_fields=["approved_go_live_at", "content"])
    return ArticlePage.objects.get(pk=article.pk)


def expired_article(title):
    article = make_article(title)
    ArticlePage.objects.filter(pk=article.pk).update(
        expire_at=timezone.now() - timedelta(minutes=1)
    )
    return article


def run_two_workers_at_once(monkeypatch, listing):
    """Run the chore in two threads that both finish `listing` (a function of
    scheduled.py) before either goes on; return what each run reported."""
    barrier = threading.Barrier(2, timeout=30)
    original = getattr(scheduled, listing)

    def listed_together(now):
        found = original(now)
        barrier.wait()
        return found

    monkeypatch.setattr(scheduled, listing, listed_together)
    results, errors = [], []

    def worker():
        try:
            results.append(scheduled.run_once())
        except Exception as error:  # noqa: BLE001 - reported by the assertion below
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert not errors, errors
    assert len(results) == 2, "a worker did not finish"
    return results


def narration_tasks():
    return DBTaskResult.objects.filter(task_path__endswith="narrate").count()


def test_two_workers_publish_a_due_page_once(monkeypatch):
    article = scheduled_article("Bridge reopens at dawn")
    assert not article.live
    invalidations = Invalidation.objects.count()

    results = run_two_workers_at_once(monkeypatch, "due_revision_ids")

    article.refresh_from_db()
    assert article.live
    assert sorted(published for _, published in results) == [0, 1]
    logged = PageLogEntry.objects.filter(page=article, action="wagtail.publish.scheduled")
    assert logged.count() == 1
    assert narration_tasks() == 1
    assert Invalidation.objects.count() == invalidations + 1
    assert not Revision.objects.filter(approved_go_live_at__isnull=False).exists()


def test_two_workers_unpublish_an_expired_page_once(monkeypatch):
    article = expired_article("Curfew lifted in the north")
    results = run_two_workers_at_once(monkeypatch, "expired_items")

    article.refresh_from_db()
    assert not article.live and article.expired
    assert sorted(unpublished for unpublished, _ in results) == [0, 1]
    logged = PageLogEntry.objects.filter(page=article, action="wagtail.unpublish.scheduled")
    assert logged.count() == 1


def test_the_scheduler_and_the_command_publish_what_is_due():
    first = scheduled_article("Ferry timetable restored")
    publish_due_pages()
    first.refresh_from_db()
    assert first.live

    second = scheduled_article("Schools open on Monday")
    call_command("publish_scheduled", verbosity=0)  # Newsdesk's, not Wagtail's
    second.refresh_from_db()
    assert second.live
    assert PageLogEntry.objects.filter(action="wagtail.publish.scheduled").count() == 2


def test_one_failing_page_does_not_stop_the_others(monkeypatch):
    broken = scheduled_article("Broken draft")
    fine = scheduled_article("Water supply back")
    original = scheduled.publish_if_due
    broken_revision = Revision.objects.get(
        object_id=str(broken.pk), approved_go_live_at__isnull=False
    )

    def fail_for_broken(revision_id, now):
        if revision_id == broken_revision.pk:
            raise RuntimeError("cannot publish this one")
        return original(revision_id, now)

    monkeypatch.setattr(scheduled, "publish_if_due", fail_for_broken)
    assert scheduled.run_once() == (0, 1)
    fine.refresh_from_db()
    broken.refresh_from_db()
    assert fine.live and not broken.live
    broken_revision.refresh_from_db()
    assert broken_revision.approved_go_live_at is not None, "left for the next round"
