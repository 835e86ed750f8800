"""The values the read API adds to Wagtail's page fields, each made fit for the public.

Every value here is something a reader can already see on the site. Nothing links to an
original image (those are not public): pictures are renditions, the same files the pages and
feeds use. Rich text is expanded (page links become addresses) and cleaned as feeds clean it
(newsdesk.feeds.html), with every address absolute, from NEWSDESK_BASE_URL.

The fields read what the view prefetched (views.py), so a listing costs the same queries
however many pages it shows.
"""

import logging

from django.core.exceptions import ObjectDoesNotExist
from rest_framework.fields import DateTimeField, Field

from newsdesk.core.templatetags.newsdesk import absolute
from newsdesk.feeds import content
from newsdesk.feeds.html import clean
from newsdesk.live.models import LiveUpdate

logger = logging.getLogger(__name__)

LATEST_UPDATES = 20
"""How many of a live feed's newest updates its detail shows; older ones are in
/live/<slug>/updates.json."""

_datetime = DateTimeField()


def when(moment):
    """ISO 8601 in the newsroom's zone, as Wagtail's own date fields are written."""
    return _datetime.to_representation(moment) if moment else None


def page_url(page, context):
    """The page's public address, from NEWSDESK_BASE_URL, never from the request's Host.

    One PageUrls per response: Wagtail's lookup of the site's root paths is done once.
    """
    urls = context.setdefault("_newsdesk_page_urls", content.PageUrls())
    return urls.absolute(page)


def picture(image, spec, *, alt, caption="", credit=""):
    """A rendition of `image` with its words, or None when the file cannot be read."""
    made = content.rendition(image, spec, alt=alt, credit=credit)
    if made is None:
        return None
    return {
        "url": made.url,
        "width": made.width,
        "height": made.height,
        "mime_type": made.mime_type,
        "alt": alt,
        "caption": caption,
        "credit": credit,
    }


def person(author):
    return {
        "name": author.name,
        "slug": author.slug,
        "kind": author.kind,
        "url": absolute(author.get_absolute_url()),
    }


class PageValue(Field):
    """A read-only value made from the whole page rather than one of its columns."""

    def __init__(self, **kwargs):
        super().__init__(read_only=True, **kwargs)

    def get_attribute(self, instance):
        return instance


class HtmlUrl(PageValue):
    """Replaces Wagtail's html_url, which is built from the Site record's host name."""

    def to_representation(self, page):
        return page_url(page, self.context) or None


class Byline(PageValue):
    def to_representation(self, article):
        return [person(link.author) for link in article.byline.all()]


class Topics(PageValue):
    def to_representation(self, article):
        return [
            {"name": topic.name, "slug": topic.slug, "url": absolute(topic.get_absolute_url())}
            for topic in article.topics.all()
        ]


class Hero(PageValue):
    def get_attribute(self, article):
        return article if article.hero_image_id else None

    def to_representation(self, article):
        return picture(
            article.hero_image,
            content.HERO_SPEC,
            alt=article.hero_alt,
            caption=article.hero_caption,
            credit=article.credit,
        )


class Narration(PageValue):
    """The article's audio once it exists (the latest successful narration), else null."""

    def get_attribute(self, article):
        try:
            narration = article.narration
        except ObjectDoesNotExist:
            return None
        return narration if narration.has_audio else None

    def to_representation(self, narration):
        return {
            "url": absolute(narration.audio_url),
            "mime_type": "audio/mpeg",
            "duration": round(narration.duration, 1) if narration.duration else None,
            "bytes": narration.audio_bytes,
            "ai_generated": True,
        }


