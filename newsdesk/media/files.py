"""The media files under MEDIA_ROOT worth keeping: what a backup archives and `newsdesk media
push` copies into the buckets. No Django import here: callers pass in the path."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

SKIPPED_MEDIA_DIRS = ("wagtail_uploads",)
"""Wagtail's half-finished multi-file uploads: nothing refers to them once an upload ends."""


@dataclass
class MediaFile:
    path: Path | None
    """On disk; None for an object in a bucket (create.py reads those)."""
    name: str
    """Path under MEDIA_ROOT (the storage name), with forward slashes."""
    size: int
    mtime: float = 0.0


def is_temporary(relative: PurePosixPath) -> bool:
    """Files being written right now (`.name.pid.tmp`, mkstemp's `.xyz.tmp`) and Wagtail's
    upload folder: copying them would save half a file that nothing refers to."""
    if relative.parts[0] in SKIPPED_MEDIA_DIRS:
        return True
    return relative.name.startswith(".") and relative.name.endswith(".tmp")


def media_files(media_root: Path) -> list[MediaFile]:
    """Every regular file under media_root worth keeping, sorted (symbolic links are not
    followed: media written by Newsdesk never is one)."""
    found: list[MediaFile] = []
    if not media_root.is_dir():
        return found
    for folder, dirs, files in os.walk(media_root):
        dirs.sort()
        for file_name in sorted(files):
            path = Path(folder) / file_name
            relative = PurePosixPath(path.relative_to(media_root).as_posix())
            if is_temporary(relative) or path.is_symlink() or not path.is_file():
                continue
            try:
                size = path.stat().st_size
            except FileNotFoundError:
                continue  # removed since os.walk listed it
            found.append(MediaFile(path, str(relative), size))
    return found
