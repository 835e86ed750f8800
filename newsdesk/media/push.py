"""`newsdesk media push`: copy a site's media from the disk (MEDIA_ROOT) into its buckets.

For a site moving to object storage (docs/operations.md#media-in-object-storage): set
NEWSDESK_MEDIA_STORAGE, run this, then restart with NEWSDESK_MEDIA_URL pointing where readers
fetch media. Every file keeps its name, so the database needs no change; originals go to the
private bucket by their folder (storage.py).

Safe to run again, and to interrupt: a file is uploaded only when the bucket does not
already hold the same bytes, known from the SHA-256 each pushed object carries in its
metadata (an object without one is read and hashed). Each upload is sent with its MD5, which
the server checks, and read back afterwards and its SHA-256 compared, so a file counts as
pushed only when the bucket is known to hold exactly its bytes. The files on disk are left
where they are.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from botocore.exceptions import BotoCoreError, ClientError

from newsdesk.core.humanize import size as human_size
from newsdesk.media.files import media_files

PROGRESS_SECONDS = 2.0
CHUNK = 1024 * 1024


@dataclass
class PushSummary:
    source: Path
    target: str
    dry_run: bool = False
    files: int = 0
    total_bytes: int = 0
    uploaded: int = 0
    uploaded_bytes: int = 0
    present: int = 0
    failed: list[tuple[str, str]] = field(default_factory=list)
    seconds: float = 0.0

    def lines(self) -> list[str]:
        verb = "would upload" if self.dry_run else "uploaded"
        lines = [
            ("Checked " if self.dry_run else "Pushed ") + f"{self.source} to {self.target}",
            f"  files      {self.files:,} ({human_size(self.total_bytes)}): "
            f"{self.uploaded:,} {verb} ({human_size(self.uploaded_bytes)}), "
            f"{self.present:,} already there, {len(self.failed):,} failed",
            f"  time       {self.seconds:.1f} s",
        ]
        for name, reason in self.failed[:10]:
            lines.append(f"  FAILED     {name}: {reason}")
        if len(self.failed) > 10:
            lines.append(f"  ... and {len(self.failed) - 10:,} more")
        if self.failed:
            lines.append("Run the command again: what is already in the bucket is skipped.")
        elif not self.dry_run:
            lines.append(
                "Every file is in the buckets, checked by SHA-256. The files on disk were left "
                "in place: remove them once the site works from the buckets."
            )
        return lines


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as file:
        for chunk in iter(lambda: file.read(CHUNK), b""):
            digest.update(chunk)
    return digest.hexdigest()


def sha256_object(storage, name: str) -> str:
    digest = hashlib.sha256()
    with storage.stream(name) as body:
        for chunk in iter(lambda: body.read(CHUNK), b""):
            digest.update(chunk)
    return digest.hexdigest()


def in_bucket(storage, name: str, size: int, sha256: str) -> bool:
    """True when the bucket holds exactly these bytes under `name`."""
    head = storage.head(name)
    if head is None or head["ContentLength"] != size:
        return False
    stored = head.get("Metadata", {}).get("sha256")
    if stored is not None:
        return stored == sha256
    return sha256_object(storage, name) == sha256  # put there some other way: look


def push_one(storage, path: Path, name: str, size: int, sha256: str) -> None:
    """Upload and read back; ValueError when the bucket does not hold the same bytes."""
    with path.open("rb") as data:
        storage.put(name, data, sha256=sha256, size=size)
    if sha256_object(storage, name) != sha256:
        raise ValueError("the object read back differs from the file (SHA-256)")


def push_media(
    media_root: Path, storage, *, dry_run: bool = False, log: Callable[[str], None] = print
) -> PushSummary:
    started = time.monotonic()
    summary = PushSummary(media_root, storage.describe(), dry_run=dry_run)
    files = media_files(media_root)
    summary.files = len(files)
    summary.total_bytes = sum(file.size for file in files)
    log(f"{len(files):,} files ({human_size(summary.total_bytes)}) under {media_root}")
    next_report = started + PROGRESS_SECONDS
    for number, file in enumerate(files, start=1):
        try:
            digest = sha256_file(file.path)
            if in_bucket(storage, file.name, file.size, digest):
                summary.present += 1
            else:
                if not dry_run:
                    push_one(storage, file.path, file.name, file.size, digest)
                summary.uploaded += 1
                summary.uploaded_bytes += file.size
        except FileNotFoundError:
            summary.files -= 1  # deleted since it was listed
        except (OSError, ValueError, BotoCoreError, ClientError) as error:
            summary.failed.append((file.name, str(error)))
        if time.monotonic() >= next_report or number == len(files):
            next_report = time.monotonic() + PROGRESS_SECONDS
            log(
                f"  {number:,}/{len(files):,} files: {summary.uploaded:,} "
                f"{'to upload' if dry_run else 'uploaded'}, {summary.present:,} already there, "
                f"{len(summary.failed):,} failed"
            )
    summary.seconds = time.monotonic() - started
    return summary
