"""Reading a live feed as a page: the timeline, grouped by the newsroom's calendar days."""

from itertools import groupby

from django.utils import timezone

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
