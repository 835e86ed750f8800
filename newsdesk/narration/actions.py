"""Requesting, running and recovering narration jobs.

A job is a row (Narration for an article, LiveBriefing for a live feed) plus a django-tasks
task that carries only the row's kind and id. The row is the truth: a worker claims it with a
conditional UPDATE and a lease, so a duplicate task does nothing, and a job whose worker died
is found by `recover_stalled()` (run by `newsdesk worker` at start and every 30 s) and queued
again. Failures are retried with back-off; a broken voice is not (it needs the operator).
"""

import hashlib
import io
import logging
import os
import socket
from datetime import timedelta
from functools import partial
from pathlib import Path

from django.conf import settings
from django.core.files.storage import default_storage
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from newsdesk.articles.models import ArticlePage
from newsdesk.core.storage_errors import is_disk_full
from newsdesk.live.models import LiveFeedPage, LiveUpdate
from newsdesk.media.storage import bucket_storage
from newsdesk.narration import audio, script
from newsdesk.narration.engine import VoiceError
from newsdesk.narration.models import AudioStatus, LexiconEntry, LiveBriefing, Narration
from newsdesk.narration.voice import cache_dir, current_voice, length_scale
from newsdesk.pagecache import actions as pagecache

logger = logging.getLogger(__name__)

MAX_ATTEMPTS = 3
RETRY_DELAYS = (timedelta(seconds=30), timedelta(minutes=2), timedelta(minutes=10))
LEASE = timedelta(minutes=10)
"""How long a claimed job may run before another worker may take it over."""
AUDIO_DIR = "narration"


class NotNarratable(Exception):
    """The content is gone or unpublished: nothing to read, nothing to retry."""


# --- What each kind of job reads ---------------------------------------------------------------


def article_parts(narration, lexicon):
    article = ArticlePage.objects.live().filter(pk=narration.article_id).first()
    if article is None:
        raise NotNarratable("The article is not published, so there is nothing to narrate.")
    return script.article_script(article, lexicon)


def briefing_parts(briefing, lexicon):
    feed = LiveFeedPage.objects.live().filter(pk=briefing.feed_id).first()
    if feed is None:
        raise NotNarratable("The live feed is not published, so there is nothing to read.")
    updates = key_updates_for_briefing(feed)
    if not updates:
        raise NotNarratable("The live feed has no key events to read yet.")
    return script.briefing_script(feed, updates, lexicon)


def key_updates_for_briefing(feed):
    latest = (
        LiveUpdate.objects.filter(feed=feed, is_key_event=True)
        .visible()
        .order_by("-published_at")[: script.BRIEFING_UPDATES]
    )
    return list(reversed(latest))


JOBS = {
    "article": (Narration, article_parts),
    "briefing": (LiveBriefing, briefing_parts),
}


def kind_of(row):
    return "article" if isinstance(row, Narration) else "briefing"


# --- Requesting ----------------------------------------------------------------------------


def request_narration(article, *, force=False):
    """Queue narration of a published article unless its audio already reads what it says."""
    row, _ = Narration.objects.get_or_create(article_id=article.pk)
    return _request(row, force=force)


def request_narration_by_id(article_id):
    article = ArticlePage.objects.live().filter(pk=article_id).first()
    if article is not None:
        request_narration(article)


def request_briefing_if_key(update_id):
    """After a live change: refresh the briefing when the feed's key events read differently."""
    update = LiveUpdate.objects.filter(pk=update_id).only("feed_id", "is_key_event").first()
    if update is None:
        return
    if update.is_key_event or LiveBriefing.objects.filter(feed_id=update.feed_id).exists():
        request_briefing(update.feed_id)


def request_briefing(feed_id, *, force=False):
    row, _ = LiveBriefing.objects.get_or_create(feed_id=feed_id)
    return _request(row, force=force)


def _request(row, *, force):
    """True when a job was queued. Publishing never waits for more than this check."""
    _, read = JOBS[kind_of(row)]
    try:
        parts = read(row, LexiconEntry.as_mapping())
    except NotNarratable:
        return False
    try:
        voice = current_voice()
    except VoiceError as error:
        # Publishing goes on; the admin shows why there is no audio.
        type(row).objects.filter(pk=row.pk).update(
            status=AudioStatus.FAILED, error=str(error), finished_at=timezone.now()
        )
        return False
    wanted = script.script_hash(parts, voice.identity, length_scale())
    current = row.status in (AudioStatus.READY, AudioStatus.PENDING, AudioStatus.RUNNING)
    if not force and current and row.script_hash == wanted:
        return False
    now = timezone.now()
    type(row).objects.filter(pk=row.pk).update(
        status=AudioStatus.PENDING,
        script_hash=wanted,
        attempts=0,
        error="",
        requested_at=now,
        next_attempt_at=now,
    )
    # In the caller's transaction, not on_commit: django-tasks-db writes the task to the same
    # database, so it commits with the request (the worker cannot see it before), and a
    # process that dies right after the commit leaves no job without its task.
    enqueue(kind_of(row), row.pk)
    return True


