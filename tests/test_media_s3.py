"""Media in S3-compatible object storage, against a real SeaweedFS (tests/s3.py).

The settings' parser on its own; the dev server's identities (anonymous readers get public
objects only); an editor's upload (original to the private bucket, cleaned; renditions to the
public one, on the reader page under NEWSDESK_MEDIA_URL); the app's /media/ view streaming
from the bucket with ranges; narration written to and played from the bucket; feeds and
structured data; and the reader pages' Content-Security-Policy for another media origin.
"""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from bs4 import BeautifulSoup
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from wagtail.images import get_image_model

from newsdesk.media import config
from newsdesk.media.config import MediaConfigError, S3Location
from newsdesk.narration import actions
from newsdesk.narration.models import AudioStatus, Narration
from tests.factories import ensure_site_structure, make_article
from tests.test_uploads import GENERATED_ORIGINAL, add_view, assert_no_location, field_jpeg

ROOT = Path(__file__).resolve().parents[1]
SECRET = "s3cr3t/with+odd:chars"
ENCODED = "s3cr3t%2Fwith%2Bodd%3Achars"

# --- The settings, parsed on their own -----------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (
            f"s3://AKIA1:{ENCODED}@s3.eu-central-1.amazonaws.com/newsroom-media?region=eu-central-1",
            S3Location(
                "https://s3.eu-central-1.amazonaws.com",
                "AKIA1",
                SECRET,
                "newsroom-media",
                "",
                "eu-central-1",
            ),
        ),
        (
            "s3+http://key:secret@10.0.0.5:8333/media",
            S3Location("http://10.0.0.5:8333", "key", "secret", "media"),
        ),
        (
            "S3+HTTP://key:secret@127.0.0.1:9000/media/site-a/2024/",
            S3Location("http://127.0.0.1:9000", "key", "secret", "media", "site-a/2024"),
        ),
        ("", None),
        ("   ", None),
    ],
)
def test_media_storage_values(value, expected):
    assert config.parse_storage(value) == expected


@pytest.mark.parametrize(
    ("value", "words"),
    [
        ("https://key:hunter2x@host/bucket", "must look like s3://KEY:SECRET@host:port/bucket"),
        ("minio://key:hunter2x@host/bucket", "it has minio://"),
        ("key:hunter2x@host/bucket", "it has no scheme"),
        ("s3://host:9000/bucket", "needs the access key and secret"),
        ("s3://key@host:9000/bucket", "needs the access key and secret"),
        ("s3://key:hunter2x@host:99999/bucket", "port that is not a number"),
        ("s3://key:hunter2x@:9000/bucket", "has no host name"),
        ("s3://key:hunter2x@host:9000", "names no bucket"),
        ("s3://key:hunter2x@host:9000/Media_Files", "a bucket name is 3 to 55"),
        ("s3://key:hunter2x@host:9000/" + "b" * 56, "a bucket name is 3 to 55"),
        ("s3://key:hunter2x@host:9000/media/a..b%20c", "key prefix part"),
        ("s3://key:hunter2x@host:9000/media?private=other", "unknown option 'private'"),
        ("s3://key:hunter2x@host:9000/media?region=EU%20West", "has region"),
    ],
)
def test_malformed_media_storage_says_what_is_wrong_and_never_shows_the_secret(value, words):
    with pytest.raises(MediaConfigError) as error:
        config.parse_storage(value)
    assert words in str(error.value)
    assert "hunter2x" not in str(error.value)


def test_the_secret_stays_out_of_repr_and_masked_text():
    location = config.parse_storage(f"s3://AKIA1:{ENCODED}@s3.example.org/media/site")
    assert SECRET not in repr(location) and ENCODED not in repr(location)
    assert location.masked() == "s3://AKIA1:***@s3.example.org/media/site"
    assert location.private_bucket == "media-private"


@pytest.mark.parametrize(
    ("value", "expected", "origin"),
    [
        ("", "/media/", None),
        ("/files", "/files/", None),
        (
            "https://cdn.example.org/media",
            "https://cdn.example.org/media/",
            "https://cdn.example.org",
        ),
        ("http://10.0.0.5:8333/media/", "http://10.0.0.5:8333/media/", "http://10.0.0.5:8333"),
    ],
)
def test_media_url_values(value, expected, origin):
    assert config.media_url(value) == expected
    assert config.media_origin(expected) == origin


