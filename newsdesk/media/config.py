"""Where media lives (NEWSDESK_MEDIA_STORAGE, NEWSDESK_MEDIA_URL) and what each file is.

No Django import: settings.py reads the environment through this module, and the dev
servers (devservers/seaweedfs.py) build the same values. docs/configuration.md is the
reference for the formats:

    NEWSDESK_MEDIA_STORAGE = s3://KEY:SECRET@host[:port]/bucket[/prefix][?region=NAME]
                             s3+http://...   (a plain-HTTP endpoint on a private network)
    NEWSDESK_MEDIA_URL     = /media/  or  https://cdn.example.org/media/

Original images go to a second bucket named `<bucket>-private`, which must never be
readable without the key; renditions and narration go to `<bucket>`, which readers (or the
CDN in front of it) may read.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from posixpath import splitext
from urllib.parse import parse_qsl, unquote, urlsplit

PRIVATE_SUFFIX = "-private"
PRIVATE_FOLDERS = ("original_images/", "wagtail_uploads/")
"""Folders whose files readers never get: originals (the full frame, before cropping) and
Wagtail's half-finished uploads."""
IMMUTABLE_FOLDERS = ("narration/",)
"""Folders whose file names are content hashes: a name never gets other bytes."""
IMMUTABLE = "public, max-age=31536000, immutable"
CONTENT_TYPES = {
    ".mp3": "audio/mpeg",
    ".webp": "image/webp",
    ".avif": "image/avif",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".png": "image/png",
}
"""Types stored with (and sent for) media files; the platform's mimetypes table may lack
some or get them wrong."""
DEFAULT_REGION = "us-east-1"
DEFAULT_MEDIA_URL = "/media/"
_BUCKET = re.compile(r"^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$")
_PREFIX_PART = re.compile(r"^[A-Za-z0-9._-]+$")


class MediaConfigError(ValueError):
    """A malformed setting; the message names the setting and never holds the secret."""


@dataclass(frozen=True)
class S3Location:
    """The buckets behind NEWSDESK_MEDIA_STORAGE."""

    endpoint_url: str
    """http(s)://host:port, without the bucket."""
    access_key: str
    secret_key: str = field(repr=False)
    bucket: str
    prefix: str = ""
    """Keys start with `prefix/` when set, so that several sites (or tests) share buckets."""
    region: str = DEFAULT_REGION

    @property
    def private_bucket(self) -> str:
        return self.bucket + PRIVATE_SUFFIX

    @property
    def secure(self) -> bool:
        return self.endpoint_url.startswith("https://")

    def masked(self) -> str:
        """The setting as it can be shown in logs and messages: the secret left out."""
        scheme = "s3" if self.secure else "s3+http"
        host = self.endpoint_url.split("://", 1)[1]
        path = "/".join(part for part in (self.bucket, self.prefix) if part)
        return f"{scheme}://{self.access_key}:***@{host}/{path}"

    def storage_options(self) -> dict[str, str]:
        """What newsdesk.media.storage.MediaStorage takes (settings.STORAGES OPTIONS)."""
        return {
            "endpoint_url": self.endpoint_url,
            "access_key": self.access_key,
            "secret_key": self.secret_key,
            "bucket": self.bucket,
            "prefix": self.prefix,
            "region": self.region,
        }


def parse_storage(value: str) -> S3Location | None:
    """None (local files) for an empty value, else the buckets, or MediaConfigError."""
    value = value.strip()
    if not value:
        return None
    scheme, separator, _ = value.partition("://")
    if not separator or scheme.lower() not in ("s3", "s3+http"):
        shown = f"{scheme}://" if separator else "no scheme"
        raise MediaConfigError(
            "NEWSDESK_MEDIA_STORAGE must look like s3://KEY:SECRET@host:port/bucket (HTTPS) or "
            f"s3+http://KEY:SECRET@host:port/bucket (plain HTTP); it has {shown}. "
            "Leave it empty to keep media in local files."
        )
    parts = urlsplit(value)
    shown = _masked_raw(value)
    if not parts.username or parts.password is None or not parts.password:
        raise MediaConfigError(
            f"NEWSDESK_MEDIA_STORAGE ({shown}) needs the access key and secret before the "
            "host: s3://KEY:SECRET@host:port/bucket. Percent-encode / + : @ in them (%2F, "
            "%2B, %3A, %40)."
        )
    try:
        port = parts.port
    except ValueError:
        raise MediaConfigError(
            f"NEWSDESK_MEDIA_STORAGE ({shown}) has a port that is not a number from 1 to 65535."
        ) from None
    if not parts.hostname:
        raise MediaConfigError(f"NEWSDESK_MEDIA_STORAGE ({shown}) has no host name.")
    bucket, prefix = _bucket_and_prefix(parts.path, shown)
    region = _region(parts.query, shown)
    http = "https" if scheme.lower() == "s3" else "http"
    host = f"[{parts.hostname}]" if ":" in parts.hostname else parts.hostname
    endpoint = f"{http}://{host}" + (f":{port}" if port else "")
    return S3Location(
        endpoint_url=endpoint,
        access_key=unquote(parts.username),
        secret_key=unquote(parts.password),
        bucket=bucket,
        prefix=prefix,
        region=region,
    )


