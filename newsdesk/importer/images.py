"""Pictures for imported stories, fetched only when asked (--fetch-images) and only from
places the operator trusts: files under the source file's own folder (including an "uploads"
copy of WordPress's wp-content/uploads), or http(s) hosts named with --allow-image-host.
Anything else is skipped with a warning, never fetched."""

import hashlib
import urllib.request
from pathlib import Path
from urllib.parse import unquote, urlsplit

from django.conf import settings
from wagtail.images import get_image_model

from newsdesk.images import uploads
from newsdesk.importer.data import Image

TIMEOUT_SECONDS = 20


def _max_bytes() -> int:
    """The upload limit (NEWSDESK_IMAGE_MAX_MB): nothing larger is read into memory."""
    return settings.WAGTAILIMAGES_MAX_UPLOAD_SIZE


class ImageSkipped(Exception):
    """Why an image was not fetched; the story imports without it."""


def read_image(image: Image, base_dir: Path, allowed_hosts: frozenset[str]) -> tuple[bytes, str]:
    """The image's bytes and a file name, or ImageSkipped."""
    parts = urlsplit(image.url)
    if parts.scheme in {"http", "https"}:
        mirrored = _uploads_copy(parts.path, base_dir)
        if mirrored:
            return _local(mirrored, base_dir)
        return _download(image.url, parts.hostname or "", allowed_hosts)
    if parts.scheme in {"", "file"}:
        return _local(unquote(parts.path), base_dir)
    raise ImageSkipped(f"{image.url}: only http(s) and local files are fetched")


def _uploads_copy(url_path: str, base_dir: Path) -> str:
    """For WordPress media: a copy of wp-content/uploads in an "uploads" folder beside the
    export is used instead of the old site, so no download is needed."""
    marker = "/wp-content/uploads/"
    if marker not in url_path:
        return ""
    relative = Path("uploads") / unquote(url_path.split(marker, 1)[1])
    return str(relative) if (base_dir / relative).is_file() else ""


def _local(path_text: str, base_dir: Path) -> tuple[bytes, str]:
    base = base_dir.resolve()
    path = (base / path_text).resolve()
    if not path.is_relative_to(base):
        raise ImageSkipped(f"{path_text}: local images must be under {base}")
    if not path.is_file():
        raise ImageSkipped(f"{path_text}: no such file")
    if path.stat().st_size > _max_bytes():
        raise ImageSkipped(f"{path_text}: larger than {_max_bytes() // 1_000_000} MB")
    return path.read_bytes(), path.name


def _download(url: str, host: str, allowed_hosts: frozenset[str]) -> tuple[bytes, str]:
    if host.lower() not in allowed_hosts:
        raise ImageSkipped(f"{url}: host {host!r} is not allowed (see --allow-image-host)")
    request = urllib.request.Request(url, headers={"User-Agent": "Newsdesk importer"})  # noqa: S310 - http(s) only, allowed hosts
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT_SECONDS) as response:  # noqa: S310 - as above; redirects re-checked
            final_host = (urlsplit(response.geturl()).hostname or "").lower()
            if final_host not in allowed_hosts:
                raise ImageSkipped(f"{url}: redirected to {final_host!r}, which is not allowed")
            data = response.read(_max_bytes() + 1)
    except OSError as error:
        raise ImageSkipped(f"{url}: {error}") from error
    if len(data) > _max_bytes():
        raise ImageSkipped(f"{url}: larger than {_max_bytes() // 1_000_000} MB")
    return data, Path(urlsplit(url).path).name or "image"


def save_image(data: bytes, name: str, *, title: str, alt: str, credit: str):
    """A Wagtail image for the bytes; the same bytes imported twice give the same image.

    The picture passes the upload checks and is stored cleaned (newsdesk/images/uploads.py:
    type by content, limits, no GPS or other metadata) under a generated name. Returns
    (image, created). Raises ImageSkipped, with the editor's reason, when it is refused.
    """
    try:
        cleaned = uploads.clean_image(
            data,
            max_bytes=settings.WAGTAILIMAGES_MAX_UPLOAD_SIZE,
            max_pixels=settings.WAGTAILIMAGES_MAX_IMAGE_PIXELS,
        )
    except uploads.ImageRefused as refused:
        raise ImageSkipped(f"{name}: {refused.text}") from refused
    model = get_image_model()
    # Cleaning is deterministic, so the clean copy's hash finds an earlier import; the raw
    # hash finds one stored before images were cleaned.
    raw_hash = hashlib.sha1(data, usedforsecurity=False).hexdigest()  # as Wagtail hashes
    existing = model.objects.filter(file_hash__in=(cleaned.sha1, raw_hash)).first()
    if existing is not None:
        return existing, False
    image = model(title=title[:255] or name, description=alt[:255], credit=credit[:255])
    image.file = cleaned.as_upload()
    image.save()
    return image, True
