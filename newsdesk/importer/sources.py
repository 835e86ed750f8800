"""Source files: which format each one is, and the stories in it."""

from __future__ import annotations

from pathlib import Path
from zoneinfo import ZoneInfo

from newsdesk.importer import textdump
from newsdesk.importer.data import SourceError, Story, from_text

FORMATS = ("text", "html", "wxr")
SUFFIXES = {".txt": "text", ".text": "text", ".html": "html", ".htm": "html", ".xml": "wxr"}


def expand(paths: list[Path]) -> list[Path]:
    """Files as given, and the importable files inside folders (sorted, hidden ones skipped)."""
    files: list[Path] = []
    for path in paths:
        if path.is_dir():
            files += sorted(
                child
                for child in path.rglob("*")
                if child.is_file()
                and child.suffix.lower() in SUFFIXES
                and not any(part.startswith(".") for part in child.relative_to(path).parts)
            )
        else:
            files.append(path)
    return files


def detect_format(path: Path, raw: bytes) -> str:
    """WordPress export, HTML page or plain text: from the content first, then the name."""
    head = raw[:4096].lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    if b"wordpress.org/export/" in raw[:20000] and b"<rss" in raw[:20000].lower():
        return "wxr"
    if head.startswith((b"<!doctype html", b"<html")) or b"<html" in head[:1024]:
        return "html"
    if head.startswith(b"<?xml") or head.startswith(b"<rss"):
        return "wxr"
    return SUFFIXES.get(path.suffix.lower(), "text")


def decode(raw: bytes) -> str:
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = raw[: error.start].count(b"\n") + 1
        raise SourceError(f"not UTF-8 text (byte {error.start})", line) from None


def read_stories(path: Path, raw: bytes, format: str, zone: ZoneInfo) -> list[Story]:
    """Every story in one file; raises SourceError (or DumpError, a kind of it) when malformed."""
    if format == "text":
        try:
            return [from_text(textdump.parse(decode(raw), zone))]
        except textdump.DumpError as error:
            raise SourceError(error.message, error.line) from None
    if format == "html":
        from newsdesk.importer.htmlpage import read_page

        return [read_page(raw, zone, source_name=path.name)]
    if format == "wxr":
        from newsdesk.importer.wxr import read_export

        return read_export(raw, zone)
    raise SourceError(f"unknown format {format!r}; use one of {', '.join(FORMATS)}")
