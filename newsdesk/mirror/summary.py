"""What a mirror run reports: a one-screen summary, or an error that lists what is wrong."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from newsdesk.core.humanize import size


class MirrorError(Exception):
    def __init__(self, message: str, broken: list[tuple[str, str]] | None = None):
        super().__init__(message)
        self.broken = broken or []
        """(URL of the page, the link on it that leads nowhere)."""


@dataclass
class Summary:
    outdir: Path
    base_url: str
    mode: str
    """"full" or "incremental"."""
    reason: str = ""
    """Why a full run was one."""
    rendered: int = 0
    """Pages fetched through Django (answers of 304 and 404 included)."""
    written: int = 0
    written_bytes: int = 0
    unchanged: int = 0
    """Files this run checked and found already in the mirror, byte for byte."""
    removed: int = 0
    files: int = 0
    pages: int = 0
    total_bytes: int = 0
    broken: int = 0
    workers: int = 1
    """Processes that rendered the pages (renders.py)."""
    seconds: float = 0.0
    phases: dict[str, float] = field(default_factory=dict)
    """Seconds spent deciding what to do, rendering, checking links and writing."""

    def lines(self) -> list[str]:
        return [
            f"Mirrored {self.base_url} into {self.outdir} "
            f"({self.mode} run{': ' + self.reason if self.reason else ''}).",
            f"  pages rendered   {self.rendered:>9,}  (in {self.workers} process"
            f"{'es' if self.workers > 1 else ''})",
            f"  files written    {self.written:>9,}  ({size(self.written_bytes)})",
            f"  files unchanged  {self.unchanged:>9,}",
            f"  files removed    {self.removed:>9,}",
            f"  mirror           {self.files:>9,} files ({self.pages:,} pages), "
            f"{size(self.total_bytes)}",
            f"  broken links     {self.broken:>9,}",
            f"  time             {self.seconds:>9.1f} s  ({self.breakdown()})",
        ]

    def breakdown(self) -> str:
        return ", ".join(f"{name} {seconds:.2f} s" for name, seconds in self.phases.items())


def address_lines(base_url: str, is_default: bool, served_at: str | None) -> list[str]:
    """Which site address the copy's absolute links (canonical links, feeds, structured data)
    carry, and, when it is only the local default, how to give the real one."""
    if not is_default:
        return [f"Site address in the copy: {base_url} (NEWSDESK_BASE_URL)."]
    lines = [
        f"Site address in the copy: {base_url}, the local default: NEWSDESK_BASE_URL is not set.",
        "  The copy's canonical links, feeds and structured data point there. For a copy of",
        "  the public site, give its address: NEWSDESK_BASE_URL=https://news.example.org "
        "newsdesk mirror OUTDIR",
    ]
    if served_at and served_at != base_url:
        lines.append(f"  (The site was last served at {served_at}.)")
    return lines
