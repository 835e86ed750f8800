"""Property-based tests of the image container parser (images/containers.py), which reads
untrusted uploads before Pillow does: whatever the bytes, it answers a layout or `Malformed`,
never another exception and never a layout that points outside the file; a real picture with
a trailer keeps its layout; stripping metadata keeps every pixel and drops the text. Pure: no
database.
"""

import io

import pytest
from hypothesis import given
from hypothesis import strategies as st
from PIL import Image, PngImagePlugin

from newsdesk.images import containers
from newsdesk.images.containers import JPEG, PNG, WEBP, Malformed
from tests.fuzzing import FUZZ

KINDS = [JPEG, PNG, WEBP]
PREFIXES = {
    JPEG: b"\xff\xd8\xff",
    PNG: containers.PNG_SIGNATURE,
    WEBP: b"RIFF\x00\x00\x00\x00WEBP",
}
MARK = b"HIDDEN-METADATA-MARK"


def encode(kind, width=5, height=3, text=MARK, lossless=False):
    """A small real file of `kind`, carrying `text` where that format keeps metadata."""
    picture = Image.new("RGB", (width, height))
    picture.putdata(
        [(x * 40 % 256, y * 80 % 256, 120) for y in range(height) for x in range(width)]
    )
    exif = Image.Exif()
    exif[0x010E] = text.decode("latin-1")  # ImageDescription
    out = io.BytesIO()
    if kind == PNG:
        info = PngImagePlugin.PngInfo()
        info.add_text("Comment", text.decode("latin-1"))
        info.add_text("Compressed", text.decode("latin-1"), zip=True)
        picture.save(out, "PNG", pnginfo=info)
    elif kind == JPEG:
        picture.save(out, "JPEG", exif=exif, comment=text, quality=90)
    else:
        picture.save(out, "WEBP", exif=exif, lossless=lossless)
    return out.getvalue()


SEEDS = {kind: encode(kind) for kind in KINDS}


def check_layout(data, kind):
    """The parser's answer, checked for sense; None when it says the file is malformed."""
    try:
        found = containers.layout(data, kind)
    except Malformed:
        return None
    assert found.format == kind
    assert 0 < found.end <= len(data)
    assert found.width >= 0 and found.height >= 0
    assert all(isinstance(piece, bytes) for piece in found.metadata)
    return found


def check_strip(data, kind):
    try:
        stripped = containers.strip_metadata(data, kind)
    except Malformed:
        return None
    assert isinstance(stripped, bytes)
    return stripped


def mutate(data, draw):
    """A real file, broken the ways uploads are: cut short, bytes changed, bytes inserted."""
    how = draw(st.sampled_from(["cut", "flip", "insert", "lengths"]))
    at = draw(st.integers(0, len(data)))
    if how == "cut":
        return data[:at]
    if how == "flip":
        value = draw(st.integers(0, 255))
        return data[:at] + bytes([value]) + data[at + 1 :]
    if how == "insert":
        return data[:at] + draw(st.binary(min_size=1, max_size=40)) + data[at:]
    # A length field's favourite lies: huge, zero, one short.
    lie = draw(st.sampled_from([b"\xff\xff\xff\xff", b"\x00\x00\x00\x00", b"\x00\x01", b"\xff"]))
    return data[:at] + lie + data[at + len(lie) :]


@st.composite
def broken_files(draw):
    kind = draw(st.sampled_from(KINDS))
    data = SEEDS[kind]
    for _ in range(draw(st.integers(1, 3))):
        data = mutate(data, draw)
    return kind, data


def test_the_seeds_are_what_the_parser_reads():
    """The properties below start from real files the parser reads in full."""
    for kind, data in SEEDS.items():
        found = containers.layout(data, kind)
        assert (found.width, found.height, found.end) == (5, 3, len(data))
        assert any(MARK in piece for piece in found.metadata), kind
        assert containers.sniff(data) == kind


@FUZZ
@given(kind=st.sampled_from(KINDS), prefix=st.booleans(), body=st.binary(max_size=300))
def test_any_bytes_give_a_layout_or_malformed(kind, prefix, body):
    data = (PREFIXES[kind] if prefix else b"") + body
    check_layout(data, kind)
    check_strip(data, kind)


@FUZZ
@given(broken_files())
def test_a_broken_real_file_gives_a_layout_or_malformed(case):
    kind, data = case
    check_layout(data, kind)
    check_strip(data, kind)


@FUZZ
@given(kind=st.sampled_from(KINDS), trailer=st.binary(min_size=1, max_size=200))
def test_a_trailer_leaves_the_picture_where_it_ends(kind, trailer):
    """Whatever follows the picture (a ZIP, an HTML page) is a trailer: the layout ends where
    the picture does, and stripping drops it. A RIFF file's length says where WebP ends."""
    data = SEEDS[kind]
    found = check_layout(data + trailer, kind)
    assert found is not None
    assert (found.width, found.height, found.end) == (5, 3, len(data))
    assert containers.strip_metadata(data + trailer, kind) == containers.strip_metadata(data, kind)


@FUZZ
@given(
    kind=st.sampled_from(KINDS),
    width=st.integers(1, 40),
    height=st.integers(1, 40),
    text=st.binary(min_size=1, max_size=80).map(lambda b: MARK + b.replace(b"\x00", b"")),
)
def test_stripping_keeps_every_pixel_and_drops_the_text(kind, width, height, text):
    data = encode(kind, width, height, text, lossless=True)
    found = containers.layout(data, kind)
    assert (found.width, found.height) == (width, height)
    stripped = containers.strip_metadata(data, kind)
    again = containers.layout(stripped, kind)
    assert (again.width, again.height) == (width, height)
    assert MARK not in stripped
    assert all(MARK not in piece for piece in again.metadata)
    with Image.open(io.BytesIO(data)) as before, Image.open(io.BytesIO(stripped)) as after:
        assert after.size == (width, height)
        assert after.convert("RGB").tobytes() == before.convert("RGB").tobytes()


@pytest.mark.parametrize("kind", KINDS)
def test_a_declared_size_is_read_without_decoding(kind):
    """A flood is refused from its header: the parser reports a size Pillow never decoded."""
    found = containers.layout(encode(kind, 300, 2), kind)
    assert (found.width, found.height) == (300, 2)
