"""Reading a live feed as a page: the timeline, grouped by the newsroom's calendar days."""

from datetime import datetime
from itertools import groupby
from typing import NamedTuple

from django.db.models import Q
from django.utils import timezone

from newsdesk.core.prepared import PreparedRows
from newsdesk.live.models import PAGE_SIZE, LiveUpdate


def timeline(feed, older_than=None, page_size=PAGE_SIZE):
    """(days, pinned, has_older): up to page_size visible updates, newest first.

    days is [(date, [updates])] with dates in the newsroom's time zone, so a header appears
    wherever the updates cross local midnight, whatever the UTC offset that night.
    The pinned update leads the page and is left out of the timeline (one element per update).
    """
    # Not for_display(): the feed is the page itself, not a copy of its wide row per update;
    # the authors are not shown, and the corrections are read by live/parts.py's prefetch
    # for the updates whose stored parts are missing.
    visible = LiveUpdate.objects.filter(feed=feed).visible().select_related("image")
    pinned = visible.filter(is_pinned=True).first() if older_than is None else None
    updates = visible.exclude(pk=pinned.pk) if pinned else visible
    if older_than is not None:
        updates = updates.filter(models_before(older_than.published_at, older_than.pk))
    page = list(updates[: page_size + 1])
    has_older = len(page) > page_size
    page = page[:page_size]
    for update in [pinned, *page] if pinned else page:
        update.feed = feed
    days = [
        (day, list(items))
        for day, items in groupby(
            page, key=lambda update: timezone.localtime(update.published_at).date()
        )
    ]
    return days, pinned, has_older, (page[-1] if page else None)


def models_before(published_at, pk):
    from django.db.models import Q

    # The first condition is implied by the others; it lets the database start its walk of
    # the (feed, published_at, id) index at the page's position instead of the newest update.
    return Q(published_at__lte=published_at) & (
        Q(published_at__lt=published_at) | Q(published_at=published_at, pk__lt=pk)
    )


def running_with_latest(feeds, updates):
    """Up to `feeds` running live feeds that readers can open, newest coverage first, each
    with `.latest`, its newest `updates` visible updates (not the pinned one), and
    `.last_sequence`, where a script following it starts: two queries, whatever the number
    of feeds (the prefetch slices per feed with a window function)."""
    from django.db.models import Prefetch

    from newsdesk.live.models import LiveFeedPage

    latest = (
        LiveUpdate.objects.visible()
        .filter(is_pinned=False)
        .order_by("-published_at", "-pk")
        .only("pk", "feed_id", "headline", "published_at", "sequence", "is_key_event")
    )
    # The sequence is read with the feed, before its updates: a change landing in between
    # shows up in both, and the script replaces the element, rather than in neither.
    running = list(
        LiveFeedPage.objects.for_readers()
        .filter(status=LiveFeedPage.Status.LIVE)
        .select_related("sequence")
        .order_by("-coverage_start")
        .prefetch_related(Prefetch("updates", queryset=latest[:updates], to_attr="latest"))[:feeds]
    )
    for feed in running:
        sequence = getattr(feed, "sequence", None)
        feed.last_sequence = sequence.last if sequence else 0
    return running


class Row(NamedTuple):
    """A timeline entry read as plain values (page_rows): all the feed page needs of an
    update whose stored part is kept (live/parts.py); the others are read whole."""

    pk: int
    sequence: int
    published_at: datetime
    is_pinned: bool


class KeyEvent(NamedTuple):
    pk: int
    sequence: int
    published_at: datetime
    headline: str


_COLUMNS = ("pk", "sequence", "published_at", "is_pinned")


def _visible(model, feed_id):
    return model.objects.filter(feed_id=feed_id).visible()


# The feed page's reads, compiled once per process (core/prepared.py): the latest page (the
# pinned update, if any, is among its first rows), a page of older updates from its place in
# the (feed, published_at, id) index, the pinned update, the key events and the position.
LATEST_ROWS = PreparedRows(
    LiveUpdate,
    lambda model, feed_id: (
        _visible(model, feed_id)
        .order_by("-published_at", "-pk")
        .values_list(*_COLUMNS)[: PAGE_SIZE + 2]
    ),
)
OLDER_ROWS = PreparedRows(
    LiveUpdate,
    lambda model, feed_id, at_or_before, before, at, pk: (
        _visible(model, feed_id)
        .filter(
            Q(published_at__lte=at_or_before)
            & (Q(published_at__lt=before) | Q(published_at=at, pk__lt=pk))
        )
        .order_by("-published_at", "-pk")
        .values_list(*_COLUMNS)[: PAGE_SIZE + 1]
    ),
)
PINNED_ROW = PreparedRows(
    LiveUpdate,
    lambda model, feed_id: (
        _visible(model, feed_id)
        .filter(is_pinned=True)
        .order_by("-published_at", "-pk")
        .values_list(*_COLUMNS)[:1]
    ),
)
UPDATE_ROW = PreparedRows(
    LiveUpdate,
    lambda model, feed_id, pk: (
        model.objects.filter(feed_id=feed_id, pk=pk).order_by().values_list(*_COLUMNS)[:1]
    ),
)
KEY_EVENT_ROWS = PreparedRows(
    LiveUpdate,
    lambda model, feed_id: (
        _visible(model, feed_id)
        .filter(is_key_event=True)
        .order_by("-published_at", "-pk")
        .values_list("pk", "sequence", "published_at", "headline")
    ),
)
FEED_POSITION = PreparedRows(
    "live.FeedSequence",
    lambda model, feed_id: model.objects.filter(feed_id=feed_id).order_by().values_list("last"),
)


def position(feed):
    """The last sequence number the feed handed out (0 before its first update)."""
    found = FEED_POSITION.all(feed.pk)
    return found[0][0] if found else 0


def update_row(feed, pk):
    """The feed's update `pk` (any state) as a Row, or None; `?older=` gives any number."""
    if not 0 < pk < 2**63:  # beyond a database integer: no such update, as the ORM says
        return None
    found = UPDATE_ROW.all(feed.pk, pk)
    return Row(*found[0]) if found else None


def key_event_rows(feed):
    return [KeyEvent(*row) for row in KEY_EVENT_ROWS.all(feed.pk)]


def page_rows(feed, older_than=None, page_size=PAGE_SIZE):
    """timeline()'s (days, pinned, has_older, oldest) read as Rows, in prepared queries:
    the same updates in the same order (page_size at most PAGE_SIZE). On the latest page
    the newest pinned update leads and is left out of the timeline; a page of older
    updates shows every update at its place, as timeline() does."""
    pinned = None
    if older_than is None:
        pinned = next(map(Row._make, PINNED_ROW.all(feed.pk)), None)
        found = map(Row._make, LATEST_ROWS.all(feed.pk))
        page = [row for row in found if pinned is None or row.pk != pinned.pk]
    else:
        at = older_than.published_at
        page = [Row(*row) for row in OLDER_ROWS.all(feed.pk, at, at, at, older_than.pk)]
    page = page[: page_size + 1]
    has_older = len(page) > page_size
    page = page[:page_size]
    return _days(page), pinned, has_older, (page[-1] if page else None)


def _days(page):
    return [
        (day, list(items))
        for day, items in groupby(
            page, key=lambda update: timezone.localtime(update.published_at).date()
        )
    ]