def enqueue(kind, pk, run_after=None):
    from newsdesk.narration.tasks import narrate

    task = narrate.using(run_after=run_after) if run_after else narrate
    result = task.enqueue(kind, pk)
    model, _ = JOBS[kind]
    model.objects.filter(pk=pk).update(task_id=str(result.id))
    return result


# --- Running -------------------------------------------------------------------------------


def worker_name():
    return f"{socket.gethostname()}:{os.getpid()}"


def claim(model, pk, now):
    """Take the job if nobody holds it: pending, or running on a lease that ran out."""
    claimable = Q(status=AudioStatus.PENDING) | Q(status=AudioStatus.RUNNING, lease_until__lt=now)
    return bool(
        model.objects.filter(claimable, pk=pk).update(
            status=AudioStatus.RUNNING,
            started_at=now,
            lease_until=now + LEASE,
            worker=worker_name(),
            attempts=F("attempts") + 1,
        )
    )


def run_job(kind, pk):
    """Narrate one row. Returns what happened, in a word, for the task result and logs."""
    model, read = JOBS[kind]
    started = timezone.now()
    if not claim(model, pk, started):
        return "skipped"
    row = model.objects.get(pk=pk)
    try:
        voice = current_voice()
        parts = read(row, LexiconEntry.as_mapping())
        rendering = audio.render(
            [part.segment for part in parts], voice, length_scale(), cache_dir()
        )
        name = publish_file(rendering)
    except NotNarratable as error:
        _fail(row, str(error), started)
        return "not narratable"
    except VoiceError as error:
        # A broken voice does not heal by waiting: fail now, say what to do.
        _fail(row, str(error), started)
        raise
    except Exception as error:
        _retry_or_fail(row, error, started)
        raise
    timings = [
        {"key": p.key, "start": round(s, 3)} for p, s in zip(parts, rendering.starts, strict=True)
    ]
    done = record_audio(
        row,
        started,
        script_hash=script.script_hash(parts, voice.identity, length_scale()),
        audio=name,
        audio_bytes=len(rendering.mp3),
        duration=round(rendering.duration, 3),
        timings=timings,
        voice=voice.path.name,
    )
    if not done:
        # Content changed while we read it; the newer request's job makes the audio.
        remove_unused_file(name)
        return "superseded"
    if row.audio and row.audio != name:
        remove_unused_file(row.audio)
    logger.info(
        "Narrated %s %s: %.1f s of audio, %d of %d parts synthesized, in %.1f s",
        kind,
        pk,
        rendering.duration,
        rendering.synthesized,
        len(parts),
        (timezone.now() - started).total_seconds(),
    )
    return "ready"


def record_audio(row, started, **audio):
    """Make the new audio the row's, unless the job was superseded meanwhile; True if it was.

    The one write that changes what readers see of a job (the player, structured data, feed
    enclosures, the podcast): a failure keeps the last good audio, so readers see no change.
    A queryset update sends no signal, so the pages that show the audio are refreshed here, in
    the same transaction: they cannot keep serving the page without it.
    """
    now = timezone.now()
    model = type(row)
    with transaction.atomic():
        done = model.objects.filter(pk=row.pk, status=AudioStatus.RUNNING, started_at=started)
        if not done.update(
            **audio,
            status=AudioStatus.READY,
            error="",
            lease_until=None,
            finished_at=now,
            audio_updated_at=now,
        ):
            return False
        if isinstance(row, Narration):
            pagecache.refresh_narration(row.article_id)
        else:
            pagecache.refresh_briefing(row.feed_id)
    return True


def _fail(row, message, started):
    type(row).objects.filter(pk=row.pk, started_at=started).update(
        status=AudioStatus.FAILED, error=message, lease_until=None, finished_at=timezone.now()
    )
    logger.warning("Narration of %s %s failed: %s", kind_of(row), row.pk, message)


def _retry_or_fail(row, error, started):
    row.refresh_from_db(fields=["attempts"])
    message = f"{type(error).__name__}: {error}"
    # A full disk heals when space is freed, with nothing to change in the job: keep
    # retrying (every 10 minutes at most) rather than leave a failed job to regenerate by hand.
    disk_full = is_disk_full(error)
    if disk_full:
        message = f"The disk is full. {message}"
    if row.attempts >= MAX_ATTEMPTS and not disk_full:
        _fail(row, f"Gave up after {row.attempts} attempts. Last error: {message}", started)
        return
    delay = RETRY_DELAYS[min(row.attempts, len(RETRY_DELAYS)) - 1]
    when = timezone.now() + delay
    type(row).objects.filter(pk=row.pk, started_at=started).update(
        status=AudioStatus.PENDING,
        error=f"Attempt {row.attempts} failed, retrying at {when:%H:%M:%S} UTC: {message}",
        lease_until=None,
        next_attempt_at=when,
    )
    logger.warning(
        "Narration of %s %s failed, retry in %s: %s", kind_of(row), row.pk, delay, message
    )
    transaction.on_commit(partial(enqueue, kind_of(row), row.pk, when))


# --- Files ---------------------------------------------------------------------------------


