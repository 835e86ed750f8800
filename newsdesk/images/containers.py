"""The layout of JPEG, PNG and WebP files, read from their bytes without decoding a pixel.

Upload checks (uploads.py) need three things before Pillow decodes anything: the size the
file declares (so a 30,000 x 30,000 pixel flood is refused from its header), the metadata it
carries (EXIF, XMP, IPTC, comments, text chunks: where markup hides in a polyglot), and where
the picture ends (anything after it is a trailer, where a ZIP or HTML page hides). Renditions
use `strip_metadata` to drop EXIF, XMP, IPTC and text while keeping the colour profile.

No Django and no Pillow here; every function takes bytes. `Malformed` means the structure is
broken or lies (a chunk longer than the file, no end marker).
"""

from __future__ import annotations

import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field

JPEG, PNG, WEBP = "JPEG", "PNG", "WEBP"
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
MAX_TEXT_BYTES = 1024 * 1024
"""A compressed PNG text chunk may inflate to this much; more is a zip bomb, not a caption."""

_SOF = {0xC0, 0xC1, 0xC2, 0xC3, 0xC5, 0xC6, 0xC7, 0xC9, 0xCA, 0xCB, 0xCD, 0xCE, 0xCF}
_STANDALONE = {0x01, *range(0xD0, 0xD8)}
_APP2_ICC = b"ICC_PROFILE\x00"
_PNG_KEEP = {b"IHDR", b"PLTE", b"tRNS", b"IDAT", b"IEND", b"iCCP", b"sRGB", b"gAMA", b"cHRM"}
_PNG_KEEP |= {b"sBIT", b"bKGD", b"pHYs", b"acTL", b"fcTL", b"fdAT", b"cICP", b"mDCV", b"cLLI"}
_WEBP_DROP = {b"EXIF", b"XMP "}


class Malformed(ValueError):
    """The file's structure is broken: it cannot be what it says it is."""


@dataclass
class Layout:
    format: str
    width: int
    height: int
    end: int
    """Offset just past the picture; bytes from here on are a trailer."""
    metadata: list[bytes] = field(default_factory=list)
    """Every metadata segment or chunk body (compressed PNG text inflated)."""
    animated: bool = False
    lossless: bool = False
    """WebP only: the picture is VP8L (lossless), so a re-encode stays lossless."""


def sniff(data: bytes) -> str | None:
    """JPEG, PNG or WEBP from the first bytes, or None for anything else."""
    if data[:3] == b"\xff\xd8\xff":
        return JPEG
    if data[:8] == PNG_SIGNATURE:
        return PNG
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return WEBP
    return None


def layout(data: bytes, kind: str) -> Layout:
    return {JPEG: _jpeg, PNG: _png, WEBP: _webp}[kind](data)


def strip_metadata(data: bytes, kind: str) -> bytes:
    """The same picture without EXIF, XMP, IPTC, comments or text; the ICC profile stays.

    Lossless: segments are dropped, pixel data is copied byte for byte. Trailers go too.
    """
    if kind == JPEG:
        return _strip_jpeg(data)
    if kind == PNG:
        return _strip_png(data)
    return _strip_webp(data)


# --- JPEG ------------------------------------------------------------------------------------


def _jpeg_segments(data: bytes) -> Iterator[tuple[int, int, int, bytes]]:
    """(marker, start, end, body) for every marker segment up to and including EOI.

    Entropy-coded data after each SOS is skipped to the next real marker (0xFF followed by
    anything but 0x00 stuffing or a restart marker), so a marker hidden in scan data counts
    as what a decoder sees.
    """
    if data[:2] != b"\xff\xd8":
        raise Malformed("no JPEG start marker")
    yield 0xD8, 0, 2, b""
    pos, size = 2, len(data)
    while True:
        start = pos
        if pos >= size or data[pos] != 0xFF:
            raise Malformed("no JPEG end marker")
        while pos < size and data[pos] == 0xFF:
            pos += 1  # fill bytes
        if pos >= size:
            raise Malformed("no JPEG end marker")
        marker = data[pos]
        pos += 1
        if marker == 0xD9:
            yield marker, start, pos, b""
            return
        if marker in _STANDALONE:
            yield marker, start, pos, b""
            continue
        if pos + 2 > size:
            raise Malformed("JPEG segment past the end of the file")
        length = int.from_bytes(data[pos : pos + 2], "big")
        if length < 2 or pos + length > size:
            raise Malformed("JPEG segment past the end of the file")
        body = data[pos + 2 : pos + length]
        pos += length
        if marker == 0xDA:
            pos = _skip_scan(data, pos)
        yield marker, start, pos, body


