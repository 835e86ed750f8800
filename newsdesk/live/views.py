import json

from django.http import JsonResponse
from django.shortcuts import get_object_or_404, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import cache_control
from django.views.decorators.http import require_GET

from newsdesk.core.plaintext import html_to_text
from newsdesk.core.structured_data import iso, publisher
from newsdesk.core.templatetags.newsdesk import absolute
from newsdesk.live.events import parse_sequence
from newsdesk.live.models import FeedSequence, LiveFeedPage, LiveUpdate
from newsdesk.live.stream import MAX_REPLAY, changes_after

POLL_LIMIT = 100


def _feed_or_404(slug):
    return get_object_or_404(LiveFeedPage.objects.for_readers(), slug=slug)


@require_GET
@cache_control(public=True, max_age=2)
def updates_json(request, slug):
    """The polling fallback for readers whose network cuts long connections.

    ?after=N gives the changes after sequence N, oldest first, at most POLL_LIMIT; `last` is
    where to continue from. Same no-loss rules as the stream, and cacheable for two seconds.
    """
    feed = _feed_or_404(slug)
    after = parse_sequence(request.GET.get("after"))
    last = FeedSequence.objects.filter(feed=feed).values_list("last", flat=True).first() or 0
    if after is None:
        return JsonResponse({"last": last, "events": [], "more": False})
    if last - after > MAX_REPLAY:
        return JsonResponse({"last": last, "events": [], "reload": True, "more": False})
    changes = changes_after(feed.pk, after, limit=POLL_LIMIT)
    body = {
        "last": changes[-1].sequence if len(changes) == POLL_LIMIT else max(last, after),
        "events": [{"type": change.kind, **change.data} for change in changes],
        "more": len(changes) == POLL_LIMIT,
    }
    return JsonResponse(body, json_dumps_params={"ensure_ascii": False})


def update_detail(request, slug, update_id):
    """One update on a page of its own: the permalink readers share."""
    feed = _feed_or_404(slug)
    update = get_object_or_404(
        LiveUpdate.objects.filter(feed=feed).visible().for_display(), pk=update_id
    )
    return render(
        request, "live/update_detail.html", {"feed": feed, "update": update, "page": feed}
    )


def structured_data(feed, entries):
    """The page's LiveBlogPosting; `entries` are its updates' own (update_structured_data,
    stored per version: live/parts.py)."""
    data = {
        "@context": "https://schema.org",
        "@type": "LiveBlogPosting",
        "headline": feed.title,
        "url": absolute(feed.url),
        "coverageStartTime": iso(feed.coverage_start),
        "publisher": publisher(),
        "liveBlogUpdate": entries,
    }
    if feed.coverage_end:
        data["coverageEndTime"] = iso(feed.coverage_end)
    if feed.summary:
        data["description"] = feed.summary
    if feed.known_points:
        # The box above the updates, as a part of the page with its own time.
        data["hasPart"] = {
            "@type": "WebPageElement",
            "name": str(_("What we know")),
            "cssSelector": ".live__known",
            "text": "\n".join(feed.known_points),
        }
        if feed.what_we_know_at:
            data["hasPart"]["dateModified"] = iso(feed.what_we_know_at)
    return data


def structured_data_text(feed, entry_texts):
    """structured_data() as compact JSON text, its updates' entries joined from their stored
    text (live/parts.py) rather than parsed and written again. `{% json_ld_text %}` shows it."""
    data = structured_data(feed, [])
    text = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
    # Inside a JSON string every quote is escaped: this is the key, found once.
    empty = '"liveBlogUpdate":[]'
    return text.replace(empty, f'"liveBlogUpdate":[{",".join(entry_texts)}]', 1)


def update_structured_data(update):
    entry = {
        "@type": "BlogPosting",
        "headline": update.headline,
        "datePublished": iso(update.published_at),
        "dateModified": iso(update.updated_at),
        "articleBody": html_to_text(update.body),
        "url": absolute(update.get_absolute_url()),
    }
    if update.source_url:
        entry["isBasedOn"] = update.source_url
    if update.source_name:
        entry["citation"] = update.source_name
    image = image_object(update)
    if image:
        entry["image"] = image
    corrections = list(update.corrections.all())
    if corrections:
        entry["correction"] = [
            {"@type": "CorrectionComment", "datePublished": iso(c.published_at), "text": c.text}
            for c in corrections
        ]
    return entry


def image_object(update):
    """The update's picture as a schema.org ImageObject (the size the page shows), with its
    caption and credit; None without one."""
    if not update.image_id:
        return None
    image = update.image
    rendition = image.get_rendition("width-800|format-webp")
    data = {
        "@type": "ImageObject",
        "url": absolute(rendition.url),
        "width": rendition.width,
        "height": rendition.height,
    }
    if update.image_caption:
        data["caption"] = update.image_caption
    credit = update.shown_credit
    if credit:
        data["creditText"] = credit
    return data
