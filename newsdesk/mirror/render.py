"""Fetching the site in-process, as an anonymous reader would see it over HTTPS.

Pages go through the whole Django stack with the test client (middleware, Wagtail routing,
templates), on the public host name from NEWSDESK_BASE_URL, so they are byte for byte what the
site serves. Static and media files are read from where Django keeps them instead (the disk,
or the public bucket when media is in object storage): there may be tens of thousands of
image renditions and audio files, and their size and modification time (in a bucket: size
and ETag) are enough to know whether a copy is current.
"""

from __future__ import annotations

import contextlib
import logging
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from django.conf import settings
from django.contrib.staticfiles import finders
from django.contrib.staticfiles.storage import staticfiles_storage
from django.core.files.storage import default_storage
from django.test import Client, override_settings
from django.utils import formats, timezone, translation
from django.utils.encoding import iri_to_uri
from django.utils.html import format_html
from django.utils.translation import gettext as _

from newsdesk.live.models import zone_label
from newsdesk.media.config import app_media_path, is_private
from newsdesk.media.storage import ObjectInfo, bucket_storage
from newsdesk.mirror import store

REDIRECTS = (301, 302, 303, 307, 308)
SERVES_STATIC_FILES = frozenset({"servestatic.middleware.ServeStaticMiddleware"})
"""Middleware the mirror leaves out of its requests (Reader.session says why)."""
CONDITIONAL = {"etag": "If-None-Match", "last_modified": "If-Modified-Since"}


@dataclass
class Response:
    status: int
    content_type: str = ""
    body: bytes = b""
    location: str = ""
    etag: str | None = None
    last_modified: str | None = None

    @property
    def text(self) -> str:
        charset = "utf-8"
        for parameter in self.content_type.split(";")[1:]:
            name, _, value = parameter.strip().partition("=")
            if name.lower() == "charset" and value:
                charset = value.strip('"')
        return self.body.decode(charset, errors="replace")

    @property
    def kind(self) -> str:
        """ "html", "css", "text" (feeds, sitemaps, robots.txt: read for what they mention),
        "stream" (an event stream: never copied) or "binary"."""
        media_type = self.content_type.split(";")[0].strip().lower()
        if media_type in ("text/html", "application/xhtml+xml"):
            return "html"
        if media_type == "text/css":
            return "css"
        if media_type == "text/event-stream":
            return "stream"
        if media_type.startswith("text/") or "xml" in media_type or "json" in media_type:
            return "text"
        return "binary"


class Reader:
    """An anonymous reader of the public site, fetching in-process."""

    def __init__(self, base_url: str):
        self.host = urlsplit(base_url).netloc
        self.client = Client(raise_request_exception=False, HTTP_HOST=self.host)

    @contextlib.contextmanager
    def session(self) -> Iterator[None]:
        """Accept the public host name, and keep expected 404s (optional feeds) out of the log.

        Without the static-file middleware: the mirror copies static files from where they
        are kept (FileSources) and never asks Django for one, and that middleware is
        async-only, so on the test client's synchronous path every page went through an
        event loop and back (async_to_sync, then sync_to_async for the rest of the chain):
        3-4 ms of CPU a page, more than a render from stored parts (2.2 ms without it)."""
        hostname = urlsplit("//" + self.host).hostname or self.host
        request_log = logging.getLogger("django.request")
        level = request_log.level
        request_log.setLevel(logging.ERROR)
        middleware = [name for name in settings.MIDDLEWARE if name not in SERVES_STATIC_FILES]
        try:
            with (
                override_settings(
                    ALLOWED_HOSTS=[*settings.ALLOWED_HOSTS, hostname], MIDDLEWARE=middleware
                ),
                translation.override(settings.LANGUAGE_CODE),
            ):
                yield
        finally:
            request_log.setLevel(level)

    def get(self, url: str, validators: dict[str, str | None] | None = None) -> Response:
        headers = {
            header: value
            for key, header in CONDITIONAL.items()
            if (value := (validators or {}).get(key))
        }
        response = self.client.get(iri_to_uri(url), secure=True, headers=headers)
        content_type = response.get("Content-Type", "")
        found = Response(
            status=response.status_code,
            content_type=content_type,
            location=response.get("Location", ""),
            etag=response.get("ETag"),
            last_modified=response.get("Last-Modified"),
        )
        if content_type.startswith("text/event-stream"):
            response.close()  # an endless stream: never read it
        elif response.streaming:
            found.body = b"".join(response.streaming_content)
            response.close()
        else:
            found.body = response.content
        return found


