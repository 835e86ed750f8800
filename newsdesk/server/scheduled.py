"""Scheduled publishing and expiry that stays exactly-once with several workers.

Wagtail's `publish_scheduled` lists what is due and then publishes each item. Two workers
(two hosts, or a worker and a cron job) that run it at the same moment both find the same
revision and both publish it: two "published" log entries, two narration requests, two rounds
of cache invalidation. Here every item is claimed in a transaction of its own before anything
is written:

- PostgreSQL: the row is locked (`SELECT ... FOR UPDATE`) and read again. A second worker
  waits for the first to commit, then finds the row no longer due and leaves it.
- SQLite: Newsdesk's transactions are IMMEDIATE, so the transaction holds the database's write
  lock from its first statement, and the read inside it sees every earlier commit.

One item failing is logged and the others go on; it is tried again at the next round.
"""

import logging

from django.apps import apps
from django.db import transaction
from django.utils import timezone
from wagtail.models import DraftStateMixin, Page, Revision

logger = logging.getLogger(__name__)


def scheduled_models():
    """Page, and every other model with drafts (snippets can be scheduled too)."""
    others = [
        model
        for model in apps.get_models()
        if issubclass(model, DraftStateMixin) and not issubclass(model, Page)
    ]
    return [Page, *others]


def expired_items(now):
    """(model, pk) of everything live whose expiry time has passed, oldest expiry first."""
    return [
        (model, pk)
        for model in scheduled_models()
        for pk in model.objects.filter(live=True, expire_at__lt=now)
        .order_by("expire_at")
        .values_list("pk", flat=True)
    ]


def due_revision_ids(now):
    """Revisions approved to go live at a time that has passed, earliest first."""
    return list(
        Revision.objects.filter(approved_go_live_at__lt=now)
        .order_by("approved_go_live_at", "pk")
        .values_list("pk", flat=True)
    )


def unpublish_if_expired(model, pk, now):
    """True when this call unpublished the item; False when it was no longer due."""
    with transaction.atomic():
        item = model.objects.select_for_update().filter(pk=pk, live=True, expire_at__lt=now).first()
        if item is None:
            return False
        item.unpublish(set_expired=True, log_action="wagtail.unpublish.scheduled")
        return True


def publish_if_due(revision_id, now):
    """True when this call published the revision; False when someone else already had."""
    with transaction.atomic():
        revision = (
            Revision.objects.select_for_update()
            .filter(pk=revision_id, approved_go_live_at__lt=now)
            .first()
        )
        if revision is None:
            return False
        # Publishing clears approved_go_live_at in this transaction, so once it commits no
        # other worker finds the revision due.
        revision.publish(log_action="wagtail.publish.scheduled")
        return True


def run_once():
    """Expire, then publish, what is due now. Returns (unpublished, published) counts."""
    now = timezone.now()
    unpublished = published = 0
    for model, pk in expired_items(now):
        unpublished += _attempt(unpublish_if_expired, model, pk, now)
    for revision_id in due_revision_ids(now):
        published += _attempt(publish_if_due, revision_id, now)
    return unpublished, published


def _attempt(action, *args):
    try:
        return int(action(*args))
    except Exception:
        logger.exception("Scheduled %s%s failed; trying again next round", action.__name__, args)
        return 0