def _skip_scan(data: bytes, pos: int) -> int:
    size = len(data)
    while True:
        found = data.find(b"\xff", pos)
        if found < 0:
            raise Malformed("JPEG scan data runs past the end of the file")
        run = found + 1
        while run < size and data[run] == 0xFF:
            run += 1  # fill bytes before a marker
        if run >= size:
            raise Malformed("JPEG scan data runs past the end of the file")
        if data[run] == 0x00 or 0xD0 <= data[run] <= 0xD7:
            pos = run + 1  # a stuffed 0xFF byte or a restart marker: still scan data
            continue
        return found


def _jpeg(data: bytes) -> Layout:
    width: int | None = None
    height: int | None = None
    metadata: list[bytes] = []
    for marker, _start, end, body in _jpeg_segments(data):
        if marker in _SOF and width is None:
            if len(body) < 5:
                raise Malformed("short JPEG frame header")
            height = int.from_bytes(body[1:3], "big")
            width = int.from_bytes(body[3:5], "big")
        elif 0xE0 <= marker <= 0xEF or marker == 0xFE:
            metadata.append(body)
        elif marker == 0xD9:
            if width is None or height is None:
                raise Malformed("JPEG without a frame header")
            return Layout(JPEG, width, height, end, metadata)
    raise Malformed("no JPEG end marker")  # pragma: no cover - the generator raises first


def _strip_jpeg(data: bytes) -> bytes:
    kept = []
    for marker, start, end, body in _jpeg_segments(data):
        if marker == 0xFE or (0xE1 <= marker <= 0xEF and not _jpeg_keeps(marker, body)):
            continue
        kept.append(data[start:end])
    return b"".join(kept)


def _jpeg_keeps(marker: int, body: bytes) -> bool:
    """APP2 ICC profile and APP14 Adobe (colour transform) stay; EXIF, XMP, IPTC, MPF go."""
    return (marker == 0xE2 and body.startswith(_APP2_ICC)) or (
        marker == 0xEE and body.startswith(b"Adobe")
    )


# --- PNG -------------------------------------------------------------------------------------


def _png_chunks(data: bytes) -> Iterator[tuple[bytes, int, int, bytes]]:
    if data[:8] != PNG_SIGNATURE:
        raise Malformed("no PNG signature")
    pos, size = 8, len(data)
    while pos + 12 <= size:
        length = int.from_bytes(data[pos : pos + 4], "big")
        kind = data[pos + 4 : pos + 8]
        end = pos + 12 + length
        if end > size:
            raise Malformed("PNG chunk past the end of the file")
        yield kind, pos, end, data[pos + 8 : pos + 8 + length]
        if kind == b"IEND":
            return
        pos = end
    raise Malformed("no PNG end chunk")


def _png(data: bytes) -> Layout:
    found = None
    metadata: list[bytes] = []
    animated = False
    for kind, _start, end, body in _png_chunks(data):
        if found is None:
            if kind != b"IHDR" or len(body) < 8:
                raise Malformed("PNG without a header chunk")
            found = Layout(
                PNG, int.from_bytes(body[0:4], "big"), int.from_bytes(body[4:8], "big"), 0
            )
        elif kind == b"acTL":
            animated = len(body) >= 4 and int.from_bytes(body[0:4], "big") > 1
        elif kind == b"IEND":
            found.end, found.metadata, found.animated = end, metadata, animated
            return found
        elif kind not in _PNG_KEEP or kind == b"iCCP":
            metadata.append(_png_text(kind, body))
    raise Malformed("no PNG end chunk")  # pragma: no cover


