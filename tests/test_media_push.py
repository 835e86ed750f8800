"""`newsdesk media push`: a disk site's media into the buckets of a real SeaweedFS
(tests/s3.py), verified, idempotent, with clear refusals."""

import hashlib
import io
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from wagtail.images import get_image_model

from tests.factories import make_image

LOCAL = {"BACKEND": "django.core.files.storage.FileSystemStorage"}


def digest(data):
    return hashlib.sha256(data).hexdigest()


def disk_site(settings):
    """A site whose media is on disk: an image with renditions, an MP3, a half-written MP3."""
    settings.STORAGES = {**settings.STORAGES, "default": LOCAL}
    image = make_image("Substation")
    image.get_rendition("width-400|format-webp")
    media = Path(settings.MEDIA_ROOT)
    (media / "narration").mkdir(parents=True, exist_ok=True)
    (media / "narration" / "abc.mp3").write_bytes(b"ID3" + bytes(range(256)) * 40)
    (media / "narration" / ".abc.mp3.99.tmp").write_bytes(b"half")
    return {
        path.relative_to(media).as_posix(): digest(path.read_bytes())
        for path in media.rglob("*")
        if path.is_file() and not path.name.endswith(".tmp")
    }


def bucket_digests(s3_media, *, private=False):
    client, bucket = (
        s3_media.client(),
        (s3_media.location.private_bucket if private else s3_media.location.bucket),
    )
    found = {}
    for name in s3_media.objects(private=private):
        body = client.get_object(Bucket=bucket, Key=s3_media.key(name))["Body"].read()
        found[name] = digest(body)
    return found


# --- newsdesk media push -------------------------------------------------------------------------


@pytest.mark.django_db
def test_media_push_moves_a_disk_site_into_the_buckets_and_is_idempotent(settings, request):
    on_disk = disk_site(settings)
    assert len(on_disk) == 3  # the original, a rendition, the MP3 (not the .tmp)
    s3_media = request.getfixturevalue("s3_media")
    out = io.StringIO()
    call_command("media", "push", stdout=out)
    text = out.getvalue()
    assert "3 uploaded" in text and "0 already there, 0 failed" in text
    assert "3/3 files" in text  # the progress line
    public, private = bucket_digests(s3_media), bucket_digests(s3_media, private=True)
    assert {**public, **private} == on_disk
    assert all(name.startswith("original_images/") for name in private) and len(private) == 1
    head = s3_media.client().head_object(
        Bucket=s3_media.location.bucket, Key=s3_media.key("narration/abc.mp3")
    )
    assert head["Metadata"]["sha256"] == on_disk["narration/abc.mp3"]
    assert head["ContentType"] == "audio/mpeg"

    again = io.StringIO()
    call_command("media", "push", stdout=again)
    assert "0 uploaded" in again.getvalue() and "3 already there" in again.getvalue()

    # An object with other bytes under the same name is replaced; a dry run only counts.
    s3_media.client().put_object(
        Bucket=s3_media.location.bucket, Key=s3_media.key("narration/abc.mp3"), Body=b"wrong"
    )
    dry = io.StringIO()
    call_command("media", "push", "--dry-run", stdout=dry)
    assert "1 would upload" in dry.getvalue()
    assert bucket_digests(s3_media)["narration/abc.mp3"] == digest(b"wrong")
    call_command("media", "push", stdout=io.StringIO())
    assert bucket_digests(s3_media)["narration/abc.mp3"] == on_disk["narration/abc.mp3"]

    # The site now serves its media from the bucket.
    image = get_image_model().objects.get()
    rendition = image.renditions.get()
    response = request.getfixturevalue("client").get(rendition.url)
    assert response.status_code == 200
    assert digest(b"".join(response.streaming_content)) == on_disk[rendition.file.name]


def test_media_push_says_what_is_missing(settings, local_media):
    with pytest.raises(CommandError, match="NEWSDESK_MEDIA_STORAGE is not set"):
        call_command("media", "push", stdout=io.StringIO())


def test_media_push_names_an_unreachable_store(s3_media, settings):
    options = settings.STORAGES["default"]["OPTIONS"]
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            **settings.STORAGES["default"],
            "OPTIONS": {**options, "endpoint_url": "http://127.0.0.1:9"},
        },
    }
    Path(settings.MEDIA_ROOT).mkdir(parents=True)
    with pytest.raises(CommandError, match="cannot be reached.*Nothing was uploaded"):
        call_command("media", "push", stdout=io.StringIO())


def test_media_push_refuses_a_wrong_secret(s3_media, settings):
    options = settings.STORAGES["default"]["OPTIONS"]
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            **settings.STORAGES["default"],
            "OPTIONS": {**options, "secret_key": "not-the-secret"},
        },
    }
    Path(settings.MEDIA_ROOT).mkdir(parents=True)
    with pytest.raises(CommandError, match="refused the key"):
        call_command("media", "push", stdout=io.StringIO())
