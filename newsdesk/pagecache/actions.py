"""Invalidating cached pages: the writes with side effects, called by receivers (signals.py).

Each verb turns a change into the tags of the pages that show it (docs/caching.md has the
table), records them in the change's own transaction, and once that commits drops the pages
here, in Redis when it is shared, and (through pub/sub or polling) in every other process.
"""

import logging
from datetime import timedelta
from functools import partial

from django.conf import settings
from django.db import transaction
from django.dispatch import Signal
from django.utils import timezone

from newsdesk.pagecache import cache, channel, purge, shared
from newsdesk.pagecache.kinds import EVERY_PAGE, NARRATION_LIST
from newsdesk.pagecache.models import Invalidation

logger = logging.getLogger(__name__)

KEEP = timedelta(minutes=10)
"""Invalidation rows older than this are deleted: every process has long applied them."""

invalidating = Signal()
"""Sent with `tags` inside the transaction of every invalidation, whatever NEWSDESK_CACHE
says: stored parts (parts/apps.py) are dropped with the change. A signal, not an import, so
that the page cache depends on no app built on it."""


def refresh_page(page):
    """A Wagtail page was published (now or on schedule), unpublished or deleted."""
    invalidate(page_tags(page))


def refresh_live_feed(feed_id):
    """An update of the feed was posted, edited, corrected or deleted."""
    invalidate({f"live:{feed_id}"})


def refresh_narration(article_id):
    """An article's narration has new audio: its page (player, structured data) and every
    page that shows the article (feed enclosures), and the podcast, which gains an episode.
    The article's own tag, not only the narration row's: a page rendered before the row
    existed (an article published before narration was set up) did not load the row."""
    invalidate({f"page:{article_id}", *NARRATION_LIST})


def refresh_briefing(feed_id):
    """A live feed's briefing has new audio: the pages that show the feed (its player)."""
    invalidate({f"page:{feed_id}"})


def refresh_author(author):
    invalidate({f"articles.author:{author.pk}", f"author-list:{author.pk}"})


def refresh_topic(topic):
    invalidate({f"articles.topic:{topic.pk}", f"topic-list:{topic.pk}"})


def refresh_image(image):
    invalidate({f"image:{image.pk}"})


def refresh_everything():
    """A view restriction was added, changed or removed: it hides or shows a page and every
    page below it, on whatever listing or card they appeared. Rare, so everything goes."""
    invalidate({EVERY_PAGE})


def page_tags(page):
    """Pages that loaded this one, and the lists it can join or leave: a page model names
    those in its `listed_in()` (ArticlePage, LiveFeedPage), so that this app imports none."""
    page = page.specific  # a move sends the plain Page
    tags = {f"page:{page.pk}"}
    listed_in = getattr(page, "listed_in", None)
    if listed_in is not None:
        tags.update(listed_in())
    return tags


def invalidate(tags):
    """Record the invalidation with the change; apply and announce it after commit."""
    tags = sorted(set(tags))
    if not tags:
        return
    with transaction.atomic():
        # Stored parts live in the database, shared by every process: dropped here, with
        # the change, even when the page cache is off (parts/store.py).
        invalidating.send(sender=None, tags=tags)
        if not settings.NEWSDESK_CACHE:
            return
        row = Invalidation.objects.create(tags=tags)
        Invalidation.objects.filter(created_at__lt=timezone.now() - KEEP).delete()
    transaction.on_commit(partial(_apply_committed, row.pk, tags))


def _apply_committed(invalidation_id, tags):
    dropped = cache.drop(tags)
    if cache.listener.loop is not None:
        cache.listener.applied_here.add(invalidation_id)
    if shared.enabled():
        try:
            purge.request_purge(shared.invalidate(tags) - dropped)
        except Exception as error:
            # Redis down or restarting: the shared store is emptied as soon as this process
            # reaches it again (shared.missed_invalidation), so nothing stale is served after.
            shared.missed_invalidation()
            shared.link.lost(error, "it will be emptied once it is back")
        else:
            shared.link.restored()
    channel.publish(invalidation_id)
