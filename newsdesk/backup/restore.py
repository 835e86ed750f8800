"""`newsdesk restore ARCHIVE`: verify everything, then put the database and media in place.

Order matters for "a bad archive changes nothing": the manifest is read and checked against
the code and the target first; every member is extracted beside its destination and checked
against its sha256; only then is the database replaced (a rename for SQLite, one transaction
for PostgreSQL) and, last, the media folder swapped in with a rename.

With media in object storage (NEWSDESK_MEDIA_STORAGE) the last step uploads the verified
files into the buckets instead (originals to the private one, by name), each sent with its
MD5 so the server refuses altered bytes, then deletes the objects the archive does not have,
so the buckets hold exactly the archive's media as the folder would. Any archive restores into
either kind of storage: the member names are the storage names in both.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from botocore.exceptions import BotoCoreError, ClientError
from django.db.migrations.loader import MigrationLoader

from newsdesk.backup import database
from newsdesk.backup.archive import ArchiveError, extract_verified, read_manifest
from newsdesk.core.humanize import size as human_size
from newsdesk.media.storage import BucketUnavailable


@dataclass
class Target:
    """Where a restore writes: the database (a connection's settings_dict) and MEDIA_ROOT,
    or the buckets when `storage` (newsdesk.media.storage.MediaStorage) is given."""

    settings_dict: dict
    media_root: Path
    storage: object = None

    @property
    def engine(self) -> str:
        return database.engine_of(self.settings_dict)

    @property
    def sqlite_path(self) -> Path:
        return Path(self.settings_dict["NAME"])

    def contents(self) -> str:
        if self.engine == "sqlite":
            held = database.sqlite_contents(self.sqlite_path)
        else:
            held = database.pg_contents(self.settings_dict)
        if self.storage is not None:
            objects = sum(1 for _ in self.storage.objects())
            media = f"{objects} objects in the media buckets" if objects else ""
        else:
            files = sum(1 for _ in self.media_root.rglob("*")) if self.media_root.is_dir() else 0
            media = f"{files} media entries" if files else ""
        return "; ".join(part for part in (held, media) if part)


@dataclass
class RestoreSummary:
    archive: Path
    manifest: dict
    pending_migrations: list[str] = field(default_factory=list)
    seconds: float = 0.0
    checked_only: bool = False

    def lines(self) -> list[str]:
        database_info = self.manifest["database"]
        lines = [
            ("Checked " if self.checked_only else "Restored ")
            + f"{self.archive} (made {self.manifest['created']} by Newsdesk "
            f"{self.manifest['newsdesk_version']})",
            f"  database   {database_info['engine']}, "
            f"{len(self.manifest['migrations'])} migrations applied",
            f"  media      {self.manifest['files']:,} files, {human_size(self.manifest['bytes'])}",
            f"  time       {self.seconds:.1f} s",
        ]
        if self.checked_only:
            lines.append("Every checksum matches; the archive can be restored.")
        elif self.pending_migrations:
            lines.append(
                f"The archive is older than this code ({len(self.pending_migrations)} "
                "migrations to apply, first "
                f"{self.pending_migrations[0]}): run `newsdesk migrate` before `newsdesk serve`."
            )
        else:
            lines.append("The database schema matches this code. Start the site again.")
        return lines


def migration_gap(manifest: dict) -> tuple[list[str], list[str]]:
    """(migrations the code has that the archive lacks, migrations the archive has that the
    code does not know). Apps the code no longer has are left out of the second list."""
    loader = MigrationLoader(None, ignore_no_migrations=True)
    applied = {tuple(key) for key in manifest["migrations"]}
    pending = sorted(f"{app}.{name}" for app, name in set(loader.graph.nodes) - applied)
    unknown = sorted(
        f"{app}.{name}"
        for app, name in applied
        if app in loader.migrated_apps and (app, name) not in loader.disk_migrations
    )
    return pending, unknown


def restore_backup(
    archive: Path,
    target: Target,
    *,
    force: bool = False,
    check_only: bool = False,
    log: Callable[[str], None] = print,
) -> RestoreSummary:
    started = time.monotonic()
    archive = archive.resolve()
    manifest = read_manifest(archive)
    summary = RestoreSummary(archive, manifest, checked_only=check_only)
    if check_only:
        with tempfile.TemporaryDirectory(prefix=".newsdesk-check-", dir=archive.parent) as work:
            extract_verified(archive, manifest, lambda name: Path(work) / name)
        summary.seconds = time.monotonic() - started
        return summary

    check_compatible(manifest, target, force)
    pending, _ = migration_gap(manifest)
    target.media_root.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".newsdesk-restore-", dir=target.media_root.parent))
    try:
        log(f"Checking and unpacking {archive} ...")
        written = extract_verified(
            archive, manifest, staged_destination(staging, target), progress_logger(log)
        )
        log("Putting the database in place ...")
        put_database(manifest, target, written)
        if target.storage is not None:
            put_media_in_buckets(staging / "media", manifest, target.storage, log)
        else:
            put_media(staging / "media", target.media_root)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    summary.pending_migrations = pending
    summary.seconds = time.monotonic() - started
    return summary


def check_compatible(manifest: dict, target: Target, force: bool) -> None:
    if target.storage is not None:
        try:
            target.storage.check()
        except BucketUnavailable as error:
            raise ArchiveError(f"{error} Nothing was changed.") from None
    engine = manifest["database"]["engine"]
    if engine != target.engine:
        where = "with DATABASE_URL unset" if engine == "sqlite" else "with DATABASE_URL set"
        raise ArchiveError(
            f"This archive holds a {engine} database and Newsdesk is configured for "
            f"{target.engine}. Restore it {where} (to a {engine} database)."
        )
    _, unknown = migration_gap(manifest)
    if unknown:
        raise ArchiveError(
            f"The archive was made by a newer Newsdesk ({manifest['newsdesk_version']}): its "
            f"database has {len(unknown)} migrations this code does not know (first "
            f"{unknown[0]}). Install that version or newer, then restore. Nothing was changed."
        )
    held = target.contents()
    if held and not force:
        raise ArchiveError(
            f"The target is not empty ({held}). Restoring replaces the whole database and "
            "media (folder or buckets). Stop `newsdesk serve` and `newsdesk worker`, then run "
            "again with --force to replace them. Nothing was changed."
        )


def staged_destination(staging: Path, target: Target):
    """Media members go under staging/; a SQLite database goes beside the live file, so the
    final rename stays on one file system."""

    def destination(name: str) -> Path:
        if name == database.SQLITE_MEMBER:
            path = target.sqlite_path
            path.parent.mkdir(parents=True, exist_ok=True)
            return path.with_name(f".{path.name}.restore-{os.getpid()}")
        return staging / name

    return destination


def progress_logger(log):
    state = {"next": 0.25}

    def progress(done: int, total: int) -> None:
        if total and done / total >= state["next"]:
            log(f"  {human_size(done)} of {human_size(total)} checked")
            while done / total >= state["next"]:
                state["next"] += 0.25

    return progress


def put_database(manifest: dict, target: Target, written: dict[str, Path]) -> None:
    member = manifest["database"]["member"]
    staged = written[member]
    try:
        if target.engine == "sqlite":
            database.restore_sqlite(staged, target.sqlite_path)
        else:
            database.pg_restore(target.settings_dict, staged)
    finally:
        staged.unlink(missing_ok=True)


def put_media(staged: Path, media_root: Path) -> None:
    """Swap the restored folder in with renames; the old one is removed only afterwards."""
    staged.mkdir(parents=True, exist_ok=True)
    previous = media_root.with_name(f".{media_root.name}-before-restore-{os.getpid()}")
    if media_root.exists():
        os.replace(media_root, previous)
    os.replace(staged, media_root)
    shutil.rmtree(previous, ignore_errors=True)


def put_media_in_buckets(staged: Path, manifest: dict, storage, log) -> None:
    """Upload every verified media file, then delete the objects the archive lacks."""
    wanted = {
        member.removeprefix("media/"): entry
        for member, entry in manifest.get("members", {}).items()
        if member.startswith("media/")
    }
    log(f"Uploading {len(wanted):,} media files to {storage.describe()} ...")
    done = 0
    try:
        for done, (name, entry) in enumerate(sorted(wanted.items()), start=1):
            with open(staged / name, "rb") as data:
                storage.put(name, data, sha256=entry["sha256"], size=entry["size"])
            if done % 1000 == 0:
                log(f"  {done:,}/{len(wanted):,} uploaded")
        extra = [info.name for info in storage.objects() if info.name not in wanted]
        storage.delete_many(extra)
    except (BotoCoreError, ClientError) as error:
        raise ArchiveError(
            f"The database is restored, but uploading media to the bucket stopped after "
            f"{done:,} of {len(wanted):,} files ({error}). Run the same restore again with "
            "--force once the object storage answers."
        ) from error
    if extra:
        log(f"  removed {len(extra):,} objects the archive does not have")
