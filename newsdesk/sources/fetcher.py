"""Fetch one source now: HTTP(S) or a watched folder, then parse, store and record status.

`fetch_source` never raises for what a source does wrong (an error answer, a malformed
feed, a bomb, a timeout): the error is written on the source's status row, in plain words,
and logged, and nothing of that delivery is stored. That is what keeps one bad source from
stopping the others (poller.py).
"""

from __future__ import annotations

import logging
import random
import shutil
import threading
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

from django.conf import settings
from django.db import DatabaseError, connection
from django.utils import timezone

from newsdesk.sources import parsers, web
from newsdesk.sources.models import Kind, Source
from newsdesk.sources.store import Outcome, store

logger = logging.getLogger(__name__)

MAX_BACKOFF_SECONDS = 3600
JITTER = 0.1
"""Each next poll moves by up to ±10 % so that sources added together do not stay in step."""
SETTLE_SECONDS = 2
"""A dropped file younger than this may still be being written (FTP, SFTP): left for later."""
TEMPORARY_SUFFIXES = (".tmp", ".part", ".filepart", ".partial", ".crdownload")


@dataclass
class Result:
    outcome: Outcome = field(default_factory=Outcome)
    error: str = ""
    not_modified: bool = False
    retry_after: float | None = None
    """Seconds the server asked us to wait (Retry-After on a 429 or 503)."""
    files: list[str] = field(default_factory=list)
    """Per dropped file: 'done NAME' or 'failed NAME: reason'."""


_sqlite_writes = threading.Lock()


def _store(source, parsed):
    """store(), one fetcher thread at a time on SQLite. SQLite has one writer anyway, and its
    busy handler is not fair: with four fetchers and a loaded machine, a store could wait the
    whole 20 s lock timeout while the others took turns (benchmarks/sources.py). A lock in
    the process queues them instead; PostgreSQL stores in parallel."""
    if connection.vendor != "sqlite":
        return store(source, parsed)
    with _sqlite_writes:
        return store(source, parsed)


def limits(source: Source) -> web.Limits:
    return web.Limits(
        timeout=settings.NEWSDESK_SOURCE_TIMEOUT,
        max_bytes=int(settings.NEWSDESK_SOURCE_MAX_MB * 1024 * 1024),
        allow_private=source.allow_private,
    )


def fetch_source(source: Source) -> Result:
    started = timezone.now()
    result = _fetch_folder(source) if source.kind == Kind.FOLDER else _fetch_url(source)
    _record(source, result, started)
    if result.outcome.new or result.outcome.changed:
        from newsdesk.sources.notify import notify

        notify()  # committed: open desks show the items now (the Incoming column)
    return result


def _fetch_url(source: Source) -> Result:
    result = Result()
    try:
        answer = web.fetch(source.url, limits(source), source.etag, source.last_modified)
        if answer.not_modified:
            result.not_modified = True
            return result
        parsed = parsers.parse(source.kind, answer.body)
        if not parsed.entries and parsed.refused:
            raise parsers.FeedError(" ".join(parsed.refused))
        result.outcome = _store(source, parsed)
    except web.FetchError as error:
        result.error = str(error)
        result.retry_after = error.retry_after
        return result
    except parsers.FeedError as error:
        result.error = str(error)
        return result
    except DatabaseError as error:
        result.error = _not_stored(error)
        return result
    # Validators only once the answer is stored: a failed store is fetched whole next time.
    source.etag, source.last_modified = answer.etag[:500], answer.last_modified[:100]
    return result


def _fetch_folder(source: Source) -> Result:
    result = Result()
    folder = Path(source.folder)
    if not folder.is_dir():
        result.error = f"The folder {folder} does not exist (or is not a folder)."
        return result
    done, failed = folder / "done", folder / "failed"
    now = timezone.now().timestamp()
    try:
        waiting = sorted(
            path
            for path in folder.iterdir()
            if path.is_file()
            and not path.name.startswith(".")
            and not path.name.lower().endswith(TEMPORARY_SUFFIXES)
            and now - path.stat().st_mtime >= SETTLE_SECONDS
        )
        done.mkdir(exist_ok=True)
        failed.mkdir(exist_ok=True)
    except OSError as error:
        result.error = f"The folder {folder} cannot be read: {error.strerror}."
        return result
    for path in waiting:
        _take_file(source, path, done, failed, result)
    return result


