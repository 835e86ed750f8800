"""From narration segments to one MP3 with exact start times, synthesizing only what changed.

Each segment (a paragraph, a heading, a quote) is spoken, followed by its pause, and encoded
as a complete MP3 of its own; the article's file is those pieces back to back. That works
because:

- LAME starts every piece with an empty bit reservoir (the first frame of a piece has
  main_data_begin 0: it never borrows bits from the frame before it), so a decoder reads the
  joined pieces as one stream;
- every piece begins with the encoder's start-up silence and ends in the segment's pause, so
  there is silence on both sides of every joint and no click;
- lameenc writes no Xing/LAME "Info" frame (it would decode as an extra blank frame at every
  joint) and no gapless-playback trim, so a player plays every frame of every piece.

So after an editor changes one paragraph only that paragraph is synthesized and encoded again;
the others come from the cache, a folder of pieces named by a hash of everything that shapes
their bytes.

Start times are counted in MP3 frames, not estimated: a piece occupies exactly
(its frames x samples per frame) of the final file's timeline, read back from the frame
headers. A segment's start is where its piece begins; its speech is heard about 0.1 s later
(50 ms of encoder start-up silence plus the silence Piper leaves before a sentence).

No Django here: the caller passes the voice, the length scale and the cache folder.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import json
import logging
import math
import os
import tempfile
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Final

import lameenc  # type: ignore[import-not-found]
import numpy as np
import numpy.typing as npt

from newsdesk.narration.engine import PEAK_LEVEL, Voice

logger = logging.getLogger(__name__)

#: Bump when anything changes the bytes of a piece for the same inputs (synthesis, padding,
#: encoder options): every cached piece is then re-made on next use.
FORMAT_VERSION: Final = 1

#: kbit/s, constant. Piper voices speak at 22,050 Hz, which MP3 carries as MPEG-2 Layer III
#: (8-160 kbit/s allowed; 208-209 byte frames of 576 samples at 64). 64 kbit/s mono is ample
#: for speech and costs 8 KB per second, about 1.8 MB for a 600-word article.
DEFAULT_BIT_RATE: Final = 64
#: LAME's quality switch, 0 (best, slowest) to 9; 2 is LAME's recommended high quality.
DEFAULT_QUALITY: Final = 2

# Silence added after a segment, in seconds. The listener hears 0.2-0.35 s more: Piper ends
# every sentence with about 0.2 s of its own silence (at the default pace), the next piece
# starts with 50 ms of encoder start-up and Piper's 30-70 ms lead-in, and the piece is padded
# to a whole frame (0-26 ms). Sentences inside a segment are 0.3-0.5 s apart, so these give
# gaps of about 0.8 s between paragraphs, 0.9 s around a quotation and 1.15 s after a heading
# (measured on the decoded MP3): a newsreader's rhythm.
#: After an ordinary paragraph.
PAUSE_PARAGRAPH: Final = 0.5
#: After a heading (and after the headline), before the text it introduces.
PAUSE_HEADING: Final = 0.8
#: Before and after a quotation or a block quote, to set it apart from the reporter's voice.
PAUSE_QUOTE: Final = 0.6

_MPEG1_LAYER3_KBPS: Final = (0, 32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320)
_MPEG2_LAYER3_KBPS: Final = (0, 8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160)
_SAMPLE_RATES: Final = {
    "1": (44100, 48000, 32000),
    "2": (22050, 24000, 16000),
    "2.5": (11025, 12000, 8000),
}
_VERSIONS: Final = {0b00: "2.5", 0b10: "2", 0b11: "1"}

PCM = npt.NDArray[np.int16]


@dataclass(frozen=True)
class Segment:
    """One stretch of narration: text read in one go, then `pause_after` seconds of silence.

    Blank text is allowed: it gives just the pause (nothing at all if the pause is 0 too), so
    callers can keep one segment per block of the article and still get one start per block.
    """

    text: str
    pause_after: float = PAUSE_PARAGRAPH


@dataclass(frozen=True)
class Rendering:
    """A narration as one MP3, with where each segment starts in it."""

    mp3: bytes
    #: Seconds, from the frames (what a player will report as the duration).
    duration: float
    #: Seconds into the file at which each segment's piece begins, one per segment.
    starts: list[float]
    #: How many segments were not in the cache and had to be synthesized and encoded.
    synthesized: int
    #: sha256 of `mp3`, hex: names the published file.
    content_hash: str
    #: Seconds spent in Piper and in LAME during this render (0 for cached pieces).
    synthesis_seconds: float = 0.0
    encoding_seconds: float = 0.0


@dataclass(frozen=True)
class FrameHeader:
    """What the four header bytes of one MPEG audio Layer III frame say."""

    version: str  # "1", "2" or "2.5" (MPEG-1, MPEG-2, MPEG-2.5)
    layer: int  # always 3 here
    bit_rate: int  # kbit/s
    sample_rate: int  # Hz
    channels: int  # 1 (mono) or 2
    padded: bool
    protected: bool  # a 16-bit CRC follows the header
    length: int  # bytes, header included
    samples: int  # per channel: 1152 for MPEG-1, 576 for MPEG-2 and 2.5


@functools.lru_cache(maxsize=256)
def _parse_header(word: int) -> FrameHeader | str:
    """The header packed in a big-endian 32-bit word, or why it is not a Layer III header."""
    if word >> 21 != 0x7FF:
        return "no frame sync"
    version = _VERSIONS.get((word >> 19) & 0b11)
    if version is None:
        return "reserved MPEG version"
    if (word >> 17) & 0b11 != 0b01:
        return "not Layer III"
    bit_rate_index = (word >> 12) & 0b1111
    if bit_rate_index in (0, 15):
        return "free-format or invalid bit rate"
    sample_rate_index = (word >> 10) & 0b11
    if sample_rate_index == 3:
        return "reserved sample rate"
    table = _MPEG1_LAYER3_KBPS if version == "1" else _MPEG2_LAYER3_KBPS
    bit_rate = table[bit_rate_index]
    sample_rate = _SAMPLE_RATES[version][sample_rate_index]
    padded = bool((word >> 9) & 1)
    samples = 1152 if version == "1" else 576
    length = (samples // 8) * bit_rate * 1000 // sample_rate + int(padded)
    return FrameHeader(
        version=version,
        layer=3,
        bit_rate=bit_rate,
        sample_rate=sample_rate,
        channels=1 if (word >> 6) & 0b11 == 0b11 else 2,
        padded=padded,
        protected=not (word >> 16) & 1,
        length=length,
        samples=samples,
    )


def read_frame_header(data: bytes, offset: int = 0) -> FrameHeader:
    """The Layer III frame header at `offset`; ValueError if there is none."""
    if offset < 0 or offset + 4 > len(data):
        raise ValueError(f"no MP3 frame header at byte {offset}: the data ends there")
    header = _parse_header(int.from_bytes(data[offset : offset + 4], "big"))
    if isinstance(header, str):
        raise ValueError(f"no MP3 frame header at byte {offset}: {header}")
    return header


def _id3v2_length(data: bytes) -> int:
    if len(data) < 10 or data[:3] != b"ID3":
        return 0
    size = 0
    for byte in data[6:10]:
        size = (size << 7) | (byte & 0x7F)
    footer = 10 if data[5] & 0x10 else 0
    return 10 + size + footer


def _is_info_frame(data: bytes, offset: int, header: FrameHeader) -> bool:
    """A Xing/Info or VBRI frame: metadata in the shape of a frame, not audio."""
    if header.version == "1":
        side_info = 17 if header.channels == 1 else 32
    else:
        side_info = 9 if header.channels == 1 else 17
    at = offset + 4 + (2 if header.protected else 0) + side_info
    return data[at : at + 4] in (b"Xing", b"Info") or data[offset + 36 : offset + 40] == b"VBRI"


def iter_frames(data: bytes) -> Iterator[tuple[int, FrameHeader]]:
    """(offset, header) of every audio frame, in order.

    Skips a leading ID3v2 tag and a Xing/Info/VBRI frame, stops at a trailing ID3v1 or APE
    tag. Strict otherwise: anything between frames, or a cut-off last frame, is a ValueError,
    so a damaged file is not mistaken for a shorter one.
    """
    offset = _id3v2_length(data)
    first = True
    while offset < len(data):
        rest = data[offset : offset + 8]
        if (rest[:3] == b"TAG" and len(data) - offset == 128) or rest == b"APETAGEX":
            return
        header = read_frame_header(data, offset)
        if offset + header.length > len(data):
            raise ValueError(
                f"the MP3 frame at byte {offset} is cut off: it needs {header.length} bytes, "
                f"{len(data) - offset} remain"
            )
        if not (first and _is_info_frame(data, offset, header)):
            yield offset, header
        first = False
        offset += header.length


def _samples(data: bytes) -> tuple[int, int]:
    """(samples per channel, sample rate) of an MP3 stream; (0, 0) when it has no frames."""
    total = 0
    sample_rate = 0
    for _offset, header in iter_frames(data):
        if sample_rate and header.sample_rate != sample_rate:
            raise ValueError("the MP3 stream changes sample rate part-way through")
        sample_rate = header.sample_rate
        total += header.samples
    return total, sample_rate


def mp3_duration(data: bytes) -> float:
    """Seconds of audio in an MP3 stream, counted frame by frame (ValueError if malformed).

    This is what a player decodes, encoder start-up silence and final padding included.
    """
    samples, sample_rate = _samples(data)
    return samples / sample_rate if sample_rate else 0.0


def _check_encoder_settings(sample_rate: int, bit_rate: int, quality: int) -> None:
    if not any(sample_rate in rates for rates in _SAMPLE_RATES.values()):
        raise ValueError(f"MP3 cannot carry audio at {sample_rate} Hz")
    allowed = _MPEG1_LAYER3_KBPS if sample_rate >= 32000 else _MPEG2_LAYER3_KBPS
    if bit_rate not in allowed[1:]:
        raise ValueError(
            f"{bit_rate} kbit/s is not an MP3 bit rate at {sample_rate} Hz; "
            f"choose one of {', '.join(map(str, allowed[1:]))}"
        )
    if not 0 <= quality <= 9:
        raise ValueError(f"LAME quality runs from 0 (best) to 9 (fastest), not {quality}")


def encode_mp3(
    pcm: PCM,
    sample_rate: int,
    *,
    bit_rate: int = DEFAULT_BIT_RATE,
    quality: int = DEFAULT_QUALITY,
) -> bytes:
    """Mono 16-bit PCM as a complete constant-bit-rate MP3 at the same sample rate.

    The stream has no tags and no Info frame, so it can be joined to others. LAME adds 1,105
    samples of start-up delay and pads the end to a whole frame. No samples give b"".
    """
    if pcm.dtype != np.int16 or pcm.ndim != 1:
        raise ValueError("encode_mp3 takes a one-dimensional int16 array (mono 16-bit PCM)")
    _check_encoder_settings(sample_rate, bit_rate, quality)
    if pcm.size == 0:
        return b""
    encoder = lameenc.Encoder()
    encoder.set_channels(1)
    encoder.set_in_sample_rate(sample_rate)
    encoder.set_out_sample_rate(sample_rate)  # otherwise LAME may resample to suit the bit rate
    encoder.set_bit_rate(bit_rate)
    encoder.set_quality(quality)
    encoder.silence()
    little_endian = np.ascontiguousarray(pcm, dtype="<i2")
    return bytes(encoder.encode(little_endian.tobytes())) + bytes(encoder.flush())


def _piece_key(
    segment: Segment, voice_identity: str, length_scale: float, sample_rate: int, bit_rate: int
) -> str:
    fields = [
        FORMAT_VERSION,
        segment.text,
        round(segment.pause_after, 3),
        voice_identity,
        length_scale,
        sample_rate,
        bit_rate,
        DEFAULT_QUALITY,
        PEAK_LEVEL,
    ]
    return hashlib.sha256(json.dumps(fields, ensure_ascii=False).encode()).hexdigest()


def _piece_path(cache_dir: Path, key: str) -> Path:
    return cache_dir / key[:2] / f"{key}.mp3"


_TOUCH_AFTER_SECONDS: Final = 6 * 3600


def _read_piece(path: Path, sample_rate: int) -> tuple[bytes, int] | None:
    """A cached piece and its samples, or None if it is missing or unusable."""
    try:
        data = path.read_bytes()
    except OSError:
        return None
    try:
        samples, piece_rate = _samples(data)
    except ValueError:
        logger.warning("Ignoring damaged narration cache entry %s", path)
        return None
    if samples == 0 or piece_rate != sample_rate:
        return None
    # Mark it used, for prune_cache; at most a few times a day so a render stays read-only.
    with contextlib.suppress(OSError):
        if time.time() - path.stat().st_mtime > _TOUCH_AFTER_SECONDS:
            os.utime(path)
    return data, samples


def _write_piece(path: Path, data: bytes) -> None:
    """Write atomically (a reader sees the old piece or the new one, never half of one)."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        descriptor, temporary = tempfile.mkstemp(dir=path.parent, prefix=".", suffix=".tmp")
    except OSError as error:
        logger.warning("Cannot write to the narration cache %s: %s", path.parent, error)
        return
    try:
        with os.fdopen(descriptor, "wb") as handle:
            handle.write(data)
        os.replace(temporary, path)
    except OSError as error:
        logger.warning("Cannot write to the narration cache %s: %s", path, error)
        with contextlib.suppress(OSError):
            os.unlink(temporary)


