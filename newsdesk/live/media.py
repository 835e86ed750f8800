"""A live update's picture and embed: the checks every way of posting shares (docs/live.md,
"Pictures and embeds").

The desk calls these today; the posting API and scripts are to call the same functions, so
an upload is refused or accepted for the same reasons wherever it comes from:

- `attach_image` checks a new picture with the article images' upload checks
  (images/uploads.py: size, type from the bytes, pixel limit, polyglots; metadata removed)
  or takes one from the image library, checks the alt text, caption and credit, and only
  then stores the file, so a refused upload or a refused update leaves nothing behind;
- `clean_embed_url` accepts an https link and says whether it is a video we can play in the
  page (YouTube, Vimeo) or a link card for anything else.

Embeds load nothing from another site until the reader asks: the page shows a card with
the provider and the host name, a plain link to the original; for the two video providers
live.js adds a button that puts the provider's player (youtube-nocookie.com or
player.vimeo.com, the only frame sources the CSP allows) in its place, sandboxed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import parse_qs, urlsplit

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext_lazy as _

from newsdesk.images import uploads

ALT_MAX = 300
CAPTION_MAX = 500
CREDIT_MAX = 255
EMBED_MAX = 200


@dataclass(frozen=True)
class Embed:
    """How the page shows an embed link: always a card; a player for the video providers."""

    url: str
    host: str
    provider: str
    """The provider's name for a known one ("YouTube"), else the host name."""
    player: str = ""
    """The player's address (a frame source the CSP allows), or "" for a link card."""

    @property
    def player_host(self) -> str:
        return urlsplit(self.player).hostname or ""


_UNSAFE = re.compile(r"[\s<>\"'`\\^{}|]")
_YOUTUBE_ID = re.compile(r"[A-Za-z0-9_-]{11}")
_VIMEO_ID = re.compile(r"\d{1,12}")
YOUTUBE_HOSTS = {"youtube.com", "www.youtube.com", "m.youtube.com", "youtu.be"}
VIMEO_HOSTS = {"vimeo.com", "www.vimeo.com", "player.vimeo.com"}
KNOWN_PROVIDERS = {
    "t.me": "Telegram",
    "x.com": "X",
    "twitter.com": "X",
    "www.facebook.com": "Facebook",
    "facebook.com": "Facebook",
    "www.instagram.com": "Instagram",
    "instagram.com": "Instagram",
    "www.tiktok.com": "TikTok",
    "bsky.app": "Bluesky",
}


def clean_embed_url(url: str) -> str:
    """The link as it is stored, or ValidationError: an absolute https (or http) URL with a
    host, no user name or password, at most EMBED_MAX characters. Empty stays empty."""
    url = (url or "").strip()
    if not url:
        return ""
    message = _("Give the full address of the post or video, starting with https://.")
    if len(url) > EMBED_MAX:
        raise ValidationError(
            _("The link is too long (%(length)s characters; the limit is %(limit)s)."),
            code="max_length",
            params={"length": len(url), "limit": EMBED_MAX},
        )
    try:
        URLValidator(schemes=["https", "http"])(url)
    except ValidationError:
        raise ValidationError(message, code="invalid") from None
    parts = urlsplit(url)
    if parts.username or parts.password or _UNSAFE.search(url):
        # Quotes, angle brackets and spaces belong in no link: they are escaped where shown,
        # but a link carrying them is a mistake or an attack either way.
        raise ValidationError(message, code="invalid")
    if parts.scheme == "http":
        url = "https" + url[4:]
    return url


def embed_for(url: str) -> Embed | None:
    """The card (and player, for YouTube and Vimeo) for a stored embed link."""
    if not url:
        return None
    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    if not host:
        return None
    if host in YOUTUBE_HOSTS and (video := _youtube_id(parts, host)):
        player = f"https://www.youtube-nocookie.com/embed/{video}"
        return Embed(url, host, "YouTube", player)
    if host in VIMEO_HOSTS and (video := _vimeo_id(parts)):
        return Embed(url, host, "Vimeo", f"https://player.vimeo.com/video/{video}?dnt=1")
    if host in YOUTUBE_HOSTS:
        return Embed(url, host, "YouTube")
    if host in VIMEO_HOSTS:
        return Embed(url, host, "Vimeo")
    return Embed(url, host, KNOWN_PROVIDERS.get(host, host.removeprefix("www.")))


