"""Media in a real SeaweedFS for tests: one server per session, a key prefix per test.

The server is started by the `seaweedfs` fixture (devservers/seaweedfs.py), or is the run's
own when scripts/test.sh runs the suite with NEWSDESK_MEDIA_STORAGE set (the "media in object
storage" topology). Each test gets keys under a prefix of its own in both buckets, so tests
see only their own objects and nothing needs deleting between them.
"""

from __future__ import annotations

import urllib.error
import urllib.request
import uuid
from dataclasses import dataclass

import boto3
import botocore
from botocore.config import Config

from newsdesk.media.config import S3Location

BACKEND = "newsdesk.media.storage.MediaStorage"


@dataclass
class TestBuckets:
    location: S3Location
    """The run's buckets, with this test's prefix."""
    base: S3Location
    """The run's buckets as configured (use_buckets(settings, base) gives another prefix)."""

    @property
    def public_url(self) -> str:
        """Where anonymous readers fetch public objects: the bucket itself."""
        return f"{self.location.endpoint_url}/{self.location.bucket}/{self.location.prefix}/"

    def key(self, name: str) -> str:
        return f"{self.location.prefix}/{name}"

    def client(self, *, anonymous: bool = False):
        options = {"s3": {"addressing_style": "path"}}
        if anonymous:
            options["signature_version"] = botocore.UNSIGNED
        return boto3.client(
            "s3",
            endpoint_url=self.location.endpoint_url,
            aws_access_key_id=self.location.access_key,
            aws_secret_access_key=self.location.secret_key,
            region_name=self.location.region,
            config=Config(**options),
        )

    def objects(self, *, private: bool = False) -> dict[str, int]:
        """{storage name: size} of this test's objects in one bucket."""
        bucket = self.location.private_bucket if private else self.location.bucket
        found = {}
        pages = self.client().get_paginator("list_objects_v2")
        for page in pages.paginate(Bucket=bucket, Prefix=self.location.prefix + "/"):
            for entry in page.get("Contents", ()):
                found[entry["Key"].removeprefix(self.location.prefix + "/")] = entry["Size"]
        return found

    def anonymous_get(self, name: str, *, private: bool = False, headers=None):
        """(status, headers, body) of a plain HTTP GET straight at the bucket, no key."""
        bucket = self.location.private_bucket if private else self.location.bucket
        url = f"{self.location.endpoint_url}/{bucket}/{self.key(name)}"
        request = urllib.request.Request(url, headers=headers or {})
        try:
            with urllib.request.urlopen(request, timeout=10) as response:
                return response.status, response.headers, response.read()
        except urllib.error.HTTPError as error:
            return error.code, error.headers, error.read()


def location_of(server) -> S3Location:
    return S3Location(
        endpoint_url=server.endpoint_url,
        access_key=server.access_key,
        secret_key=server.secret_key,
        bucket=server.bucket,
    )


def use_buckets(settings, base: S3Location) -> TestBuckets:
    """Point default storage at `base`'s buckets under a fresh prefix; MEDIA_URL stays."""
    prefix = "/".join(part for part in (base.prefix, f"t-{uuid.uuid4().hex[:12]}") if part)
    location = S3Location(
        endpoint_url=base.endpoint_url,
        access_key=base.access_key,
        secret_key=base.secret_key,
        bucket=base.bucket,
        prefix=prefix,
        region=base.region,
    )
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {"BACKEND": BACKEND, "OPTIONS": location.storage_options()},
    }
    return TestBuckets(location, base)
