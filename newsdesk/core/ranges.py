"""HTTP byte ranges (RFC 9110, section 14): which part of a file a `Range` header asks for.

Audio players ask for ranges to seek without downloading the whole file first, and Safari
will not play audio at all from a server that ignores them. Only a single range is served:
a header asking for several (rare, and only for PDF readers and download managers) gets the
whole file, which the RFC allows. No Django here, so the rules are easy to test on their own.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_RANGE = re.compile(r"^\s*bytes\s*=\s*([0-9]*)\s*-\s*([0-9]*)\s*$", re.IGNORECASE | re.ASCII)


class Unsatisfiable(ValueError):
    """The range lies wholly past the end of the file: the answer is 416."""


@dataclass(frozen=True)
class ByteRange:
    start: int
    end: int
    """The last byte, inclusive, as in Content-Range."""

    @property
    def length(self) -> int:
        return self.end - self.start + 1

    def content_range(self, size: int) -> str:
        return f"bytes {self.start}-{self.end}/{size}"


def parse_range(header: str | None, size: int) -> ByteRange | None:
    """The part of a `size`-byte file a Range header asks for.

    None means "send the whole file with 200": no header, a header this server may ignore
    (another unit, several ranges, a malformed one), or a range that covers nothing of an
    empty file. Raises Unsatisfiable when the range starts at or past the end.
    """
    if not header:
        return None
    match = _RANGE.match(header)
    if match is None:
        return None
    first, last = match.groups()
    if not first:
        return _suffix(int(last), size) if last else None
    start = int(first)
    if last and int(last) < start:
        return None  # "bytes=5-2" is invalid, not unsatisfiable
    if start >= size:
        raise Unsatisfiable(f"bytes={first}-{last} starts past the end of {size} bytes")
    return ByteRange(start, min(int(last), size - 1) if last else size - 1)


def _suffix(length: int, size: int) -> ByteRange | None:
    """`bytes=-n`: the last n bytes, or the whole file when it is shorter than n."""
    if length == 0:
        raise Unsatisfiable("bytes=-0 asks for no bytes at all")
    if size == 0:
        return None
    return ByteRange(max(size - length, 0), size - 1)


def if_range_matches(if_range: str | None, last_modified: str) -> bool:
    """Whether to honour Range given an If-Range header.

    If-Range says "only if it has not changed since": a date must equal Last-Modified
    exactly, and an entity tag never matches because these responses carry none.
    """
    if if_range is None:
        return True
    return if_range.strip() == last_modified
