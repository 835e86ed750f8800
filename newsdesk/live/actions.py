"""Writes to live feeds. Every change takes the feed's next sequence number in the same
transaction, records who did what, and wakes readers' streams once it is committed."""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from newsdesk.live import broker
from newsdesk.live.models import FeedSequence, LiveUpdate, LiveUpdateChange, LiveUpdateCorrection

SNAPSHOT_FIELDS = [
    "headline",
    "body",
    "image_id",
    "image_alt",
    "image_caption",
    "image_credit",
    "embed_url",
    "published_at",
    "is_key_event",
    "is_pinned",
    "is_published",
    "source_name",
    "source_time",
    "source_channel",
    "source_url",
    "verification",
]


def next_sequence(feed_id):
    """The feed's next sequence number. Call inside the transaction that uses it.

    The UPDATE takes the row lock (PostgreSQL) or the database's write lock (SQLite, whose
    transactions are IMMEDIATE), so numbers are handed out in commit order: a reader that has
    seen number n can never later find a smaller one.
    """
    FeedSequence.objects.get_or_create(feed_id=feed_id)
    FeedSequence.objects.filter(feed_id=feed_id).update(last=F("last") + 1)
    return FeedSequence.objects.values_list("last", flat=True).get(feed_id=feed_id)


def _snapshot(update):
    data = {}
    for name in SNAPSHOT_FIELDS:
        value = getattr(update, name)
        data[name] = value.isoformat() if hasattr(value, "isoformat") else value
    data["authors"] = [author.pk for author in update.authors.all()] if update.pk else []
    return data


def _record(update, action, user):
    LiveUpdateChange.objects.create(
        update=update,
        sequence=update.sequence,
        action=action,
        user=user if user and user.is_authenticated else None,
        snapshot=_snapshot(update),
    )
    feed_id, sequence = update.feed_id, update.sequence
    transaction.on_commit(lambda: broker.notify(feed_id, sequence))


def _validated(update):
    # The sequence is assigned later; everything an editor typed is checked now.
    update.full_clean(exclude=["sequence", "feed"])
    return update


def post_update(feed, *, user=None, authors=(), publish=True, **fields):
    """Post a new update (or save a draft when publish is False); returns it."""
    update = _validated(
        LiveUpdate(feed=feed, is_published=publish, created_by=_user(user), **fields)
    )
    with transaction.atomic():
        update.sequence = next_sequence(feed.pk)
        update.save()
        if authors:
            update.authors.set(authors)
        _record(update, LiveUpdateChange.Action.POST, user)
        _unpin_others(update, user)
    return update


def edit_update(update, *, user=None, authors=None, **changes):
    """Change an update; readers who have it see the new version."""
    unknown = set(changes) - set(SNAPSHOT_FIELDS) - {"image"}
    if unknown:
        raise ValueError(f"not editable: {', '.join(sorted(unknown))}")
    for name, value in changes.items():
        setattr(update, name, value)
    _validated(update)
    with transaction.atomic():
        update.sequence = next_sequence(update.feed_id)
        update.save()
        if authors is not None:
            update.authors.set(authors)
        _record(update, LiveUpdateChange.Action.EDIT, user)
        _unpin_others(update, user)
    return update


def _unpin_others(update, user):
    """One pinned update per feed: pinning a published update unpins the one before it,
    as an edit of its own, so open pages hear about it too."""
    if not (update.is_pinned and update.is_published):
        return
    others = LiveUpdate.objects.filter(feed_id=update.feed_id, is_pinned=True).exclude(pk=update.pk)
    for other in others:
        edit_update(other, user=user, is_pinned=False)


def delete_update(update, *, user=None):
    """Withdraw an update. The row stays (history, and the event that tells readers)."""
    if update.is_deleted:
        return update
    with transaction.atomic():
        update.deleted_at = timezone.now()
        update.sequence = next_sequence(update.feed_id)
        update.save(update_fields=["deleted_at", "sequence", "updated_at"])
        _record(update, LiveUpdateChange.Action.DELETE, user)
    return update


def correct_update(update, *, text, user=None, **changes):
    """Add a dated correction shown on the update, optionally with the corrected fields."""
    if not text.strip():
        raise ValidationError({"text": "Say what was wrong and what changed."})
    with transaction.atomic():
        LiveUpdateCorrection.objects.create(update=update, text=text.strip())
        return edit_update(update, user=user, **changes)


def _user(user):
    return user if user is not None and user.is_authenticated else None


def set_what_we_know(feed, text, *, user=None):
    """Change a feed's "What we know" box from the desk: a new revision of the published page,
    published at once (so the page cache and every listing hear of it as of any publish).

    An editor's unpublished draft of the feed is kept as the latest revision, with the new
    text, so their next publish neither loses their changes nor brings the old text back.
    Returns the feed as published.
    """
    from newsdesk.live.models import LiveFeedPage

    page = LiveFeedPage.objects.get(pk=feed.pk)
    draft = page.get_latest_revision_as_object() if page.has_unpublished_changes else None
    page.what_we_know = text
    page.full_clean()
    page.save_revision(user=_user(user), log_action=True).publish(user=_user(user))
    page.refresh_from_db()
    if draft is not None:
        draft.what_we_know = page.what_we_know
        draft.what_we_know_at = page.what_we_know_at
        draft.save_revision(user=_user(user))
    return page
