"""Media files with byte ranges: what audio players need to seek, and what Safari needs to play."""

import asyncio
import os
from pathlib import Path

import pytest
from django.test import AsyncClient
from django.utils.http import http_date

from newsdesk.core.ranges import ByteRange, Unsatisfiable, if_range_matches, parse_range

# The view's disk side; tests/test_media_s3.py has its bucket side (the same range logic).
pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("local_media")]

AUDIO = bytes(range(256)) * 40  # 10,240 bytes
SIZE = len(AUDIO)
URL = "/media/narration/0123456789abcdef.mp3"
IMMUTABLE = "public, max-age=31536000, immutable"


# --- Parsing, on its own ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("header", "size", "expected"),
    [
        (None, 100, None),
        ("", 100, None),
        ("bytes=0-9", 100, ByteRange(0, 9)),
        ("bytes=10-", 100, ByteRange(10, 99)),
        ("bytes=-10", 100, ByteRange(90, 99)),
        ("bytes=0-0", 100, ByteRange(0, 0)),
        ("bytes=99-99", 100, ByteRange(99, 99)),
        ("bytes=50-1000", 100, ByteRange(50, 99)),  # the end is clamped to the file
        ("bytes=-1000", 100, ByteRange(0, 99)),  # a suffix longer than the file is all of it
        ("bytes=0-", 100, ByteRange(0, 99)),
        ("Bytes=1-2", 100, ByteRange(1, 2)),  # the unit is case-insensitive
        (" bytes=1-2 ", 100, ByteRange(1, 2)),
        ("bytes=5-2", 100, None),  # last before first: invalid, so ignored
        ("bytes=0-1,5-6", 100, None),  # several ranges: the whole file instead
        ("bytes=-", 100, None),
        ("bytes=a-b", 100, None),
        ("bytes=+1-2", 100, None),
        ("bytes=1_0-20", 100, None),
        ("bytes=١-٢", 100, None),  # Arabic-Indic digits are not HTTP digits
        ("items=0-9", 100, None),
        ("bytes 0-9", 100, None),
        ("bytes=-5", 0, None),  # nothing to take a suffix of: the (empty) whole file
    ],
)
def test_parse_range(header, size, expected):
    assert parse_range(header, size) == expected


@pytest.mark.parametrize(
    ("header", "size"),
    [("bytes=100-", 100), ("bytes=100-200", 100), ("bytes=-0", 100), ("bytes=0-", 0)],
)
def test_unsatisfiable_ranges(header, size):
    with pytest.raises(Unsatisfiable):
        parse_range(header, size)


def test_byte_range_length_and_content_range():
    part = ByteRange(10, 19)
    assert part.length == 10
    assert part.content_range(100) == "bytes 10-19/100"


@pytest.mark.parametrize(
    ("if_range", "matches"),
    [
        (None, True),
        ("Wed, 21 Oct 2015 07:28:00 GMT", True),
        ("Wed, 21 Oct 2015 07:28:01 GMT", False),
        ('"some-etag"', False),
    ],
)
def test_if_range(if_range, matches):
    assert if_range_matches(if_range, "Wed, 21 Oct 2015 07:28:00 GMT") is matches


# --- The media view ------------------------------------------------------------------------


@pytest.fixture
def audio_file(settings):
    path = Path(settings.MEDIA_ROOT) / "narration" / "0123456789abcdef.mp3"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(AUDIO)
    return path


def body(response):
    return b"".join(response.streaming_content) if response.streaming else response.content


def test_whole_file(client, audio_file):
    response = client.get(URL)
    assert response.status_code == 200
    assert body(response) == AUDIO
    assert response["Content-Length"] == str(SIZE)
    assert response["Content-Type"] == "audio/mpeg"
    assert response["Accept-Ranges"] == "bytes"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Cache-Control"] == IMMUTABLE
    assert response["Last-Modified"] == http_date(audio_file.stat().st_mtime)
    assert "Content-Range" not in response


@pytest.mark.parametrize(
    ("header", "start", "end"),
    [
        ("bytes=0-99", 0, 99),
        ("bytes=1000-", 1000, SIZE - 1),
        ("bytes=-300", SIZE - 300, SIZE - 1),
        ("bytes=10000-99999", 10000, SIZE - 1),
    ],
)
def test_one_range(client, audio_file, header, start, end):
    response = client.get(URL, headers={"Range": header})
    assert response.status_code == 206
    assert body(response) == AUDIO[start : end + 1]
    assert response["Content-Range"] == f"bytes {start}-{end}/{SIZE}"
    assert response["Content-Length"] == str(end - start + 1)
    assert response["Content-Type"] == "audio/mpeg"
    assert response["Accept-Ranges"] == "bytes"
    assert response["Cache-Control"] == IMMUTABLE


