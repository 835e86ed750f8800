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
"""

import hashlib
import json

from django.db.models import prefetch_related_objects

from newsdesk.parts import store

STRUCTURED_DATA = "live-update-ld"


def element_name(level):
    """One name per heading level: the feed page shows h3 updates, an article's block h4."""
    return f"live-update-h{level}"


def _stored(request):
    # A preview renders the feed's draft (its URL may differ): never read or keep parts.
    return request is not None and not getattr(request, "is_preview", False)


def _key(name, update, lang=None):
    lang = store.language() if lang is None else lang
    part_subject = store.subject(name, update, lang)
    return f"{part_subject}:{update.sequence}"[:255], part_subject


def _use(name, update, build):
    return store.use(
        *_key(name, update), build, objects=[update], versioned={f"live:{update.feed_id}"}
    )


def element(request, update, level, build):
    """The update's <article> element: stored, or `build()` (the template) and stored."""
    if not _stored(request):
        return build()
    return _use(element_name(level), update, build)


def structured_data(request, update):
    """The update's entry of the page's LiveBlogPosting (a dict), stored as JSON."""
    from newsdesk.live.views import update_structured_data

    if not _stored(request):
        return update_structured_data(update)
    text = _use(
        STRUCTURED_DATA,
        update,
        lambda: json.dumps(update_structured_data(update), ensure_ascii=False),
    )
    return json.loads(text)


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


def prefetch(request, updates, level=3, structured=True):
    """Read the stored parts of these updates (their elements, and with `structured` their
    structured data) in one query; then, in one more, the corrections of those that lack
    one (the others never read them)."""
    missing = updates
    if _stored(request) and store.in_request():
        names = (element_name(level), STRUCTURED_DATA) if structured else (element_name(level),)
        store.prefetch(names, updates)
        lang = store.language()
        missing = [
            update
            for update in updates
            if any(store.get(*_key(name, update, lang)) is None for name in names)
        ]
    if missing:
        prefetch_related_objects(missing, "corrections")