def render(
    segments: Sequence[Segment],
    voice: Voice,
    length_scale: float,
    cache_dir: Path,
    *,
    bit_rate: int = DEFAULT_BIT_RATE,
) -> Rendering:
    """Narrate `segments` as one MP3, taking unchanged segments from `cache_dir`.

    A segment is cached by its text, its pause, the voice's identity, the length scale
    (rounded to 3 decimals), the encoder settings and FORMAT_VERSION. Blank text gives just
    the pause (cached like any piece); blank text with no pause adds nothing, so its start
    equals the next segment's. A cache folder that cannot be written is logged and skipped.
    """
    sample_rate = voice.sample_rate
    _check_encoder_settings(sample_rate, bit_rate, DEFAULT_QUALITY)
    length_scale = round(length_scale, 3)
    if not length_scale > 0:
        raise ValueError(f"length_scale must be positive, not {length_scale!r}")

    pieces: list[bytes] = []
    starts: list[float] = []
    position = 0  # in samples
    synthesized = 0
    synthesis_seconds = encoding_seconds = 0.0
    for segment in segments:
        if not (math.isfinite(segment.pause_after) and segment.pause_after >= 0):
            raise ValueError(f"a pause is a number of seconds >= 0, not {segment.pause_after!r}")
        starts.append(position / sample_rate)
        silence = round(segment.pause_after * sample_rate)
        if not segment.text.strip() and silence == 0:
            continue
        path = _piece_path(
            cache_dir, _piece_key(segment, voice.identity, length_scale, sample_rate, bit_rate)
        )
        cached = _read_piece(path, sample_rate)
        if cached is None:
            started = time.perf_counter()
            speech = voice.synthesize(segment.text, length_scale)
            pcm = np.concatenate([speech, np.zeros(silence, dtype=np.int16)])
            encoding_started = time.perf_counter()
            data = encode_mp3(pcm, sample_rate, bit_rate=bit_rate)
            finished = time.perf_counter()
            synthesis_seconds += encoding_started - started
            encoding_seconds += finished - encoding_started
            samples, _rate = _samples(data)
            _write_piece(path, data)
            synthesized += 1
        else:
            data, samples = cached
        pieces.append(data)
        position += samples

    mp3 = b"".join(pieces)
    return Rendering(
        mp3=mp3,
        duration=position / sample_rate,
        starts=starts,
        synthesized=synthesized,
        content_hash=hashlib.sha256(mp3).hexdigest(),
        synthesis_seconds=synthesis_seconds,
        encoding_seconds=encoding_seconds,
    )


def prune_cache(cache_dir: Path, older_than_days: float) -> int:
    """Delete cached pieces not used for `older_than_days` days; how many were deleted.

    "Used" means read or written by render (reads refresh a piece's time at most every six
    hours). Also removes temporary files left by an interrupted write and empty folders.
    """
    if not cache_dir.is_dir():
        return 0
    cutoff = time.time() - older_than_days * 86400
    removed = 0
    for folder in cache_dir.iterdir():
        if not folder.is_dir() or len(folder.name) != 2:
            continue
        for entry in folder.iterdir():
            if not (entry.name.endswith(".mp3") or entry.name.endswith(".tmp")):
                continue
            with contextlib.suppress(OSError):
                if entry.stat().st_mtime < cutoff:
                    entry.unlink()
                    removed += 1
        with contextlib.suppress(OSError):
            folder.rmdir()  # only succeeds when empty
    return removed