def _bucket_and_prefix(path: str, shown: str) -> tuple[str, str]:
    segments = [segment for segment in path.split("/") if segment]
    if not segments:
        raise MediaConfigError(
            f"NEWSDESK_MEDIA_STORAGE ({shown}) names no bucket: add /BUCKET after the host."
        )
    bucket, *prefix = segments
    if not _BUCKET.match(bucket) or ".." in bucket or len(bucket + PRIVATE_SUFFIX) > 63:
        raise MediaConfigError(
            f"NEWSDESK_MEDIA_STORAGE names the bucket {bucket!r}: a bucket name is 3 to 55 "
            "lowercase letters, digits, dots and hyphens (55, so that the private bucket "
            f"{bucket}{PRIVATE_SUFFIX} stays within S3's 63), starting and ending with a "
            "letter or digit."
        )
    for part in prefix:
        if not _PREFIX_PART.match(part) or part in (".", ".."):
            raise MediaConfigError(
                f"NEWSDESK_MEDIA_STORAGE ({shown}) has a key prefix part {part!r}: use "
                "letters, digits, dots, hyphens and underscores."
            )
    return bucket, "/".join(prefix)


def _region(query: str, shown: str) -> str:
    region = DEFAULT_REGION
    for name, value in parse_qsl(query, keep_blank_values=True):
        if name != "region":
            raise MediaConfigError(
                f"NEWSDESK_MEDIA_STORAGE ({shown}) has an unknown option {name!r}; the only "
                "one is ?region=NAME."
            )
        if not re.fullmatch(r"[a-z0-9-]{2,40}", value):
            raise MediaConfigError(
                f"NEWSDESK_MEDIA_STORAGE ({shown}) has region {value!r}; a region looks like "
                "eu-central-1."
            )
        region = value
    return region


def _masked_raw(value: str) -> str:
    """The raw setting with anything between ':' and '@' in its authority hidden."""
    scheme, _, rest = value.partition("://")
    authority, slash, path = rest.partition("/")
    if "@" in authority:
        user, _, host = authority.rpartition("@")
        authority = f"{user.split(':', 1)[0]}:***@{host}"
    return f"{scheme}://{authority}{slash}{path.split('?', 1)[0]}"


def media_url(value: str) -> str:
    """NEWSDESK_MEDIA_URL checked and ending in "/" (Django requires it)."""
    value = value.strip() or DEFAULT_MEDIA_URL
    parts = urlsplit(value)
    absolute = parts.scheme in ("http", "https") and parts.netloc
    if not (absolute or (value.startswith("/") and not value.startswith("//"))):
        raise MediaConfigError(
            f"NEWSDESK_MEDIA_URL is {value!r}: give a path on the site (/media/) or a full "
            "address starting with https:// (a CDN or the bucket)."
        )
    if parts.query or parts.fragment:
        raise MediaConfigError(
            f"NEWSDESK_MEDIA_URL is {value!r}: a base address has no ?query or #fragment."
        )
    return value if value.endswith("/") else value + "/"


def app_media_path(url: str) -> str:
    """The path the app itself serves media on: NEWSDESK_MEDIA_URL when that is a path on the
    site, else /media/ (so a CDN can use the site as its origin)."""
    return url if url.startswith("/") else DEFAULT_MEDIA_URL


def media_origin(url: str) -> str | None:
    """scheme://host[:port] of an absolute media URL (for the CSP), None for a site path."""
    parts = urlsplit(url)
    if parts.scheme and parts.netloc:
        return f"{parts.scheme}://{parts.netloc}"
    return None


# --- What each file is -------------------------------------------------------------------------


def is_private(name: str) -> bool:
    """Originals and half-finished uploads: lower() because some file systems ignore case."""
    return name.lstrip("/").lower().startswith(PRIVATE_FOLDERS)


def content_type(name: str) -> str | None:
    return CONTENT_TYPES.get(splitext(name)[1].lower())


def cache_control(name: str) -> str | None:
    return IMMUTABLE if name.startswith(IMMUTABLE_FOLDERS) else None