def _take_file(source, path: Path, done: Path, failed: Path, result: Result) -> None:
    try:
        if path.stat().st_size > settings.NEWSDESK_SOURCE_MAX_MB * 1024 * 1024:
            raise parsers.FeedError(
                f"Refused: the file is over the limit of {settings.NEWSDESK_SOURCE_MAX_MB:g} MB."
            )
        data = path.read_bytes()
        parsed = parsers.parse("folder", data)
        if not parsed.entries and parsed.refused:
            raise parsers.FeedError(" ".join(parsed.refused))
        outcome = _store(source, parsed)
    except DatabaseError as error:
        # The database's trouble, not the file's: left in place to be read again.
        result.error = f"{path.name}: {_not_stored(error)}"
        return
    except (parsers.FeedError, OSError) as error:
        message = str(error)
        result.error = f"{path.name}: {message}"
        result.files.append(f"failed {path.name}: {message}")
        # Moved aside with its reason, never read again: fixing it means dropping it anew.
        target = _free_name(failed / path.name)
        _move(path, target)
        target.with_name(target.name + ".error").write_text(message + "\n")
        return
    result.outcome.new += outcome.new
    result.outcome.changed += outcome.changed
    result.outcome.unchanged += outcome.unchanged
    result.outcome.refused += [f"{path.name}: {reason}" for reason in outcome.refused]
    result.files.append(f"done {path.name}")
    _move(path, _free_name(done / path.name))


def _not_stored(error: DatabaseError) -> str:
    logger.exception("Storing source items failed")
    return f"The items could not be stored ({error}); nothing of this delivery was kept."


def _move(path: Path, target: Path) -> None:
    try:
        shutil.move(str(path), str(target))
    except OSError:
        # Cannot move it (permissions): delete rather than read it again at every poll.
        logger.exception("Cannot move %s to %s; removing it", path, target)
        path.unlink(missing_ok=True)


def _free_name(target: Path) -> Path:
    """done/NAME, or done/NAME.2, .3… when an agency sends the same file name again."""
    candidate, number = target, 1
    while candidate.exists():
        number += 1
        candidate = target.with_name(f"{target.name}.{number}")
    return candidate


def next_delay(interval: int, failures: int, retry_after: float | None = None) -> float:
    """Seconds to the next poll: the interval, doubled for each failure in a row (capped at
    an hour), at least what the server asked for, moved by up to ±10 %."""
    delay = float(interval) * (2 ** min(failures, 10))
    delay = min(delay, max(MAX_BACKOFF_SECONDS, interval))
    if retry_after:
        delay = max(delay, min(retry_after, 6 * MAX_BACKOFF_SECONDS))
    return delay * (1 + random.uniform(-JITTER, JITTER))  # noqa: S311 - spreading, not secrecy


def _record(source: Source, result: Result, started) -> None:
    now = timezone.now()
    source.last_fetch_at = started
    error = result.error
    refused = result.outcome.refused
    if not error and refused:
        error = f"{len(refused)} item(s) refused: " + " ".join(refused[:3])
    if error:
        source.last_error, source.last_error_at = error[:2000], now
        logger.warning("Source %r: %s", source.name, error)
    else:
        source.last_error = ""
    if result.error and source.kind != Kind.FOLDER:
        source.failures += 1
    else:
        source.failures = 0
        source.last_success_at = now
    if result.outcome.new:
        source.last_new_item_at = now
    source.next_fetch_at = now + timedelta(
        seconds=next_delay(source.interval, source.failures, result.retry_after)
    )
    Source.objects.filter(pk=source.pk).update(
        last_fetch_at=source.last_fetch_at,
        last_success_at=source.last_success_at,
        last_new_item_at=source.last_new_item_at,
        last_error=source.last_error,
        last_error_at=source.last_error_at,
        failures=source.failures,
        next_fetch_at=source.next_fetch_at,
        etag=source.etag,
        last_modified=source.last_modified,
    )
