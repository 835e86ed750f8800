"""What a page showed, recorded while it renders: the objects it loaded become its tags.

Declaring each page's dependencies by hand would mean every view and template keeping a list
in step with what it displays, and forgetting one is a stale page nobody notices. Instead,
while a cacheable page renders, every model instance created from the database (Django's
post_init signal) adds a tag: "page:<id>" for Wagtail pages, "image:<id>" for images,
"live:<feed id>" for live feeds, "<app>.<model>:<id>" for the rest. A change to any of them
invalidates the pages that loaded it. Lists that can gain an object the page never loaded
(a new article on the home page) are tagged by URL kind instead (kinds.py).

Outside a render (the admin, commands, the mirror) the recorder is off and costs one
context-variable read per instance.
"""

import contextvars
from contextlib import contextmanager

from django.db.models.signals import post_init

MAX_TAGS_PER_MODEL = 500
"""Beyond this many objects of one model, a page gets the "<model>:*" wildcard instead."""

_recording: contextvars.ContextVar[dict | None] = contextvars.ContextVar(
    "pagecache_recording", default=None
)


def start():
    """Begin recording in this context (and the threads Django runs the view in)."""
    tags: dict[str, set] = {}
    _recording.set(tags)
    return tags


def start_token():
    """Begin recording for a block that ends with `stop(token)` (a request in middleware)."""
    return _recording.set({})


def stop(token):
    _recording.reset(token)


_classes = {}


def tags_of(instance):
    if isinstance(instance, _classes["page"]):
        # A page model may name a second tag for itself (LiveFeedPage: "live"), which a
        # change to one of its rows (a live update) invalidates without touching the page.
        also = getattr(instance, "recorded_also_as", None)
        if also is not None:
            return (("page", instance.pk), (also, instance.pk))
        return (("page", instance.pk),)
    if isinstance(instance, _classes["image"]):
        return (("image", instance.pk),)
    if isinstance(instance, _classes["rendition"]):
        return (("image", instance.image_id),)
    return ((instance._meta.label_lower, instance.pk),)


def _record(sender, instance, **kwargs):
    tags = _recording.get()
    if tags is None or instance.pk is None:
        return
    for model, pk in tags_of(instance):
        ids = tags.setdefault(model, set())
        if len(ids) < MAX_TAGS_PER_MODEL:
            ids.add(pk)
        else:
            ids.add("*")


def current():
    """What this request has recorded so far, or None when nothing records."""
    return _recording.get()


@contextmanager
def nested():
    """Record into a fresh dict inside the block (a stored part being built), then go back
    to the request's own; the caller merges what the block recorded."""
    inner: dict[str, set] = {}
    token = _recording.set(inner)
    try:
        yield inner
    finally:
        _recording.reset(token)


def merge_recorded(recorded, more):
    for model, ids in more.items():
        recorded.setdefault(model, set()).update(ids)


def merge(recorded, tags):
    """Add flat tags ("page:3", "image:*", "articles") to a recording (a stored part's):
    kept flat, under "", as they are; `ids` finds the ids of one model among them."""
    recorded.setdefault("", set()).update(tags)


def ids(recorded, model):
    """The ids of `model` a recording holds, loaded or merged from stored parts."""
    found = {pk for pk in recorded.get(model, ()) if pk != "*"}
    prefix = f"{model}:"
    found.update(tag[len(prefix) :] for tag in recorded.get("", ()) if tag.startswith(prefix))
    found.discard("*")
    return found


def flatten(recorded):
    """{"page": {1, 2}} -> {"page:1", "page:2"}; a full model becomes "page:*"; list tags
    merged from stored parts ("" -> {"articles"}) stay as they are."""
    found = set()
    for model, ids in recorded.items():
        if model == "":
            found.update(ids)
        elif "*" in ids:
            found.add(f"{model}:*")
        else:
            found.update(f"{model}:{pk}" for pk in ids)
    return found


def connect():
    from wagtail.images.models import AbstractImage, AbstractRendition
    from wagtail.models import Page

    _classes.update(page=Page, image=AbstractImage, rendition=AbstractRendition)
    post_init.connect(_record, dispatch_uid="pagecache-recorder")