def _youtube_id(parts, host):
    if host == "youtu.be":
        candidate = parts.path.strip("/")
    elif parts.path == "/watch":
        candidate = parse_qs(parts.query).get("v", [""])[0]
    elif parts.path.startswith(("/shorts/", "/live/", "/embed/")):
        candidate = parts.path.split("/")[2]
    else:
        return ""
    return candidate if _YOUTUBE_ID.fullmatch(candidate) else ""


def _vimeo_id(parts):
    candidate = parts.path.strip("/").split("/")[-1]
    return candidate if _VIMEO_ID.fullmatch(candidate) else ""


def attach_image(update, *, upload=None, image=None, alt="", caption="", credit="", user=None):
    """Give `update` (saved or not; not saved here) a picture: a new file (`upload`, a file
    object or bytes) or an image from the library (`image`), with its alt text, caption and
    credit (empty: the image's own credit is shown).

    Everything is checked before the file is stored: ValidationError names the field at
    fault (image, image_alt, image_caption, image_credit, or one of the update's own). The
    caller saves the update through live.actions, in a transaction with this call, so the
    image row goes too if that is refused. Returns the fields set, for edit_update.
    """
    if upload is not None and image is not None:
        raise ValueError("either upload or image, not both")
    errors = {}
    cleaned = None
    if upload is not None:
        try:
            cleaned = _clean_upload(upload)
        except uploads.ImageRefused as refused:
            errors["image"] = [refused.text]
    elif image is None:
        errors["image"] = [_("Choose a picture to upload or one from the image library.")]
    values = {
        "image_alt": (alt or "").strip(),
        "image_caption": (caption or "").strip(),
        "image_credit": (credit or "").strip(),
    }
    for name, value in values.items():
        setattr(update, name, value)
    try:
        # The picture is not stored yet: everything else about the update is checked now.
        update.full_clean(exclude=["sequence", "feed", "image"], validate_unique=False)
    except ValidationError as error:
        for name, messages in error.message_dict.items():
            errors.setdefault(name, []).extend(messages)
    if not values["image_alt"] and "image_alt" not in errors:
        errors["image_alt"] = [ALT_REQUIRED]
    if errors:
        raise ValidationError(errors)
    if cleaned is not None:
        image = _store(cleaned, values, user)
    update.image = image
    return {"image": image, **values}


ALT_REQUIRED = _(
    "Describe what the picture shows for readers who cannot see it (alt text is required "
    "with a picture)."
)


def add_to_library(upload, *, title="", credit="", user=None):
    """A new library image from an uploaded file, through the article images' checks (the
    posting API's `POST /api/live/images`); ValidationError on `image`, `title` or `credit`
    says what is wrong, and nothing is stored then."""
    errors = {}
    title, credit = (title or "").strip(), (credit or "").strip()
    if len(title) > 255:
        errors["title"] = [_("At most 255 characters.")]
    if len(credit) > 255:
        errors["credit"] = [_("At most 255 characters.")]
    try:
        cleaned = _clean_upload(upload)
    except uploads.ImageRefused as refused:
        errors["image"] = [refused.text]
    if errors:
        raise ValidationError(errors)
    name = getattr(upload, "name", "") or ""
    values = {
        "image_caption": title or name.rsplit("/", 1)[-1],
        "image_alt": "",
        "image_credit": credit,
    }
    return _store(cleaned, values, user)


def detach_image(update):
    """Take the picture off the update (not saved); the image stays in the library."""
    values = {"image": None, "image_alt": "", "image_caption": "", "image_credit": ""}
    for name, value in values.items():
        setattr(update, name, value)
    return values


def _clean_upload(upload):
    if isinstance(upload, bytes):
        data = upload
    else:
        size = getattr(upload, "size", None)
        limit = settings.WAGTAILIMAGES_MAX_UPLOAD_SIZE
        if size is not None and limit is not None and size > limit:
            # Refused before the file is read into memory.
            raise uploads.ImageRefused(
                "too_large", size=filesizeformat(size), limit=filesizeformat(limit)
            )
        upload.seek(0)
        data = upload.read()
    return uploads.clean_image(
        data,
        max_bytes=settings.WAGTAILIMAGES_MAX_UPLOAD_SIZE,
        max_pixels=settings.WAGTAILIMAGES_MAX_IMAGE_PIXELS,
    )


def _store(cleaned, values, user):
    from wagtail.images import get_image_model

    image = get_image_model()(
        title=(values["image_caption"] or values["image_alt"])[:255],
        description=values["image_alt"],
        credit=values["image_credit"],
        file=cleaned.as_upload(),
        uploaded_by_user=user if user is not None and user.is_authenticated else None,
    )
    image.save()
    return image
