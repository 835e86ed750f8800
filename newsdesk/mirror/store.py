"""The mirror's files on disk: the manifest, the staging folder, atomic writes and the lock.

A run never edits a published file in place. New bytes go to a staging folder inside OUTDIR
(the same file system, so moving them is a rename); only when every page has rendered and
every link checks out are they moved into place, stale files removed, and the manifest
written, last. A run that fails leaves the copy as the last good run left it, and a run that
is killed half-way through moving files leaves the INCOMPLETE marker behind, so the next run
trusts nothing it finds and starts over. No Django here.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import os
import shutil
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

MANIFEST = ".mirror-manifest.json"
STAGING = ".mirror-staging"
LOCK = ".mirror-lock"
INCOMPLETE = ".mirror-incomplete"
"""Present while a run moves files into place."""
FORMAT = 1
CHUNK = 1024 * 1024


class StoreError(Exception):
    pass


@dataclass
class Entry:
    """One file of the mirror, and what the next run needs to know about it."""

    url: str
    sha256: str
    size: int
    kind: str = "page"
    """"page" (rendered through Django) or "asset" (copied from static or media files)."""
    signature: str | None = None
    """Pages: the site state's signature when rendered. Assets: the source's size and mtime."""
    card: str | None = None
    links: list[str] = field(default_factory=list)
    """The files this one links to (HTML and CSS), relative to the mirror's root."""
    mentions: list[str] = field(default_factory=list)
    """The copied pages a feed or sitemap mentions (its absolute URLs are left as they are)."""
    content: str | None = None
    """For a live snapshot: the hash of the page without its "taken at" note."""
    etag: str | None = None
    last_modified: str | None = None

    def to_json(self, positions: dict[str, int]) -> dict[str, Any]:
        """Only what is set (a manifest holds tens of thousands of entries)."""
        data: dict[str, Any] = {"url": self.url, "sha256": self.sha256, "size": self.size}
        if self.kind != "page":
            data["kind"] = self.kind
        if self.signature:
            data["signature"] = self.signature
        if self.card:
            data["card"] = self.card
        if self.links:
            data["links"] = list(map(positions.__getitem__, self.links))
        for name in RARE_FIELDS:
            if value := getattr(self, name):
                data[name] = value
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any], names: list[str]) -> Entry:
        links = list(map(names.__getitem__, data.pop("links", ())))
        return cls(**data, links=links)


RARE_FIELDS = ("mentions", "content", "etag", "last_modified")


@dataclass
class Manifest:
    base_url: str
    fingerprint: str = ""
    """The code and settings that shape the output; when they change, everything is redone."""
    digest: str = ""
    """The site state's digest: when it is unchanged, so is every page."""
    generated_at: str = ""
    files: dict[str, Entry] = field(default_factory=dict)

    @classmethod
    def load(cls, outdir: Path) -> Manifest | None:
        try:
            data = json.loads((outdir / MANIFEST).read_text(encoding="utf-8"))
        except FileNotFoundError:
            return None
        except ValueError as error:
            raise StoreError(f"{outdir / MANIFEST} is not valid JSON ({error})") from error
        if data.get("format") != FORMAT:
            return None
        entries = data["files"]
        names = list(entries)
        return cls(
            base_url=data.get("base_url", ""),
            fingerprint=data.get("fingerprint", ""),
            digest=data.get("digest", ""),
            generated_at=data.get("generated_at", ""),
            files={path: Entry.from_json(entry, names) for path, entry in entries.items()},
        )

    def save(self, outdir: Path) -> None:
        """Files in sorted order; a file's links are positions in that order (every link leads
        to a file of the mirror, or the run would not have got this far)."""
        names = sorted(self.files)
        positions = {name: position for position, name in enumerate(names)}
        data = {
            "format": FORMAT,
            "base_url": self.base_url,
            "fingerprint": self.fingerprint,
            "digest": self.digest,
            "generated_at": self.generated_at,
            "files": {path: self.files[path].to_json(positions) for path in names},
        }
        payload = json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode()
        write_atomic(outdir / MANIFEST, payload, durable=True)


def sha256_bytes(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as file:
        while chunk := file.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def write_atomic(path: Path, data: bytes, *, durable: bool = False) -> None:
    """Write beside the target, then rename over it: readers see the old or the new file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    try:
        with temporary.open("wb") as file:
            file.write(data)
            if durable:
                file.flush()
                os.fsync(file.fileno())
        os.replace(temporary, path)
    finally:
        with contextlib.suppress(FileNotFoundError):
            temporary.unlink()


class Staging:
    """New and changed files, held inside OUTDIR until the run is known to be good."""

    def __init__(self, outdir: Path):
        self.outdir = outdir
        self.root = outdir / STAGING
        self.files: dict[str, int] = {}

    def clear(self) -> None:
        shutil.rmtree(self.root, ignore_errors=True)
        self.files.clear()

    def put(self, file: str, data: bytes) -> None:
        target = self.root / file
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
        self.files[file] = len(data)

    def copy(self, file: str, source) -> None:
        """Stage a copy of `source` (render.LocalFile or render.BucketFile)."""
        target = self.root / file
        target.parent.mkdir(parents=True, exist_ok=True)
        source.copy_to(target)
        self.files[file] = target.stat().st_size

    def commit(self) -> None:
        """Move every staged file into place, each with one rename."""
        for file in sorted(self.files):
            destination = self.outdir / file
            destination.parent.mkdir(parents=True, exist_ok=True)
            os.replace(self.root / file, destination)
        self.clear()


def remove(outdir: Path, files: list[str]) -> None:
    """Delete files of the mirror, and the folders they leave empty."""
    folders: set[Path] = set()
    for file in files:
        with contextlib.suppress(FileNotFoundError):
            (outdir / file).unlink()
        folders.update((outdir / file).parents)
    for folder in sorted(folders, key=lambda path: len(path.parts), reverse=True):
        if folder != outdir and outdir in folder.parents:
            with contextlib.suppress(OSError):
                folder.rmdir()  # only succeeds when empty


@contextlib.contextmanager
def locked(outdir: Path) -> Iterator[None]:
    """One run at a time per OUTDIR: a cron job that overlaps the previous run stops at once."""
    outdir.mkdir(parents=True, exist_ok=True)
    with (outdir / LOCK).open("w") as lock:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError as error:
            raise StoreError(f"another `newsdesk mirror` is writing to {outdir}") from error
        yield
