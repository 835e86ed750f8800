"""What an uploaded picture must be, and what is kept of it (docs/operations.md, "Uploads").

Every new original, whichever way it arrives (the Wagtail admin, the image chooser, the
importer, the demo), passes `clean_image` before it is stored:

1. the byte limit (WAGTAILIMAGES_MAX_UPLOAD_SIZE), before anything is parsed;
2. the type, from the bytes: JPEG, PNG or WebP, whatever the name or the browser says.
   GIF is refused too (news photos are not GIFs; animated GIFs make renditions slow and
   huge; GIFAR polyglots were GIFs) and so are SVG, HEIC, AVIF, TIFF and the rest, so only
   the JPEG, PNG and WebP decoders ever see an upload;
3. the pixel limit (WAGTAILIMAGES_MAX_IMAGE_PIXELS), from the size the header declares,
   before a pixel is decoded: a 30,000 x 30,000 flood or a decompression bomb costs a few
   bytes of parsing;
4. polyglots: markup (HTML, SVG, script, PHP) in any metadata segment, text chunk or
   trailer, or an archive, PDF or program appended after the picture, is refused;
5. animation is refused (a still picture is expected; the first frame would be misleading);
6. the picture is decoded (a damaged file is refused here), turned upright by its EXIF
   orientation, and encoded again with nothing but its pixels and its ICC colour profile:
   no EXIF (GPS, camera serial, maker notes), XMP, IPTC, comments or text chunks, and no
   trailer. JPEG keeps its own quantisation tables and chroma subsampling, so the new file
   looks the same; lossless WebP stays lossless.

The stored name is generated (`generated_name`): never the uploader's file name.
"""

from __future__ import annotations

import hashlib
import io
import re
import secrets
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.template.defaultfilters import filesizeformat
from django.utils.formats import number_format
from django.utils.translation import gettext_lazy as _
from PIL import Image, ImageOps, JpegImagePlugin, UnidentifiedImageError

from newsdesk.images import containers
from newsdesk.media import config as media_config

EXTENSIONS = {containers.JPEG: "jpg", containers.PNG: "png", containers.WEBP: "webp"}
ORIGINALS_DIR = "original_images"
PRIVATE_MEDIA = media_config.PRIVATE_FOLDERS
"""Media folders never served to readers: originals, and Wagtail's half-finished uploads
(stored in the private bucket when media is in object storage)."""
if f"{ORIGINALS_DIR}/" not in PRIVATE_MEDIA:  # pragma: no cover - a guard against a rename
    raise RuntimeError("original_images/ must stay a private media folder")
JPEG_FALLBACK_QUALITY = 92
WEBP_QUALITY = 90

MESSAGES = {
    "not_allowed": _("This file is not a JPEG, PNG or WebP image."),
    "too_large": _("The file is %(size)s; the limit is %(limit)s."),
    "too_many_pixels": _(
        "The image is %(width)s × %(height)s pixels; the limit is %(limit)s million pixels."
    ),
    "animated": _("This image is animated; only still JPEG, PNG or WebP images are accepted."),
    "damaged": _("This image file is damaged or incomplete, so it cannot be read."),
    "hidden": _(
        "This file carries something besides the picture (%(what)s), so it was refused. "
        "Save the picture again as a plain JPEG, PNG or WebP file and upload that."
    ),
}
HIDDEN = {
    "markup": _("web page code"),
    "archive": _("an archive or a document"),
    "program": _("a program"),
    "text_bomb": _("an oversized compressed text"),
}

_MARKUP = re.compile(
    rb"<\s*(?:script|html|body|iframe|frame|object|embed|svg|math|meta|link|base|form"
    rb"|!doctype|\?php)\b|javascript\s*:|\bon(?:error|load|mouseover)\s*=",
    re.IGNORECASE,
)
_ARCHIVES = (b"PK\x03\x04", b"PK\x05\x06", b"PK\x07\x08", b"Rar!\x1a\x07", b"7z\xbc\xaf\x27\x1c")
_ARCHIVES += (b"%PDF-", b"\x1f\x8b\x08")
_PROGRAMS = (b"\x7fELF", b"\xca\xfe\xba\xbe", b"MZ")
_ZIP_DIRECTORY_END = b"PK\x05\x06"
_ZIP_TAIL = 65_535 + 22
"""A ZIP reader looks for its end-of-directory record this far from the end of a file."""


class ImageRefused(ValidationError):
    """An upload that is not accepted; the message is for the editor."""

    def __init__(self, code: str, **params):
        super().__init__(MESSAGES[code], code=code, params=params)

    @property
    def text(self) -> str:
        return str(self.message % self.params) if self.params else str(self.message)


@dataclass(frozen=True)
class CleanedImage:
    data: bytes
    format: str
    width: int
    height: int

    @property
    def extension(self) -> str:
        return EXTENSIONS[self.format]

    @property
    def sha1(self) -> str:
        """As Wagtail's file_hash (wagtail.utils.file.hash_filelike)."""
        return hashlib.sha1(self.data, usedforsecurity=False).hexdigest()

    def as_upload(self) -> CleanedUpload:
        upload = CleanedUpload(f"upload.{self.extension}", self.data, Image.MIME[self.format])
        upload.cleaned = self
        return upload