class Body(PageValue):
    """The article body in Wagtail's StreamField shape ({type, value, id} per block), with
    each value as a reader sees it: paragraphs as cleaned HTML, images as renditions with
    alt text, caption and credit, embeds as their address. Editor-only switches (such as
    "exclude from audio") are left out. Detail only: a listing never loads bodies."""

    def to_representation(self, article):
        base = page_url(article, self.context)
        blocks = list(article.body.raw_data)
        sources = [_rich_text(block["value"]) for block in blocks if block["type"] == "paragraph"]
        paragraphs = iter(content.expand_rich_texts(sources))
        image_ids = [
            block["value"].get("image")
            for block in blocks
            if block["type"] == "image" and isinstance(block["value"], dict)
        ]
        images = content.images_with_renditions([pk for pk in image_ids if pk], content.INLINE_SPEC)
        out = []
        for block in blocks:
            kind, value = block["type"], block["value"]
            if kind == "paragraph":
                made = {"html": clean(next(paragraphs), base=base)}
            elif kind == "heading":
                made = {
                    "text": value.get("text", ""),
                    "level": "h3" if value.get("level") == "h3" else "h2",
                }
            elif kind == "quote":
                made = {"text": value.get("text", ""), "attribution": value.get("attribution", "")}
            elif kind == "image":
                image = images.get(value.get("image"))
                made = image and picture(
                    image,
                    content.INLINE_SPEC,
                    alt=value.get("alt", ""),
                    caption=value.get("caption", ""),
                    credit=value.get("credit") or image.credit,
                )
            elif kind == "embed":
                made = {"url": value.get("embed") or "", "caption": value.get("caption", "")}
            else:
                made = None
            if made:
                out.append({"type": kind, "value": made, "id": block.get("id")})
        return out


def _rich_text(value):
    # A plain string in rows older than ParagraphBlock (see articles.blocks).
    return value.get("text", "") if isinstance(value, dict) else str(value)


class UpdateCount(PageValue):
    """Visible updates of a live feed: annotated on listings (views.py), counted on a detail."""

    def to_representation(self, feed):
        count = getattr(feed, "api_update_count", None)
        if count is None:
            count = LiveUpdate.objects.filter(feed=feed).visible().count()
        return count


class LastSequence(PageValue):
    """The feed's latest sequence number: ask /live/<slug>/updates.json?after= for changes."""

    def to_representation(self, feed):
        try:
            return feed.sequence.last
        except ObjectDoesNotExist:
            return 0


class LatestUpdates(PageValue):
    """The LATEST_UPDATES newest visible updates, newest first. Detail only (a fixed number of
    queries for the one feed: updates, their authors, corrections and image renditions)."""

    def to_representation(self, feed):
        updates = list(
            LiveUpdate.objects.filter(feed=feed)
            .visible()
            .select_related("image")
            .prefetch_related(
                "authors", "corrections", content.rendition_prefetch("image", content.INLINE_SPEC)
            )[:LATEST_UPDATES]
        )
        bodies = content.expand_rich_texts([update.body for update in updates])
        return [
            self._update(feed, update, body) for update, body in zip(updates, bodies, strict=True)
        ]

    def _update(self, feed, update, body):
        update.feed = feed  # its permalink is under the feed's URL, looked up once
        link = absolute(update.get_absolute_url())
        image = None
        if update.image:
            image = picture(
                update.image,
                content.INLINE_SPEC,
                alt=update.image_alt,
                credit=update.shown_credit,
                caption=update.image_caption,
            )
        return {
            "id": update.pk,
            "sequence": update.sequence,
            "url": link,
            "headline": update.headline,
            "html": clean(body, base=link),
            "published_at": when(update.published_at),
            "key_event": update.is_key_event,
            "pinned": update.is_pinned,
            "verification": update.verification,
            "source": {
                "name": update.source_name,
                "channel": update.source_channel,
                "url": update.source_url,
                "time": when(update.source_time),
            },
            "authors": [person(author) for author in update.authors.all()],
            "image": image,
            "embed_url": update.embed_url,
            "corrections": [
                {"published_at": when(correction.published_at), "text": correction.text}
                for correction in update.corrections.all()
            ],
        }
