"""Changes rendered once per process, for the paths that serve many readers at once through
Pushpin: the publisher (each change as it commits) and the hold answers (what a reader or a
recovery missed, often the changes just published).

An update's row and its sequence number change together, so (update id, sequence) names one
version of the update: a cached rendering of it is never outdated by an edit, which takes a
new number. (What an update shows but does not own, such as an author's name, is rendered as
it was when the change was first rendered, as it was for the readers who received it live.)
"""

import threading
from collections import OrderedDict

from newsdesk.live.models import LiveUpdate
from newsdesk.live.stream import Change, change_for

CACHE_SIZE = 2000

_cache: OrderedDict[tuple[int, int], Change] = OrderedDict()
_lock = threading.Lock()


def cached_changes(feed_id, *, after=None, sequences=None, limit=None):
    """The feed's changes after `after` (or numbered `sequences`), oldest first, as
    stream.changes_after gives them, rendering only the ones not rendered before.

    One small query says which (update, sequence) pairs are wanted; the updates whose current
    version is not in the cache are then read with everything they show and rendered. An
    update edited between the two reads has moved past the first read's numbers: it is left
    out, as a change superseded by a later one is (the later one reaches readers by itself).
    """
    rows = LiveUpdate.objects.filter(feed_id=feed_id)
    if sequences is not None:
        rows = rows.filter(sequence__in=sequences).order_by("sequence")
    else:
        rows = rows.changed_after(after)
    if limit is not None:
        rows = rows[:limit]
    wanted = list(rows.values_list("pk", "sequence"))
    with _lock:
        missing = [pk for pk, sequence in wanted if (pk, sequence) not in _cache]
    if missing:
        for update in LiveUpdate.objects.filter(pk__in=missing).for_display():
            _remember(change_for(update), update.pk)
    changes = []
    with _lock:
        for key in wanted:
            change = _cache.get(key)
            if change is not None:
                _cache.move_to_end(key)
                changes.append(change)
    return changes


def _remember(change, update_id):
    _ = change.sse  # framed now, outside the lock, once for every reader
    with _lock:
        _cache[(update_id, change.sequence)] = change
        while len(_cache) > CACHE_SIZE:
            _cache.popitem(last=False)


def forget():
    """Empty the cache (tests)."""
    with _lock:
        _cache.clear()