@pytest.mark.parametrize("value", ["media/", "//cdn.example.org/media/", "ftp://x/", "/m/?a=1"])
def test_malformed_media_url(value):
    with pytest.raises(MediaConfigError, match="NEWSDESK_MEDIA_URL"):
        config.media_url(value)


@pytest.mark.parametrize(
    ("name", "private", "content_type", "cache_control"),
    [
        ("original_images/ab.jpg", True, "image/jpeg", None),
        ("ORIGINAL_IMAGES/ab.jpg", True, "image/jpeg", None),
        ("wagtail_uploads/raw.png", True, "image/png", None),
        ("images/ab.width-800.webp", False, "image/webp", None),
        ("narration/0123abcd.mp3", False, "audio/mpeg", config.IMMUTABLE),
        ("documents/report.pdf", False, None, None),
    ],
)
def test_what_each_media_file_is(name, private, content_type, cache_control):
    assert config.is_private(name) is private
    assert config.content_type(name) == content_type
    assert config.cache_control(name) == cache_control


def settings_in_a_process(**env):
    """Settings as a fresh process reads them from the environment."""
    code = (
        "import json, django; django.setup(); from django.conf import settings as s; "
        "print(json.dumps({'csp': s.CONTENT_SECURITY_POLICY['DIRECTIVES'], "
        "'admin': s.NEWSDESK_ADMIN_CSP, 'backend': s.STORAGES['default']['BACKEND'], "
        "'media_url': s.MEDIA_URL}))"
    )
    environment = {
        name: value for name, value in os.environ.items() if not name.startswith("NEWSDESK_MEDIA")
    }  # the object-storage run sets them for the whole suite
    environment.update(DJANGO_SETTINGS_MODULE="newsdesk.settings", **env)
    return subprocess.run(
        [sys.executable, "-c", code], env=environment, capture_output=True, text=True, cwd=ROOT
    )


def test_settings_allow_another_media_origin_in_the_csp(tmp_path):
    done = settings_in_a_process(
        NEWSDESK_DATA_DIR=str(tmp_path),
        NEWSDESK_MEDIA_STORAGE="s3://key:secret@s3.example.org/newsroom",
        NEWSDESK_MEDIA_URL="https://cdn.example.org/newsroom",
    )
    assert done.returncode == 0, done.stderr
    found = json.loads(done.stdout)
    assert found["backend"] == "newsdesk.media.storage.MediaStorage"
    assert found["media_url"] == "https://cdn.example.org/newsroom/"
    assert "https://cdn.example.org" in found["csp"]["img-src"]
    assert "https://cdn.example.org" in found["csp"]["media-src"]
    assert "https://cdn.example.org" not in found["csp"]["script-src"]
    assert "img-src 'self' data: blob: https://cdn.example.org;" in found["admin"]


def test_local_files_stay_the_default(tmp_path):
    done = settings_in_a_process(NEWSDESK_DATA_DIR=str(tmp_path))
    found = json.loads(done.stdout)
    assert found["backend"] == "django.core.files.storage.FileSystemStorage"
    assert found["media_url"] == "/media/"
    assert found["csp"]["img-src"] == ["'self'", "data:"]


def test_a_malformed_setting_stops_start_up_without_printing_the_secret(tmp_path):
    done = settings_in_a_process(
        NEWSDESK_DATA_DIR=str(tmp_path),
        NEWSDESK_MEDIA_STORAGE="s3://key:hunter2hunter2@s3.example.org",
    )
    assert done.returncode != 0
    assert "ImproperlyConfigured" in done.stderr and "names no bucket" in done.stderr
    assert "hunter2" not in done.stderr


# --- The dev server: who may read what -----------------------------------------------------------


def test_anonymous_readers_get_public_objects_and_nothing_else(s3_media):
    client = s3_media.client()
    bucket, private = s3_media.location.bucket, s3_media.location.private_bucket
    client.put_object(Bucket=bucket, Key=s3_media.key("images/a.webp"), Body=b"x" * 100)
    client.put_object(Bucket=private, Key=s3_media.key("original_images/a.jpg"), Body=b"y")
    status, _, body = s3_media.anonymous_get("images/a.webp")
    assert (status, body) == (200, b"x" * 100)
    assert s3_media.anonymous_get("original_images/a.jpg", private=True)[0] == 403
    anonymous = s3_media.client(anonymous=True)
    for forbidden in (
        lambda: anonymous.list_objects_v2(Bucket=bucket),
        lambda: anonymous.list_objects_v2(Bucket=private),
        lambda: anonymous.put_object(Bucket=bucket, Key=s3_media.key("x"), Body=b"1"),
        lambda: anonymous.delete_object(Bucket=bucket, Key=s3_media.key("images/a.webp")),
    ):
        with pytest.raises(anonymous.exceptions.ClientError) as error:
            forbidden()
        assert error.value.response["Error"]["Code"] == "AccessDenied"
    assert s3_media.anonymous_get("images/a.webp")[0] == 200  # the delete did nothing


