"""The backup archive: one plain tar file with the database, the media files and a manifest.

Layout (`tar tf` shows it):

    database/newsdesk.sqlite3   or   database/newsdesk.pgdump   (pg_dump --format=custom)
    media/<storage name>        one member per file: under MEDIA_ROOT, or an object of
                                either bucket when media is in object storage
    manifest.json               last, because it holds the sha256 of every member before it

Plain tar, not compressed: images and MP3s are compressed already, a custom-format pg_dump is
too, and an operator can read a plain tar with standard tools when Newsdesk is not at hand.
No Django import here: the commands pass in paths and callbacks.
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import json
import os
import tarfile
import time
from collections.abc import Callable
from pathlib import Path, PurePosixPath

MANIFEST = "manifest.json"
FORMAT = 1
CHUNK = 1024 * 1024


class ArchiveError(Exception):
    """An expected failure, with a message that says what to do next."""


class Writer:
    """Writes the archive under a temporary name beside `target` and renames it into place
    only in finish(), so a crash or a full disk never leaves a half archive under the real
    name. The file is private (0600): it holds password hashes and MFA secrets."""

    def __init__(self, target: Path):
        self.target = target
        self.temporary = target.with_name(f".{target.name}.partial-{os.getpid()}")
        self.members: dict[str, dict] = {}
        descriptor = os.open(self.temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        self.file = os.fdopen(descriptor, "wb")
        # Open across add() calls until finish() or abandon(), hence no `with`.
        self.tar = tarfile.open(fileobj=self.file, mode="w:", format=tarfile.PAX_FORMAT)  # noqa: SIM115

    def add(self, path: Path, name: str, size: int | None = None) -> int:
        """Add one file as member `name`; returns the bytes written. Reads exactly the size
        the file had when listed (a file that grows is cut there; one that shrinks is an
        error: it was being rewritten)."""
        with open(path, "rb") as source:
            if size is None:
                size = os.fstat(source.fileno()).st_size
            return self.add_stream(source, name, size, os.fstat(source.fileno()).st_mtime)

    def add_stream(self, source, name: str, size: int, mtime: float) -> int:
        """Add `size` bytes read from `source` (a file, a bucket object's body) as `name`."""
        info = tarfile.TarInfo(name)
        info.size = size
        info.mtime = int(mtime)
        info.mode = 0o640
        reader = HashingReader(source, size, name)
        self.tar.addfile(info, reader)
        reader.check_complete()
        self.members[name] = {"size": size, "sha256": reader.digest.hexdigest()}
        return size

    def finish(self, manifest: dict) -> None:
        manifest = {**manifest, "members": self.members}
        data = json.dumps(manifest, indent=2, sort_keys=True).encode()
        info = tarfile.TarInfo(MANIFEST)
        info.size = len(data)
        info.mtime = int(time.time())
        info.mode = 0o640
        self.tar.addfile(info, _BytesReader(data))
        self.tar.close()
        self.file.flush()
        os.fsync(self.file.fileno())
        self.file.close()
        os.replace(self.temporary, self.target)
        _fsync_dir(self.target.parent)

    def abandon(self) -> None:
        with contextlib.suppress(OSError, tarfile.TarError):
            self.tar.close()
        self.file.close()
        self.temporary.unlink(missing_ok=True)


class HashingReader:
    """Hands tarfile exactly `size` bytes of `source`, hashing them on the way."""

    def __init__(self, source, size: int, name: str):
        self.source = source
        self.left = size
        self.name = name
        self.digest = hashlib.sha256()

    def read(self, count: int = -1) -> bytes:
        if count < 0 or count > self.left:
            count = self.left
        data = self.source.read(count)
        self.left -= len(data)
        self.digest.update(data)
        return data

    def check_complete(self) -> None:
        if self.left:
            raise ArchiveError(
                f"{self.name} shrank while it was being copied (something rewrote it). "
                "Nothing was written; run the backup again."
            )


class _BytesReader:
    def __init__(self, data: bytes):
        self.data = memoryview(data)

    def read(self, count: int = -1) -> bytes:
        count = len(self.data) if count < 0 else count
        chunk, self.data = self.data[:count], self.data[count:]
        return bytes(chunk)


def _fsync_dir(folder: Path) -> None:
    descriptor = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


# --- Reading -------------------------------------------------------------------------------


def _broken(archive: Path, error: Exception) -> ArchiveError:
    return ArchiveError(
        f"{archive} is not a readable Newsdesk backup ({error}). It may be truncated or "
        "damaged: nothing was changed. Use another copy of the backup."
    )


def read_manifest(archive: Path) -> dict:
    """The manifest, found by skipping over the members' data (cheap even for a big file)."""
    if not archive.is_file():
        raise ArchiveError(f"{archive} does not exist or is not a file.")
    try:
        with tarfile.open(archive, mode="r:") as tar:
            try:
                member = tar.getmember(MANIFEST)
            except KeyError:
                raise ArchiveError(
                    f"{archive} has no {MANIFEST}: it is not a Newsdesk backup, or it was "
                    "truncated (a copy that did not finish?). Nothing was changed."
                ) from None
            manifest = json.loads(tar.extractfile(member).read())
    except (tarfile.TarError, OSError, EOFError, ValueError) as error:
        raise _broken(archive, error) from error
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise ArchiveError(
            f"{archive} has a manifest this version of Newsdesk does not know "
            f"(format {manifest.get('format') if isinstance(manifest, dict) else '?'}); "
            f"it reads format {FORMAT}."
        )
    return manifest


def safe_member_name(name: str) -> bool:
    path = PurePosixPath(name)
    return (
        not path.is_absolute()
        and ".." not in path.parts
        and len(path.parts) >= 2
        and path.parts[0] in ("database", "media")
    )


def extract_verified(
    archive: Path,
    manifest: dict,
    destination: Callable[[str], Path],
    progress: Callable[[int, int], None] = lambda done, total: None,
) -> dict[str, Path]:
    """Extract every member (but the manifest) to destination(name), checking its size and
    sha256 against the manifest; returns {name: path written}.

    Raises ArchiveError when anything does not match, after removing what it wrote: the
    caller has changed nothing yet, so a damaged archive changes nothing at all.
    """
    expected: dict[str, dict] = manifest.get("members", {})
    total = sum(entry["size"] for entry in expected.values())
    written: dict[str, Path] = {}
    done = 0
    try:
        with tarfile.open(archive, mode="r|") as tar:
            for member in tar:
                if member.name == MANIFEST:
                    continue
                if member.name not in expected or not member.isfile():
                    raise ArchiveError(
                        f"{archive} holds {member.name!r}, which its manifest does not list: "
                        "the archive was altered. Nothing was changed."
                    )
                if not safe_member_name(member.name):
                    raise ArchiveError(f"{archive} holds an unsafe name {member.name!r}.")
                target = destination(member.name)
                written[member.name] = target
                digest = _extract_one(tar, member, target)
                entry = expected[member.name]
                if member.size != entry["size"] or digest != entry["sha256"]:
                    raise ArchiveError(
                        f"{member.name} in {archive} does not match its checksum: the archive "
                        "is damaged. Nothing was changed; use another copy of the backup."
                    )
                done += member.size
                progress(done, total)
        missing = sorted(set(expected) - set(written))
        if missing:
            raise ArchiveError(
                f"{archive} lacks {len(missing)} file(s) its manifest lists (first: "
                f"{missing[0]}): it is incomplete. Nothing was changed."
            )
    except OSError as error:
        remove(written.values())
        if error.errno in (errno.ENOSPC, errno.EDQUOT, errno.EACCES, errno.EROFS):
            # Writing failed, not reading: the archive may be fine.
            raise ArchiveError(
                f"Cannot unpack {archive}: {error.strerror} ({error.filename}). Free space or "
                "fix the permissions, then run again. Nothing was changed."
            ) from error
        raise _broken(archive, error) from error
    except (tarfile.TarError, EOFError) as error:
        remove(written.values())
        raise _broken(archive, error) from error
    except ArchiveError:
        remove(written.values())
        raise
    return written


def _extract_one(tar: tarfile.TarFile, member: tarfile.TarInfo, target: Path) -> str:
    target.parent.mkdir(parents=True, exist_ok=True)
    source = tar.extractfile(member)
    digest = hashlib.sha256()
    descriptor = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o640)
    with os.fdopen(descriptor, "wb") as out:
        for chunk in iter(lambda: source.read(CHUNK), b""):
            digest.update(chunk)
            out.write(chunk)
        out.flush()
        os.fsync(out.fileno())
    return digest.hexdigest()


def remove(paths) -> None:
    for path in paths:
        Path(path).unlink(missing_ok=True)