@pytest.mark.parametrize("header", [f"bytes={SIZE}-", "bytes=20000-30000", "bytes=-0"])
def test_unsatisfiable_range_is_416(client, audio_file, header):
    response = client.get(URL, headers={"Range": header})
    assert response.status_code == 416
    assert response["Content-Range"] == f"bytes */{SIZE}"


@pytest.mark.parametrize("header", ["bytes=0-1,5-6", "bytes=9-3", "lines=1-2"])
def test_ranges_we_do_not_serve_get_the_whole_file(client, audio_file, header):
    response = client.get(URL, headers={"Range": header})
    assert response.status_code == 200
    assert body(response) == AUDIO


def test_if_range_sends_the_range_only_while_the_file_is_unchanged(client, audio_file):
    last_modified = http_date(audio_file.stat().st_mtime)
    same = client.get(URL, headers={"Range": "bytes=0-9", "If-Range": last_modified})
    assert same.status_code == 206
    changed = client.get(
        URL, headers={"Range": "bytes=0-9", "If-Range": http_date(audio_file.stat().st_mtime - 60)}
    )
    assert changed.status_code == 200
    assert body(changed) == AUDIO


def test_if_modified_since_still_answers_304(client, audio_file):
    last_modified = http_date(audio_file.stat().st_mtime)
    response = client.get(URL, headers={"If-Modified-Since": last_modified, "Range": "bytes=0-9"})
    assert response.status_code == 304
    assert response.content == b""
    assert response["Cache-Control"] == IMMUTABLE
    os.utime(audio_file, (audio_file.stat().st_atime, audio_file.stat().st_mtime + 10))
    assert client.get(URL, headers={"If-Modified-Since": last_modified}).status_code == 200


def test_head_has_the_headers_and_no_body(client, audio_file):
    response = client.head(URL)
    assert response.status_code == 200
    assert response["Content-Length"] == str(SIZE)
    assert response["Accept-Ranges"] == "bytes"
    assert response["Content-Type"] == "audio/mpeg"
    assert body(response) == b""


def test_other_methods_are_refused(client, audio_file):
    assert client.post(URL).status_code in (403, 405)  # CSRF may answer first
    assert client.generic("PUT", URL).status_code in (403, 405)


def test_other_media_is_not_marked_immutable(client, settings):
    path = Path(settings.MEDIA_ROOT) / "images" / "photo.jpg"  # a rendition
    path.parent.mkdir(parents=True)
    path.write_bytes(b"\xff\xd8\xff\xe0 not really a jpeg")
    response = client.get("/media/images/photo.jpg")
    assert response.status_code == 200
    assert response["Content-Type"] == "image/jpeg"
    assert response["Accept-Ranges"] == "bytes"
    assert "immutable" not in response.get("Cache-Control", "")


def test_empty_file(client, settings):
    path = Path(settings.MEDIA_ROOT) / "empty.txt"
    path.parent.mkdir(parents=True)
    path.write_bytes(b"")
    response = client.get("/media/empty.txt")
    assert response.status_code == 200
    assert response["Content-Length"] == "0"
    assert client.get("/media/empty.txt", headers={"Range": "bytes=0-"}).status_code == 416


@pytest.mark.parametrize(
    "url",
    [
        "/media/../settings.py",
        "/media/%2e%2e/secret.txt",
        "/media/narration/../../secret.txt",
        "/media//etc/passwd",
        "/media/narration/.0123456789abcdef.mp3.123.tmp",
        "/media/narration/",
        "/media/narration/missing.mp3",
    ],
)
def test_nothing_outside_media_and_no_hidden_files(client, settings, audio_file, url):
    outside = Path(settings.MEDIA_ROOT).parent / "secret.txt"
    outside.write_text("secret")
    hidden = audio_file.parent / ".0123456789abcdef.mp3.123.tmp"
    hidden.write_bytes(b"half written")
    response = client.get(url)
    assert response.status_code == 404
    assert b"secret" not in body(response)


def test_asgi_streams_the_range_from_worker_threads(audio_file):
    """Under ASGI the body is an async iterator: Django would buffer a plain one whole."""

    async def fetch():
        response = await AsyncClient().get(URL, headers={"Range": "bytes=100-199"}, secure=True)
        chunks = [chunk async for chunk in response.streaming_content]
        return response, b"".join(chunks)

    response, content = asyncio.run(fetch())
    assert response.status_code == 206
    assert response.is_async
    assert content == AUDIO[100:200]
