"""HTML pieces shared by article and live entries, built for a whole feed at once.

A feed shows 50 stories; anything done per story that touches the database (page links in
rich text, image renditions) is done here in one batch for all of them, so a feed costs the
same few queries however long it is.
"""

import logging
from functools import cache

from django.db.models import Prefetch
from django.utils.html import format_html
from wagtail.images import get_image_model
from wagtail.images.models import Filter
from wagtail.rich_text import expand_db_html

from newsdesk.core.templatetags.newsdesk import absolute
from newsdesk.feeds.entries import Image

logger = logging.getLogger(__name__)

HERO_SPEC = "fill-1200x630|format-jpeg"
"""The rendition article pages already make for Open Graph, so feeds add no new files."""
INLINE_SPEC = "width-800|format-webp"
"""One of the srcset widths article bodies and live updates use on the site."""

MIME_TYPES = {"jpeg": "image/jpeg", "webp": "image/webp", "png": "image/png", "gif": "image/gif"}

# Joins many rich-text values into one string so Wagtail resolves all their page and document
# links in one query per link type. A NUL byte cannot occur in saved rich text.
_SEPARATOR = "\x00newsdesk-feed\x00"


def expand_rich_texts(sources: list[str]) -> list[str]:
    """Wagtail's stored rich text (`<a linktype="page" id="3">`) as HTML, for many at once."""
    if not sources:
        return []
    parts = expand_db_html(_SEPARATOR.join(sources)).split(_SEPARATOR)
    if len(parts) != len(sources):  # a separator inside a value: do them one by one
        parts = [expand_db_html(source) for source in sources]
    return parts


class PageUrls:
    """Pages' public addresses, with Wagtail's lookup of the site's root paths done once for
    a whole feed (Wagtail caches it on the object it is given) instead of once per page.

    Like every public address Newsdesk writes, they start with NEWSDESK_BASE_URL.
    """

    def absolute(self, page):
        parts = page.get_url_parts(self)
        return absolute(parts[2]) if parts and parts[2] else ""


def rendition_prefetch(lookup, spec):
    """A Prefetch that loads the existing renditions of images reached through `lookup`."""
    renditions = get_image_model().get_rendition_model().objects.filter(filter_spec=spec)
    return Prefetch(f"{lookup}__renditions", queryset=renditions, to_attr="prefetched_renditions")


def images_with_renditions(ids, spec):
    """{id: image} for the given image ids, with `spec` renditions prefetched (two queries)."""
    if not ids:
        return {}
    images = get_image_model().objects.filter(pk__in=set(ids)).prefetch_renditions(spec)
    return {image.pk: image for image in images}


def rendition(image, spec, alt="", credit=""):
    """The feed's `Image` for a Wagtail image, or None when its file cannot be read.

    A rendition that does not exist yet is made now (once; later requests find it).
    """
    try:
        made = _rendition(image, _filter(spec))
    except OSError:  # wagtail.images.models.SourceImageIOError among others
        logger.warning("Image %s has no readable file; left out of the feed", image.pk)
        return None
    extension = made.file.name.rsplit(".", 1)[-1].lower()
    return Image(
        url=absolute(made.url),
        mime_type=MIME_TYPES.get(extension, "image/jpeg"),
        width=made.width,
        height=made.height,
        alt=alt,
        credit=credit,
    )


@cache
def _filter(spec):
    # One parsed Filter per spec: parsing one costs more than finding a prefetched rendition.
    return Filter(spec=spec)


def _rendition(image, spec_filter):
    """The existing rendition (prefetched: no query, no cache write), else a new one."""
    try:
        return image.find_existing_rendition(spec_filter)
    except image.get_rendition_model().DoesNotExist:
        return image.get_rendition(spec_filter)


def figure(image, caption=""):
    """`<figure>` with the image and a caption that ends in the credit, as on the site."""
    if image is None:
        return ""
    credit = format_html(" ({})", image.credit) if image.credit else ""
    text = format_html("{}{}", caption, credit).strip()
    return format_html(
        '<figure><img src="{}" alt="{}" width="{}" height="{}">{}</figure>',
        image.url,
        image.alt,
        image.width,
        image.height,
        format_html("<figcaption>{}</figcaption>", text) if text else "",
    )
