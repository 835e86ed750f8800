"""Media in S3-compatible object storage: two buckets behind one Django storage.

`MediaStorage` is STORAGES["default"] when NEWSDESK_MEDIA_STORAGE is set (settings.py). It
routes every name by its folder (config.is_private): originals and Wagtail's half-finished
uploads to `<bucket>-private`, everything else (renditions, narration) to `<bucket>`. So the
image model, Wagtail, the importer, the demo and `clean_images` use ordinary storage calls
and cannot put an original where readers can fetch it.

Each object is stored with the Content-Type and Cache-Control the app's own /media/ view
sends (config.content_type, config.cache_control), so a reader, a CDN or nginx fetching
straight from the bucket gets the same answer. URLs are NEWSDESK_MEDIA_URL + name: the
storage never signs URLs, as public media must be cacheable by anyone.
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime

from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError
from django.conf import settings
from django.core.files.storage import Storage, default_storage
from django.utils.deconstruct import deconstructible
from django.utils.encoding import filepath_to_uri
from storages.backends.s3 import S3Storage

from newsdesk.media import config

CHUNK = 256 * 1024


class BucketUnavailable(Exception):
    """The bucket could not be reached or refused the key; the message says what to check."""


def client_config() -> Config:
    return Config(
        s3={"addressing_style": "path"},  # bucket in the path: works for any host name
        signature_version="s3v4",
        retries={"max_attempts": 3, "mode": "standard"},
        connect_timeout=5,
        read_timeout=60,
        # boto3 (1.36+) adds CRC checksums that several S3-compatible servers refuse; ask
        # for them only where the API requires them.
        request_checksum_calculation="when_required",
        response_checksum_validation="when_required",
    )


class BucketStorage(S3Storage):
    """One bucket, storing each object with Newsdesk's Content-Type and Cache-Control."""

    def get_object_parameters(self, name):
        params = super().get_object_parameters(name)
        relative = name.removeprefix(f"{self.location}/") if self.location else name
        if content_type := config.content_type(relative):
            params["ContentType"] = content_type
        if cache_control := config.cache_control(relative):
            params["CacheControl"] = cache_control
        return params

    def key(self, name: str) -> str:
        return f"{self.location}/{name}" if self.location else name

    @property
    def client(self):
        return self.connection.meta.client


@dataclass(frozen=True)
class ObjectInfo:
    name: str
    """The storage name (the key without the prefix)."""
    size: int
    etag: str
    modified: datetime
    private: bool