def audio_root():
    """Where narration files are on disk (local media only)."""
    return Path(settings.MEDIA_ROOT) / AUDIO_DIR


def publish_file(rendering):
    """Store the MP3 under its content hash; returns its storage name (narration/<hash>.mp3).

    A name never gets other bytes, so a file that exists is left alone, and two workers
    writing the same name at once write the same bytes. In a bucket (NEWSDESK_MEDIA_STORAGE)
    every host's readers get it from there; on disk it is written atomically (below).
    """
    name = f"{AUDIO_DIR}/{rendering.content_hash[:32]}.mp3"
    storage = bucket_storage()
    if storage is None:
        _write_local(name, rendering.mp3)
    elif not storage.exists(name):
        storage.put(
            name,
            io.BytesIO(rendering.mp3),
            sha256=hashlib.sha256(rendering.mp3).hexdigest(),
            size=len(rendering.mp3),
        )
    return name


def _write_local(name, data):
    """Write under a temporary name, fsync, rename: a crash never leaves a short MP3 under
    the real name, and a full disk leaves no partial file behind (the job retries)."""
    target = Path(settings.MEDIA_ROOT) / name
    if target.exists():
        return
    target.parent.mkdir(parents=True, exist_ok=True)
    temporary = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    try:
        with open(temporary, "wb") as file:
            file.write(data)
            file.flush()
            os.fsync(file.fileno())
        os.replace(temporary, target)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise


def remove_unused_file(name):
    in_use = (
        Narration.objects.filter(audio=name).exists()
        or LiveBriefing.objects.filter(audio=name).exists()
    )
    if not in_use:
        default_storage.delete(name)


# --- Recovery ------------------------------------------------------------------------------


def release_own_jobs():
    """Queue again the jobs this process holds, once its task loop has stopped (newsdesk
    worker restarts the loop after a full disk): none of them is running any more, but the
    full disk may have kept the job from recording that, and this worker is alive, so
    recover_stalled() would otherwise wait for the lease to run out."""
    now = timezone.now()
    released = 0
    for kind, (model, _) in JOBS.items():
        held = model.objects.filter(status=AudioStatus.RUNNING, worker=worker_name())
        for pk in held.values_list("pk", flat=True):
            if held.filter(pk=pk).update(
                status=AudioStatus.PENDING, lease_until=None, next_attempt_at=now
            ):
                logger.warning("Narration job %s %s queued again after a full disk", kind, pk)
                enqueue(kind, pk)
                released += 1
    return released


def worker_is_dead(worker):
    """True when `worker` (worker_name()'s host:pid) was a process on this machine that is gone."""
    host, _, pid = worker.rpartition(":")
    if host != socket.gethostname() or not pid.isdigit():
        return False  # another machine's worker: only its lease can tell
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    return False


def remove_abandoned_files():
    """Delete temporary MP3s (publish_file's `.NAME.PID.tmp`) whose writer process is gone.

    A worker killed while writing (kill -9, the OOM killer) cannot run its own clean-up, and
    the half-written file would stay in media for ever. Only files of dead processes on this
    machine go: a live writer's file is about to be renamed. A bucket has no such files (an
    object appears whole or not at all), so there is nothing to do when media is in one.
    """
    if bucket_storage() is not None:
        return 0
    folder = audio_root()
    removed = 0
    for path in folder.glob(".*.tmp") if folder.exists() else ():
        pid = path.name.removesuffix(".tmp").rpartition(".")[2]
        if worker_is_dead(f"{socket.gethostname()}:{pid}"):
            path.unlink(missing_ok=True)
            logger.warning("Removed %s, left by a worker that died while writing it", path)
            removed += 1
    return removed


def backfill_missing(limit=100):
    """Queue narration for published articles that never had any (older data, a lost signal)."""
    missing = (
        ArticlePage.objects.live()
        .filter(narration__isnull=True)
        .order_by("-first_published_at")[:limit]
    )
    return sum(1 for article in missing if request_narration(article))


def recover_stalled():
    """Queue again the jobs whose worker died, and pending jobs whose task went missing."""
    from django_tasks_db.models import DBTaskResult

    now = timezone.now()
    recovered = 0
    for model in (Narration, LiveBriefing):
        running = model.objects.filter(status=AudioStatus.RUNNING)
        for row in running:
            if row.lease_until and row.lease_until < now or worker_is_dead(row.worker):
                model.objects.filter(pk=row.pk, status=AudioStatus.RUNNING).update(
                    status=AudioStatus.PENDING, lease_until=None, next_attempt_at=now
                )
                logger.warning(
                    "Narration job %s %s was abandoned by %s; queued again",
                    kind_of(row),
                    row.pk,
                    row.worker,
                )
                enqueue(kind_of(row), row.pk)
                recovered += 1
        for row in model.objects.overdue(now - timedelta(minutes=1)):
            queued = (
                DBTaskResult.objects.filter(
                    id=row.task_id, status__in=["READY", "RUNNING"]
                ).exists()
                if row.task_id
                else False
            )
            if not queued:
                enqueue(kind_of(row), row.pk)
                recovered += 1
    return recovered
