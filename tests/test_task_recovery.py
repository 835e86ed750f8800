"""Task results a killed worker left RUNNING are recorded as failed, and only those."""

import os
import socket

import pytest
from django_tasks_db.models import DBTaskResult

from newsdesk.narration import actions
from newsdesk.narration.models import AudioStatus, Narration
from newsdesk.server.scheduler import CHORES, recover_narration
from newsdesk.server.task_recovery import ABANDONED, fail_abandoned_tasks
from tests.factories import make_article

pytestmark = pytest.mark.django_db


def running_task(article, worker):
    narration = Narration.objects.get(article=article)
    task = DBTaskResult.objects.get(id=narration.task_id)
    task.claim(worker)
    Narration.objects.filter(pk=narration.pk).update(status=AudioStatus.RUNNING, worker=worker)
    return task


def test_a_task_whose_worker_process_is_gone_is_failed_and_its_job_queued_again():
    host = socket.gethostname()
    dead = running_task(make_article("Bridge reopens"), f"{host}:999999999")
    alive = running_task(make_article("Ferry resumes"), f"{host}:{os.getpid()}")
    elsewhere = running_task(make_article("Power restored"), "other-host:12")

    assert fail_abandoned_tasks() == 1
    dead.refresh_from_db()
    assert dead.status == "FAILED"
    assert dead.exception_class_path == ABANDONED
    assert f"{host}:999999999 died" in dead.traceback
    assert set(DBTaskResult.objects.running().values_list("pk", flat=True)) == {
        alive.pk,
        elsewhere.pk,
    }
    assert fail_abandoned_tasks() == 0  # nothing left to do: the chore is idempotent

    # The job itself is not lost: its own recovery queues it again, as a new task.
    recover_narration()
    narration = Narration.objects.get(article__title="Bridge reopens")
    assert narration.status == AudioStatus.PENDING
    assert narration.task_id != str(dead.pk)
    assert DBTaskResult.objects.get(id=narration.task_id).status == "READY"


def test_the_worker_runs_the_chore_before_narration_recovery():
    names = [chore.__name__ for chore in CHORES]
    assert names.index("fail_abandoned_tasks") < names.index("recover_narration")


def test_a_temporary_mp3_left_by_a_dead_writer_is_removed_and_a_live_ones_kept(
    settings, tmp_path, local_media
):
    settings.MEDIA_ROOT = tmp_path
    folder = actions.audio_root()
    folder.mkdir(parents=True)
    dead = folder / ".0123abcd.mp3.999999999.tmp"
    alive = folder / f".4567efab.mp3.{os.getpid()}.tmp"
    audio = folder / "0123abcd.mp3"
    for path in (dead, alive, audio):
        path.write_bytes(b"\xff\xfb")
    recover_narration()
    assert sorted(p.name for p in folder.iterdir()) == sorted([alive.name, audio.name])