# --- An editor's upload --------------------------------------------------------------------------


@pytest.fixture
def editor(client_for, s3_media):
    ensure_site_structure()
    client, _user = client_for("Editors")
    return client


def rendition_urls(html):
    soup = BeautifulSoup(html, "html.parser")
    found = set()
    for tag in soup.find_all(["img", "source"]):
        for attribute in ("src", "srcset"):
            for part in (tag.get(attribute) or "").split(","):
                if part.strip():
                    found.add(part.split()[0])
    return found


@pytest.mark.django_db
def test_upload_puts_the_clean_original_in_the_private_bucket_and_renditions_in_the_public(
    editor, s3_media, client, settings
):
    settings.MEDIA_URL = s3_media.public_url  # readers fetch media straight from the bucket
    response = add_view(editor, field_jpeg(orientation=6))
    assert response.status_code == 302, response.content.decode()[:2000]
    image = get_image_model().objects.get()
    assert GENERATED_ORIGINAL.match(image.file.name)
    private = s3_media.objects(private=True)
    assert list(private) == [image.file.name]
    assert image.file.name not in s3_media.objects()
    with image.open_file() as opened:
        assert_no_location(opened.read())
    assert not Path(settings.MEDIA_ROOT, "original_images").exists()  # nothing on this disk

    article = make_article("Strike on the substation", hero=False, publish=False)
    article.hero_image = image
    article.hero_alt = "A damaged substation"
    article.save_revision().publish()
    page = client.get(article.url)
    urls = rendition_urls(page.content.decode())
    assert len(urls) >= 2, urls
    for url in urls:
        assert url.startswith(s3_media.public_url), url
        name = url.removeprefix(s3_media.public_url)
        assert name.startswith("images/") and name in s3_media.objects()
        status, headers, body = s3_media.anonymous_get(name)
        assert status == 200, url
        assert headers["Content-Type"] in ("image/webp", "image/jpeg"), headers["Content-Type"]
        assert_no_location(body)
    # The original: refused by the bucket to anyone without the key, and absent from the
    # public bucket, and the app's own /media/ view does not serve it either.
    assert s3_media.anonymous_get(image.file.name, private=True)[0] == 403
    assert s3_media.anonymous_get(image.file.name)[0] in (403, 404)
    assert client.get(f"/media/{image.file.name}").status_code == 404
    assert editor.get(f"/media/{image.file.name}").status_code == 404


# --- The app's /media/ view, streaming from the bucket -------------------------------------------

AUDIO = bytes(range(256)) * 40  # 10,240 bytes
AUDIO_NAME = "narration/0123456789abcdef0123456789abcdef.mp3"


@pytest.mark.django_db
def test_media_view_streams_ranges_from_the_bucket(s3_media, client, settings):
    default_storage.save(AUDIO_NAME, ContentFile(AUDIO))
    assert not Path(settings.MEDIA_ROOT).exists()
    whole = client.get(f"/media/{AUDIO_NAME}")
    assert whole.status_code == 200
    assert b"".join(whole.streaming_content) == AUDIO
    assert whole["Content-Type"] == "audio/mpeg"
    assert whole["Cache-Control"] == config.IMMUTABLE
    part = client.get(f"/media/{AUDIO_NAME}", headers={"Range": "bytes=1000-1099"})
    assert part.status_code == 206
    assert part["Content-Range"] == f"bytes 1000-1099/{len(AUDIO)}"
    assert b"".join(part.streaming_content) == AUDIO[1000:1100]
    tail = client.get(f"/media/{AUDIO_NAME}", headers={"Range": "bytes=-16"})
    assert b"".join(tail.streaming_content) == AUDIO[-16:]
    assert client.get(f"/media/{AUDIO_NAME}", headers={"Range": "bytes=99999-"}).status_code == 416
    assert client.head(f"/media/{AUDIO_NAME}")["Content-Length"] == str(len(AUDIO))
    again = client.get(
        f"/media/{AUDIO_NAME}", headers={"If-Modified-Since": whole["Last-Modified"]}
    )
    assert again.status_code == 304
    assert client.get("/media/narration/missing.mp3").status_code == 404


