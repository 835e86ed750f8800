"""A live update's stored parts: its element and its structured data, one per version.

The live page shows up to fifty updates and describes each in its JSON-LD; rendering them
was most of an uncached page's cost. Each is now a stored part (newsdesk/parts) keyed by the
update's id and sequence number. Every change to an update (edit, correction, pinning,
deletion) gives it the feed's next sequence number (live/actions.py), so the key names one
version of everything the update owns, and its part is left off the feed's tag: a new post
or a correction elsewhere in the feed no longer drops every update's part, only pages. The
part keeps its other tags, so what it shows but does not own still drops it: its image, the
feed's page (its URL), every page (a view restriction); and a deploy or a changed setting
changes every key (store.fingerprint). docs/caching.md#live-pages.

On the feed page an update's element and its JSON-LD entry are one part (PAGE_ENTRY), read
for the page's updates in one query (`page_missing`) before anything is rendered: the page
reads whole only the updates whose part is missing. An article's live block keeps its own
element part (h4).
"""

import hashlib
import json

from django.db.models import prefetch_related_objects

from newsdesk.parts import store

PAGE_ENTRY = "live-update-page"
"""The feed page's part of an update: its JSON-LD entry's text, a newline, its h3 element
(JSON text holds no raw newline): one row read per update instead of two."""


def element_name(level):
    """One name per heading level: the feed page shows h3 updates, an article's block h4."""
    return f"live-update-h{level}"


def _stored(request):
    # A preview renders the feed's draft (its URL may differ): never read or keep parts.
    return request is not None and not getattr(request, "is_preview", False)


def _ref(pk):
    return f"live.liveupdate.{pk}"  # the name store gives the update itself


def _key(name, update, lang=None):
    """(key, subject) of an update's part; `update` may be a live.feed.Row."""
    lang = store.language() if lang is None else lang
    part_subject = store.subject(name, _ref(update.pk), lang)
    return f"{part_subject}:{update.sequence}"[:255], part_subject


def _use(name, update, build, lang=None):
    # A Row (live.feed) is given only when its part is stored: it is never built.
    feed_id = getattr(update, "feed_id", None)
    return store.use(
        *_key(name, update, lang), build, objects=[update], versioned={f"live:{feed_id}"}
    )


def element(request, update, level, build):
    """The update's <article> element: stored, or `build()` (the template) and stored."""
    if not _stored(request):
        return build()
    return _use(element_name(level), update, build)


def structured_data_text(update):
    """The update's entry of the page's LiveBlogPosting, as compact JSON text."""
    from newsdesk.live.views import update_structured_data

    return json.dumps(update_structured_data(update), ensure_ascii=False, separators=(",", ":"))


def render_element(update, level=3):
    """The update's <article>, as live/update.html renders it (it reads nothing else)."""
    from django.template import Context, engines

    template = engines["django"].engine.get_template("live/update.html")
    return template.render(Context({"update": update, "headline_level": level}))


def page_entries(request, updates):
    """{pk: (element, JSON-LD text)} of these updates on their feed page: one stored part
    per version. An update is a live.feed.Row when `page_missing` found its part, else the
    whole update (with its image and corrections)."""
    lang = store.language()
    return {update.pk: page_entry(request, update, lang) for update in updates}


def page_entry(request, update, lang=None):
    if not _stored(request):
        return render_element(update), structured_data_text(update)
    text = _use(
        PAGE_ENTRY,
        update,
        lambda: f"{structured_data_text(update)}\n{render_element(update)}",
        lang,
    )
    ld, _, html = text.partition("\n")
    return html, ld


def page_missing(request, rows):
    """Read the feed page's parts of these rows in one query; the pks of those without one
    (all of them when nothing is stored here: a preview, outside a request)."""
    if not (_stored(request) and store.in_request()):
        return {row.pk for row in rows}
    store.prefetch(PAGE_ENTRY, [_ref(row.pk) for row in rows])
    lang = store.language()
    return {row.pk for row in rows if store.get(*_key(PAGE_ENTRY, row, lang)) is None}


def key_events(request, feed, updates, build):
    """The feed page's list of key events, stored per version of the list: its key is a
    digest of the listed updates' ids and sequence numbers, which any post, edit, pinning or
    deletion of one of them changes (a hundred key events were most of a latest page's
    cost). Versioned as the updates' parts are: kept across the feed's other posts."""
    if not _stored(request) or not updates:
        return build()
    version = hashlib.sha256(
        ",".join(f"{update.pk}.{update.sequence}" for update in updates).encode()
    ).hexdigest()[:16]
    name = "live-key-events"
    return store.use(
        store.key(name, feed, version),
        store.subject(name, feed),
        build,
        objects=[feed],
        versioned={f"live:{feed.pk}"},
    )


def prefetch(request, updates, level=3):
    """Read the stored elements of these updates in one query; then, in one more, the
    corrections of those that lack one (the others never read them)."""
    missing = updates
    if _stored(request) and store.in_request():
        names = (element_name(level),)
        store.prefetch(names, updates)
        lang = store.language()
        missing = [
            update
            for update in updates
            if any(store.get(*_key(name, update, lang)) is None for name in names)
        ]
    if missing:
        prefetch_related_objects(missing, "corrections")