class CleanedUpload(SimpleUploadedFile):
    """A file `clean_image` made: NewsImage.save stores it as it is."""

    cleaned: CleanedImage


def generated_name(extension: str) -> str:
    """A stored file's name: 128 random bits, nothing from the uploader."""
    return f"{secrets.token_hex(16)}.{extension}"


def clean_image(data: bytes, *, max_bytes: int | None, max_pixels: int | None) -> CleanedImage:
    """The picture in `data` re-encoded without metadata, or ImageRefused saying why."""
    if max_bytes is not None and len(data) > max_bytes:
        raise ImageRefused(
            "too_large", size=filesizeformat(len(data)), limit=filesizeformat(max_bytes)
        )
    kind = containers.sniff(data)
    if kind is None:
        raise ImageRefused("not_allowed")
    try:
        found = containers.layout(data, kind)
    except containers.TextBomb:
        raise ImageRefused("hidden", what=HIDDEN["text_bomb"]) from None
    except containers.Malformed:
        raise ImageRefused("damaged") from None
    check_pixels(found.width, found.height, max_pixels)
    if (what := hidden_content(data, found)) is not None:
        raise ImageRefused("hidden", what=HIDDEN[what])
    if found.animated:
        raise ImageRefused("animated")
    return _reencode(data, found)


def check_pixels(width: int, height: int, max_pixels: int | None) -> None:
    if width <= 0 or height <= 0:
        raise ImageRefused("damaged")
    if max_pixels is not None and width * height > max_pixels:
        raise ImageRefused(
            "too_many_pixels",
            width=number_format(width, force_grouping=True),
            height=number_format(height, force_grouping=True),
            limit=millions(max_pixels),
        )


def millions(pixels: int) -> str:
    """40000000 -> "40", 12500000 -> "12.5" (in the active language's number format)."""
    value = round(pixels / 1_000_000, 1)
    return number_format(int(value) if value == int(value) else value)


def hidden_content(data: bytes, found: containers.Layout) -> str | None:
    """Why the file looks like a polyglot ("markup", "archive", "program"), or None.

    Markup is looked for in every metadata segment and in the trailer, never in compressed
    pixel data (where a short tag would turn up by chance). A trailer that is another JPEG
    (a phone's depth map or HDR gain map, MPF) or an MP4 (a motion photo) is only checked
    for a ZIP directory: those are common, and the re-encode drops them anyway.
    """
    for segment in found.metadata:
        if _MARKUP.search(segment):
            return "markup"
    trailer = data[found.end :]
    if not trailer.strip(b"\x00\xff \t\r\n"):
        return None
    if _ZIP_DIRECTORY_END in data[-_ZIP_TAIL:][-len(trailer) :]:
        return "archive"
    if trailer.startswith(b"\xff\xd8\xff") or trailer[4:8] == b"ftyp":
        return None
    if _MARKUP.search(trailer):
        return "markup"
    if any(signature in trailer for signature in _ARCHIVES):
        return "archive"
    if trailer.lstrip(b"\x00").startswith(_PROGRAMS):
        return "program"
    return None


def _reencode(data: bytes, found: containers.Layout) -> CleanedImage:
    output = io.BytesIO()
    try:
        with Image.open(io.BytesIO(data), formats=[found.format]) as picture:
            if picture.size != (found.width, found.height):
                raise ImageRefused("damaged")
            if picture.format != "MPO" and getattr(picture, "n_frames", 1) > 1:
                raise ImageRefused("animated")
            picture.load()
            options = _save_options(picture, found)
            ImageOps.exif_transpose(picture, in_place=True)
            # Nothing of the old file's info travels: Pillow would write EXIF, XMP and text
            # from it.
            picture.info = {k: v for k, v in picture.info.items() if k == "transparency"}
            picture.save(output, format=found.format, **options)
            width, height = picture.size
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise ImageRefused("damaged") from None  # pragma: no cover - the header check is first
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, EOFError):
        raise ImageRefused("damaged") from None
    cleaned = containers.strip_metadata(output.getvalue(), found.format)
    return CleanedImage(cleaned, found.format, width, height)


def _save_options(picture: Image.Image, found: containers.Layout) -> dict:
    options = {}
    if icc := picture.info.get("icc_profile"):
        options["icc_profile"] = icc
    if found.format == containers.JPEG:
        if picture.mode not in ("L", "RGB", "CMYK"):
            raise ImageRefused("damaged")  # pragma: no cover - Pillow decodes JPEG to these
        quantization = getattr(picture, "quantization", None)
        sampling = JpegImagePlugin.get_sampling(picture)
        if quantization and 1 <= len(quantization) <= 4:
            options["qtables"] = quantization  # Pillow's quality="keep", after a transpose
        else:
            options["quality"] = JPEG_FALLBACK_QUALITY  # pragma: no cover
        if sampling >= 0:
            options["subsampling"] = sampling
    elif found.format == containers.WEBP:
        if found.lossless:
            options.update(lossless=True, exact=True)
        else:
            options["quality"] = WEBP_QUALITY
    return options