class LocalFile:
    """A static or media file on disk."""

    def __init__(self, path: Path):
        self.path = path

    def stamp(self) -> str | None:
        """What says the file changed (size and modification time), None when it is gone."""
        try:
            stat = self.path.stat()
        except FileNotFoundError:
            return None
        return f"{stat.st_size}:{stat.st_mtime_ns}"

    def read_bytes(self) -> bytes:
        return self.path.read_bytes()

    def sha256(self) -> str:
        return store.sha256_file(self.path)

    def copy_to(self, target: Path) -> None:
        shutil.copyfile(self.path, target)


class BucketFile:
    """A media object in the public bucket; read once, when the copy needs its bytes."""

    def __init__(self, storage, info):
        self.storage = storage
        self.info = info
        self._data: bytes | None = None

    def stamp(self) -> str:
        return f"{self.info.size}:{self.info.etag}"

    def read_bytes(self) -> bytes:
        if self._data is None:
            with self.storage.open(self.info.name, "rb") as opened:
                self._data = opened.read()
        return self._data

    def sha256(self) -> str:
        return store.sha256_bytes(self.read_bytes())

    def copy_to(self, target: Path) -> None:
        target.write_bytes(self.read_bytes())


class FileSources:
    """Finds the file behind a static or media URL, on disk or in the bucket.

    The bucket is listed once per run (a thousand objects per request) rather than asked
    about each file: a mirror checks every rendition and narration file its pages use. Only
    a name the listing lacks (a rendition made during the run) is asked about on its own.
    """

    def __init__(self):
        self._bucket: dict[str, object] | None = None

    def find(self, url: str) -> LocalFile | BucketFile | None:
        media_path = app_media_path(settings.MEDIA_URL)
        for prefix, storage in ((settings.STATIC_URL, staticfiles_storage), (media_path, None)):
            if not prefix.startswith("/") or not url.startswith(prefix):
                continue
            name = url[len(prefix) :]
            if storage is None:
                if is_private(name):
                    return None  # never copied: fetched like a page, it is a 404 (a broken link)
                return self._media(name)
            found = _storage_path(storage, name)
            if found is None or not found.is_file():
                located = finders.find(name)
                found = Path(located) if isinstance(located, str) else None
            return LocalFile(found) if found is not None else None
        return None

    def _media(self, name: str) -> LocalFile | BucketFile | None:
        storage = bucket_storage()
        if storage is None:
            found = _storage_path(default_storage, name)
            return LocalFile(found) if found is not None else None
        if self._bucket is None:
            self._bucket = {info.name: info for info in storage.objects(include_private=False)}
        info = self._bucket.get(name)
        if info is None:
            # Made since the listing: pages render their image sizes as the crawl goes.
            head = storage.head(name)
            if head is None:
                return None
            info = ObjectInfo(
                name=name,
                size=head["ContentLength"],
                etag=head.get("ETag", "").strip('"'),
                modified=head["LastModified"],
                private=False,
            )
            self._bucket[name] = info
        return BucketFile(storage, info)


def source_file(url: str) -> LocalFile | BucketFile | None:
    """The file behind one static or media URL (FileSources.find, without its listing cache)."""
    return FileSources().find(url)


def is_file_url(url: str) -> bool:
    """Static and media URLs: copied from disk or the bucket, not rendered."""
    return any(
        prefix.startswith("/") and url.startswith(prefix)
        for prefix in (settings.STATIC_URL, app_media_path(settings.MEDIA_URL))
    )


def _storage_path(storage, name: str) -> Path | None:
    try:
        return Path(storage.path(name))
    except Exception:  # noqa: BLE001 - bad names have no path
        return None


def moved_page(href: str) -> bytes:
    """What a redirect becomes in a static copy: a page that sends the browser on."""
    return format_html(
        '<!doctype html>\n<meta charset="utf-8">\n<title>Moved</title>\n'
        '<meta http-equiv="refresh" content="0; url={}">\n'
        '<p>This page has moved: <a href="{}">{}</a></p>\n',
        href,
        href,
        href,
    ).encode()


NOTE_TIME = "\x00taken-at\x00"
"""Stands in for the time in the snapshot note until the page is known to have changed."""


def snapshot_note() -> str:
    """The note at the top of a copied live page, with a placeholder for the time."""
    return format_html(
        '<p class="corrections mirror-note" role="note">{}</p>',
        _("This is a copy of the live page taken at %(time)s; it does not update.")
        % {"time": NOTE_TIME},
    )


def taken_at(moment=None) -> str:
    """The time for the note, as the page writes times, in the newsroom's zone."""
    local = timezone.localtime(moment)
    return format_html(
        '<time datetime="{}" data-time="long">{}</time>, {}',
        local.isoformat(timespec="seconds"),
        formats.date_format(local, "DATETIME_FORMAT"),
        zone_label(local),
    )