@pytest.mark.django_db
def test_media_view_answers_503_when_the_bucket_is_down(s3_media, client, settings):
    options = settings.STORAGES["default"]["OPTIONS"]
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            **settings.STORAGES["default"],
            "OPTIONS": {**options, "endpoint_url": "http://127.0.0.1:9"},
        },
    }
    response = client.get(f"/media/{AUDIO_NAME}")
    assert response.status_code == 503
    assert response["Retry-After"] == "5"


# --- Narration -----------------------------------------------------------------------------------


@pytest.mark.django_db
def test_narration_is_written_to_the_bucket_and_plays_from_any_host(
    s3_media, client, settings, tmp_path
):
    settings.DATA_DIR = tmp_path / "worker-host"  # the paragraph cache stays on the worker
    article = make_article("Council approves shelters")
    narration = Narration.objects.get(article=article)
    assert actions.run_job("article", narration.pk) == "ready"
    narration.refresh_from_db()
    assert narration.status == AudioStatus.READY
    assert narration.audio in s3_media.objects()
    assert not Path(settings.MEDIA_ROOT).exists()  # no local copy on the worker
    assert list((tmp_path / "worker-host" / "cache" / "narration").rglob("*.mp3"))

    # Another app host: its own disk is empty, the audio comes from the bucket.
    settings.MEDIA_ROOT = tmp_path / "another-host" / "media"
    size = narration.audio_bytes
    part = client.get(narration.audio_url, headers={"Range": "bytes=0-99"})
    assert part.status_code == 206
    assert part["Content-Range"] == f"bytes 0-99/{size}"
    assert b"".join(part.streaming_content)[:2] in (b"ID", b"\xff\xfb", b"\xff\xf3")
    status, headers, body = s3_media.anonymous_get(
        narration.audio, headers={"Range": "bytes=10-19"}
    )
    assert status == 206 and len(body) == 10
    assert headers["Content-Range"] == f"bytes 10-19/{size}"
    assert headers["Cache-Control"] == config.IMMUTABLE
    assert headers["Content-Type"] == "audio/mpeg"


@pytest.mark.django_db
def test_publish_file_keeps_an_existing_object_and_unused_files_are_deleted(s3_media):
    class Rendering:
        content_hash = "ab" * 32
        mp3 = b"new bytes"

    name = f"narration/{'ab' * 16}.mp3"
    default_storage.save(name, ContentFile(b"what was there"))
    assert actions.publish_file(Rendering) == name
    with default_storage.open(name) as opened:
        assert opened.read() == b"what was there"  # a content-hash name never gets new bytes
    actions.remove_unused_file(name)
    assert name not in s3_media.objects()
    Rendering.content_hash = "cd" * 32
    written = actions.publish_file(Rendering)
    head = s3_media.client().head_object(Bucket=s3_media.location.bucket, Key=s3_media.key(written))
    assert head["ContentType"] == "audio/mpeg" and head["CacheControl"] == config.IMMUTABLE
    assert actions.remove_abandoned_files() == 0  # nothing of the kind in a bucket


@pytest.mark.django_db
@pytest.mark.parametrize("absolute_media", [False, True])
def test_feeds_and_structured_data_give_absolute_audio_addresses(
    s3_media, client, settings, absolute_media
):
    if absolute_media:
        settings.MEDIA_URL = s3_media.public_url
    article = make_article("Grain corridor reopens")
    name = f"narration/{'ef' * 16}.mp3"
    default_storage.save(name, ContentFile(AUDIO))
    Narration.objects.filter(article=article).update(
        status=AudioStatus.READY, audio=name, audio_bytes=len(AUDIO), duration=12.5
    )
    expected = (
        s3_media.public_url if absolute_media else settings.NEWSDESK_BASE_URL + "/media/"
    ) + name
    podcast = client.get("/feeds/podcast.xml").content.decode()
    assert f'url="{expected}"' in podcast
    page = client.get(article.url).content.decode()
    soup = BeautifulSoup(page, "html.parser")
    data = json.loads(soup.find("script", type="application/ld+json").string)
    items = data if isinstance(data, list) else data.get("@graph", [data])
    audio = next(item["audio"] for item in items if "audio" in item)
    assert audio["contentUrl"] == expected
    player = soup.find("audio")
    assert player["src"] == (expected if absolute_media else "/media/" + name)
    if absolute_media:  # what readers' browsers fetch must be readable without a key
        status, _, body = s3_media.anonymous_get(name)
        assert status == 200 and body == AUDIO
