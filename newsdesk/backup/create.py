"""`newsdesk backup`: the database, then the media files, into one archive.

The database is copied first and the media after it: files only appear before the rows that
name them are committed (narration and uploads write the file, then the row), so every file
the copied database refers to is already on disk (or in the bucket) when the media copy
starts. Files added later are harmless extras. A file deleted in between (an image removed
during the backup) would be missing; the summary does not hide that, restore reports no
error for it.

With media in object storage (NEWSDESK_MEDIA_STORAGE) the objects of both buckets (public
and private) are streamed into the archive under the same member names a disk backup uses,
media/<storage name>, so an archive restores into either kind of storage.
"""

from __future__ import annotations

import importlib.metadata
import shutil
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path, PurePosixPath

from botocore.exceptions import BotoCoreError, ClientError
from django.conf import settings
from django.db import connections
from django.db.migrations.recorder import MigrationRecorder

from newsdesk.backup import database
from newsdesk.backup.archive import FORMAT, ArchiveError, Writer
from newsdesk.core.humanize import size as human_size
from newsdesk.media.files import MediaFile, is_temporary, media_files
from newsdesk.media.storage import BucketUnavailable, bucket_storage

PROGRESS_BYTES = 256 * 1024 * 1024
PROGRESS_FILES = 2000


@dataclass
class BackupSummary:
    path: Path
    engine: str
    media_source: str = "files"
    database_bytes: int = 0
    files: int = 0
    media_bytes: int = 0
    archive_bytes: int = 0
    seconds: float = 0.0
    phases: dict[str, float] = field(default_factory=dict)

    def lines(self) -> list[str]:
        return [
            f"Backup written to {self.path}",
            f"  database   {self.engine}, {human_size(self.database_bytes)}",
            f"  media      {self.files:,} files, {human_size(self.media_bytes)}"
            + ("" if self.media_source == "files" else f" (from {self.media_source})"),
            f"  archive    {human_size(self.archive_bytes)}",
            f"  time       {self.seconds:.1f} s ("
            + ", ".join(f"{name} {seconds:.1f} s" for name, seconds in self.phases.items())
            + ")",
            "Copy it off this machine, encrypted (docs/backup.md). Check it with "
            f"`newsdesk restore --check {self.path}`.",
        ]


def default_path(now: datetime | None = None) -> Path:
    now = now or datetime.now(UTC)
    return Path(settings.DATA_DIR) / "backups" / f"newsdesk-{now:%Y%m%d-%H%M%S}.tar"


def resolve_target(path: Path | None) -> Path:
    if path is None:
        target = default_path()
    elif path.is_dir():
        target = path / default_path().name
    else:
        target = path
    if target.exists():
        raise ArchiveError(f"{target} already exists; choose another name or move it away.")
    target.parent.mkdir(parents=True, exist_ok=True)
    return target.resolve()


def create_backup(
    path: Path | None = None, alias: str = "default", log: Callable[[str], None] = print
) -> BackupSummary:
    settings_dict = connections[alias].settings_dict
    engine = database.engine_of(settings_dict)
    storage = bucket_storage()
    if storage is not None:
        try:
            storage.check()
        except BucketUnavailable as error:
            raise ArchiveError(f"{error} Nothing was written.") from None
    target = resolve_target(path)
    summary = BackupSummary(target, engine, storage.describe() if storage else "files")
    started = time.monotonic()
    writer = Writer(target)
    try:
        with tempfile.TemporaryDirectory(dir=target.parent, prefix=".newsdesk-backup-") as work:
            dump = Path(work) / Path(database.member_for(engine)).name
            log(f"Copying the {engine} database ...")
            manifest = dump_database(engine, settings_dict, alias, dump)
            summary.database_bytes = dump.stat().st_size
            files = list_media(storage)
            check_space(target.parent, summary.database_bytes + sum(f.size for f in files))
            summary.phases["database"] = time.monotonic() - started
            writer.add(dump, database.member_for(engine))
        summary.phases["media"] = add_media(writer, files, summary, log)
        writer.finish(
            {
                "format": FORMAT,
                "newsdesk_version": importlib.metadata.version("newsdesk"),
                "created": datetime.now(UTC).isoformat(timespec="seconds"),
                "database": {"engine": engine, "member": database.member_for(engine), **manifest},
                "migrations": manifest.pop("migrations"),
                "files": summary.files,
                "bytes": summary.media_bytes,
                "media_source": "bucket" if storage else "files",
            }
        )
    except BaseException:
        writer.abandon()
        raise
    summary.archive_bytes = target.stat().st_size
    summary.seconds = time.monotonic() - started
    return summary


def dump_database(engine: str, settings_dict: dict, alias: str, dump: Path) -> dict:
    """Write the dump; returns what the manifest says about it (migrations included)."""
    if engine == "sqlite":
        database.copy_sqlite(Path(settings_dict["NAME"]), dump)
        # Read from the copy, so the list matches the copied schema exactly.
        return {"migrations": database.sqlite_migrations(dump)}
    applied = sorted(MigrationRecorder(connections[alias]).applied_migrations())
    connections[alias].close()
    version = database.pg_dump(settings_dict, dump)
    return {"migrations": [list(key) for key in applied], "pg_dump": version}


def list_media(storage) -> list[MediaFile]:
    """What to copy: the files under MEDIA_ROOT, or the objects of both buckets."""
    if storage is None:
        return media_files(Path(settings.MEDIA_ROOT))
    return [
        MediaFile(None, info.name, info.size, info.modified.timestamp())
        for info in storage.objects()
        if not is_temporary(PurePosixPath(info.name))
    ]


def add_one(writer: Writer, media: MediaFile) -> int:
    """Add one file or object; FileNotFoundError when it was deleted since it was listed."""
    name = f"media/{media.name}"
    if media.path is not None:
        return writer.add(media.path, name, media.size)
    try:
        with bucket_storage().stream(media.name) as body:
            return writer.add_stream(body, name, media.size, media.mtime)
    except ClientError as error:
        if error.response.get("Error", {}).get("Code") in ("NoSuchKey", "404"):
            raise FileNotFoundError(media.name) from None
        raise _bucket_failed(media.name, error) from error
    except BotoCoreError as error:
        raise _bucket_failed(media.name, error) from error


def _bucket_failed(name: str, error: Exception) -> ArchiveError:
    return ArchiveError(
        f"Reading {name} from the bucket failed ({error}). Nothing was left under the "
        "archive's name; run the backup again once the object storage answers."
    )


def add_media(writer: Writer, files, summary: BackupSummary, log) -> float:
    started = time.monotonic()
    total = sum(f.size for f in files)
    log(f"Copying {len(files):,} media files ({human_size(total)}) ...")
    next_report = PROGRESS_BYTES
    for number, media in enumerate(files, start=1):
        try:
            summary.media_bytes += add_one(writer, media)
        except FileNotFoundError:
            continue  # deleted since it was listed: nothing refers to it any more
        summary.files += 1
        if summary.media_bytes >= next_report or number % PROGRESS_FILES == 0:
            next_report = summary.media_bytes + PROGRESS_BYTES
            log(
                f"  {number:,}/{len(files):,} files, "
                f"{human_size(summary.media_bytes)} of {human_size(total)}"
            )
    return time.monotonic() - started


def check_space(folder: Path, needed: int) -> None:
    free = shutil.disk_usage(folder).free
    if free < needed * 1.05:
        raise ArchiveError(
            f"{folder} has {human_size(free)} free and the backup needs about "
            f"{human_size(needed)}. Free some space or give another PATH; nothing was written."
        )