@deconstructible
class MediaStorage(Storage):
    """The public and the private bucket as one storage (see the module docstring)."""

    def __init__(self, *, endpoint_url, access_key, secret_key, bucket, prefix="", region=""):
        common = {
            "endpoint_url": endpoint_url,
            "access_key": access_key,
            "secret_key": secret_key,
            "region_name": region or config.DEFAULT_REGION,
            "location": prefix,
            "client_config": client_config(),
            "querystring_auth": False,
            "file_overwrite": False,  # as on disk: a taken name gets another one
            "default_acl": None,  # access is the buckets' policy, not per object
        }
        self.public = BucketStorage(bucket_name=bucket, **common)
        self.private = BucketStorage(bucket_name=bucket + config.PRIVATE_SUFFIX, **common)
        self.endpoint_url = endpoint_url
        self.prefix = prefix

    def bucket_for(self, name: str) -> BucketStorage:
        return self.private if config.is_private(name) else self.public

    def describe(self) -> str:
        where = f"{self.endpoint_url}/{self.public.bucket_name}"
        return where + (f"/{self.prefix}" if self.prefix else "")

    # --- Django's Storage API, routed by name ------------------------------------------------

    def _open(self, name, mode="rb"):
        return self.bucket_for(name)._open(name, mode)

    def _save(self, name, content):
        return self.bucket_for(name)._save(name, content)

    def delete(self, name):
        self.bucket_for(name).delete(name)

    def exists(self, name):
        return self.bucket_for(name).exists(name)

    def size(self, name):
        return self.bucket_for(name).size(name)

    def get_modified_time(self, name):
        return self.bucket_for(name).get_modified_time(name)

    def listdir(self, path):
        if path.strip("/"):
            return self.bucket_for(path.rstrip("/") + "/").listdir(path)
        public_dirs, public_files = self.public.listdir(path)
        private_dirs, private_files = self.private.listdir(path)
        return sorted(set(public_dirs) | set(private_dirs)), public_files + private_files

    def url(self, name):
        return settings.MEDIA_URL + filepath_to_uri(name).lstrip("/")

    # --- What the view, backup, mirror and push need -----------------------------------------

    def head(self, name: str) -> dict | None:
        """The object's metadata (HeadObject), or None when it does not exist."""
        bucket = self.bucket_for(name)
        try:
            return bucket.client.head_object(Bucket=bucket.bucket_name, Key=bucket.key(name))
        except ClientError as error:
            if _status(error) == 404:
                return None
            raise

    def read_range(self, name: str, start: int, end: int) -> Iterator[bytes]:
        """Bytes start..end (inclusive) of the object, a chunk at a time."""
        bucket = self.bucket_for(name)
        answer = bucket.client.get_object(
            Bucket=bucket.bucket_name, Key=bucket.key(name), Range=f"bytes={start}-{end}"
        )
        body = answer["Body"]
        try:
            yield from body.iter_chunks(CHUNK)
        finally:
            body.close()

    def stream(self, name: str):
        """The whole object as a file-like body to read() from (close it when done)."""
        bucket = self.bucket_for(name)
        return bucket.client.get_object(Bucket=bucket.bucket_name, Key=bucket.key(name))["Body"]

    def put(self, name: str, data, *, sha256: str, size: int) -> None:
        """Store `data` (a seekable file open for reading) under exactly `name`, overwriting.

        The object carries its SHA-256 in its metadata (media push compares it), and the
        request its MD5 (Content-MD5), so the server refuses bytes that changed on the way.
        """
        md5 = hashlib.md5(usedforsecurity=False)
        data.seek(0)
        for chunk in iter(lambda: data.read(CHUNK), b""):
            md5.update(chunk)
        data.seek(0)
        bucket = self.bucket_for(name)
        params = bucket._get_write_parameters(bucket.key(name))
        params["Metadata"] = {"sha256": sha256}
        bucket.client.put_object(
            Bucket=bucket.bucket_name,
            Key=bucket.key(name),
            Body=data,
            ContentLength=size,
            ContentMD5=base64.b64encode(md5.digest()).decode(),
            **params,
        )

    def delete_many(self, names) -> None:
        """Delete objects by storage name, a thousand per request."""
        by_bucket: dict[str, list[str]] = {}
        for name in names:
            by_bucket.setdefault(self.bucket_for(name).bucket_name, []).append(name)
        for bucket in (self.public, self.private):
            keys = [bucket.key(name) for name in by_bucket.get(bucket.bucket_name, [])]
            for start in range(0, len(keys), 1000):
                batch = [{"Key": key} for key in keys[start : start + 1000]]
                bucket.client.delete_objects(
                    Bucket=bucket.bucket_name, Delete={"Objects": batch, "Quiet": True}
                )

    def objects(self, *, include_private: bool = True) -> Iterator[ObjectInfo]:
        """Every object under the prefix, public bucket first, each bucket sorted by key."""
        for bucket in (self.public, self.private) if include_private else (self.public,):
            prefix = f"{bucket.location}/" if bucket.location else ""
            pages = bucket.client.get_paginator("list_objects_v2").paginate(
                Bucket=bucket.bucket_name, Prefix=prefix
            )
            for page in pages:
                for entry in page.get("Contents", ()):
                    name = entry["Key"][len(prefix) :]
                    if not name or name.endswith("/"):
                        continue
                    yield ObjectInfo(
                        name=name,
                        size=entry["Size"],
                        etag=entry.get("ETag", "").strip('"'),
                        modified=entry["LastModified"],
                        private=bucket is self.private,
                    )

    def check(self) -> None:
        """Raise BucketUnavailable unless both buckets answer to the key."""
        for bucket in (self.public, self.private):
            try:
                bucket.client.head_bucket(Bucket=bucket.bucket_name)
            except ClientError as error:
                status = _status(error)
                if status == 404:
                    raise BucketUnavailable(
                        f"The bucket {bucket.bucket_name} does not exist at "
                        f"{self.endpoint_url}: create it (docs/operations.md#media-in-object-"
                        "storage)."
                    ) from None
                raise BucketUnavailable(
                    f"The bucket {bucket.bucket_name} at {self.endpoint_url} refused the key "
                    f"(HTTP {status}): check the key and secret in NEWSDESK_MEDIA_STORAGE and "
                    "the key's access to both buckets."
                ) from None
            except BotoCoreError as error:
                raise BucketUnavailable(
                    f"The object storage at {self.endpoint_url} cannot be reached ({error}). "
                    "Is it running, and is NEWSDESK_MEDIA_STORAGE's host and port right?"
                ) from None


def _status(error: ClientError) -> int:
    return int(error.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0))


def bucket_storage() -> MediaStorage | None:
    """The media storage when media is in buckets, None when it is in local files."""
    # isinstance sees through the lazy default_storage (LazyObject proxies __class__).
    return default_storage if isinstance(default_storage, MediaStorage) else None  # type: ignore[return-value]