def _png_text(kind: bytes, body: bytes) -> bytes:
    """A text chunk's text, inflated (up to MAX_TEXT_BYTES) when it is compressed."""
    if kind == b"zTXt":
        keyword, _, rest = body.partition(b"\x00")
        return keyword + b" " + _inflate(rest[1:])
    if kind == b"iTXt":
        keyword, _, rest = body.partition(b"\x00")
        if len(rest) >= 2 and rest[0] == 1:
            language, _, rest = rest[2:].partition(b"\x00")
            translated, _, text = rest.partition(b"\x00")
            return b" ".join((keyword, language, translated, _inflate(text)))
    if kind == b"iCCP":
        return b""  # a compressed colour profile: binary, and kept
    return body


def _inflate(compressed: bytes) -> bytes:
    inflater = zlib.decompressobj()
    try:
        text = inflater.decompress(compressed, MAX_TEXT_BYTES + 1)
    except zlib.error as error:
        raise Malformed(f"broken compressed PNG text: {error}") from error
    if len(text) > MAX_TEXT_BYTES:
        raise TextBomb(f"a compressed PNG text chunk inflates past {MAX_TEXT_BYTES:,} bytes")
    return text


class TextBomb(Malformed):
    """A compressed text chunk that inflates past MAX_TEXT_BYTES."""


def _strip_png(data: bytes) -> bytes:
    kept = [PNG_SIGNATURE]
    for kind, start, end, _body in _png_chunks(data):
        if kind in _PNG_KEEP:
            kept.append(data[start:end])
    return b"".join(kept)


# --- WebP ------------------------------------------------------------------------------------


def _webp_chunks(data: bytes) -> Iterator[tuple[bytes, int, int, bytes]]:
    if data[:4] != b"RIFF" or data[8:12] != b"WEBP":
        raise Malformed("no WebP header")
    end = 8 + int.from_bytes(data[4:8], "little")
    if end > len(data) or end < 12:
        raise Malformed("WebP size past the end of the file")
    pos = 12
    while pos + 8 <= end:
        kind = data[pos : pos + 4]
        length = int.from_bytes(data[pos + 4 : pos + 8], "little")
        chunk_end = pos + 8 + length + (length & 1)
        if pos + 8 + length > end:
            raise Malformed("WebP chunk past the end of the file")
        yield kind, pos, min(chunk_end, end), data[pos + 8 : pos + 8 + length]
        pos = chunk_end


def _webp(data: bytes) -> Layout:
    width: int | None = None
    height: int | None = None
    metadata: list[bytes] = []
    animated = lossless = False
    for kind, _start, _end, body in _webp_chunks(data):
        if kind == b"VP8X" and len(body) >= 10:
            animated = bool(body[0] & 0x02)
            width = 1 + int.from_bytes(body[4:7], "little")
            height = 1 + int.from_bytes(body[7:10], "little")
        elif kind == b"VP8 " and width is None:
            if len(body) < 10 or body[3:6] != b"\x9d\x01\x2a":
                raise Malformed("broken VP8 frame header")
            width = int.from_bytes(body[6:8], "little") & 0x3FFF
            height = int.from_bytes(body[8:10], "little") & 0x3FFF
        elif kind == b"VP8L":
            lossless = True
            if width is None:
                if len(body) < 5 or body[0] != 0x2F:
                    raise Malformed("broken VP8L header")
                bits = int.from_bytes(body[1:5], "little")
                width, height = (bits & 0x3FFF) + 1, ((bits >> 14) & 0x3FFF) + 1
        elif kind in (b"ANIM", b"ANMF"):
            animated = True
        elif kind not in (b"VP8 ", b"ALPH", b"ICCP"):
            metadata.append(body)
    if width is None or height is None:
        raise Malformed("WebP without a picture")
    end = 8 + int.from_bytes(data[4:8], "little")
    return Layout(WEBP, width, height, end, metadata, animated, lossless)


def _strip_webp(data: bytes) -> bytes:
    chunks = []
    for kind, start, end, _body in _webp_chunks(data):
        if kind in _WEBP_DROP:
            continue
        chunk = data[start:end]
        if kind == b"VP8X":
            # Clear the EXIF (0x08) and XMP (0x04) flags: the chunks are gone.
            chunk = chunk[:8] + bytes([chunk[8] & ~0x0C & 0xFF]) + chunk[9:]
        chunks.append(chunk)
    body = b"WEBP" + b"".join(chunks)
    return b"RIFF" + len(body).to_bytes(4, "little") + body
