"""Feed entries for a live feed's updates (/live/<slug>/rss.xml, atom.xml, feed.json).

An update's id is a name-based UUID made from its feed page's translation key and its own
database id: like an article's, it survives edits and a new slug for the feed.
"""

import uuid

from django.db.models import Max
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.html import format_html
from django.utils.text import Truncator
from django.utils.translation import gettext as _

from newsdesk.core.plaintext import html_to_line
from newsdesk.core.templatetags.newsdesk import absolute
from newsdesk.feeds import content
from newsdesk.feeds.articles import FEED_LENGTH, SUMMARY_WORDS
from newsdesk.feeds.entries import Entry, Person
from newsdesk.feeds.html import clean
from newsdesk.live.models import LiveUpdate


def for_feed(feed):
    """The newest FEED_LENGTH visible updates, with authors, corrections and image renditions."""
    return list(
        LiveUpdate.objects.filter(feed=feed)
        .visible()
        .for_display()
        .prefetch_related(content.rendition_prefetch("image", content.INLINE_SPEC))[:FEED_LENGTH]
    )


def version(feed):
    """(last sequence number, newest change, pictures): every post, edit, correction and
    deletion takes the feed's next sequence number and touches `updated_at`, so these two
    move together. Pictures are library images, which change (a new credit or file) without
    the update: the shown entries' images, with their credit and file hash, are part of it."""
    found = LiveUpdate.objects.filter(feed=feed).aggregate(
        sequence=Max("sequence"), changed=Max("updated_at")
    )
    shown = LiveUpdate.objects.filter(feed=feed).visible()[:FEED_LENGTH]
    pictures = tuple(
        LiveUpdate.objects.filter(pk__in=shown.values("pk"), image__isnull=False)
        .order_by("image_id")
        .values_list("image_id", "image__credit", "image__file_hash")
    )
    return found["sequence"] or 0, found["changed"], pictures


def entry_id(feed, update):
    return f"urn:uuid:{uuid.uuid5(feed.translation_key, f'live-update/{update.pk}')}"


def entries(feed, updates, *, full):
    for update in updates:
        update.feed = feed  # one page object, which caches its URL lookups, for every update
    if not full:
        return [_entry(feed, update, None) for update in updates]
    bodies = content.expand_rich_texts([update.body for update in updates])
    return [_entry(feed, update, body) for update, body in zip(updates, bodies, strict=True)]


def _entry(feed, update, body_html):
    link = absolute(update.get_absolute_url())
    image = None
    if update.image:
        image = content.rendition(
            update.image, content.INLINE_SPEC, alt=update.image_alt, credit=update.shown_credit
        )
    text = html_to_line(update.body)
    return Entry(
        id=entry_id(feed, update),
        title=update.headline,
        link=link,
        published=timezone.localtime(update.published_at),
        updated=timezone.localtime(max(update.updated_at, update.published_at)),
        summary=Truncator(text).words(SUMMARY_WORDS) or update.headline,
        content_html="" if body_html is None else clean(_content(update, body_html, image), link),
        authors=[
            Person(author.name, absolute(author.get_absolute_url()))
            for author in update.authors.all()
        ],
        image=image,
    )


def _content(update, body_html, image):
    parts = [body_html, content.figure(image, update.image_caption)]
    if embed := update.embed:
        # A link, never the provider's player: feed readers drop frames, and a link loads
        # nothing from another site until the reader follows it.
        parts.append(
            format_html('<p><a href="{}">{}</a> ({})</p>', embed.url, embed.url, embed.provider)
        )
    parts.append(_source(update))
    parts += [
        format_html(
            "<p><strong>{}, {}:</strong> {}</p>",
            _("Correction"),
            date_format(timezone.localtime(correction.published_at), "DATETIME_FORMAT"),
            correction.text,
        )
        for correction in update.corrections.all()
    ]
    return "\n".join(part for part in parts if part)


def _source(update):
    """Who reported it and how far it is verified; the verification even without a source."""
    if not update.has_source:
        return format_html("<p>{}</p>", update.get_verification_display())
    name = update.source_name or update.source_url
    who = format_html('<a href="{}">{}</a>', update.source_url, name) if update.source_url else name
    channel = format_html(", {}", update.source_channel) if update.source_channel else ""
    return format_html(
        "<p>{} {}{} ({})</p>", _("Source:"), who, channel, update.get_verification_display()
    )
