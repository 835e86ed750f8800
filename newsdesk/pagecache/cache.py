"""This process's page cache: the store, its listener, and what dropping pages does."""

from django.conf import settings

from newsdesk.pagecache import channel, purge
from newsdesk.pagecache.store import LocalStore

store = LocalStore(settings.NEWSDESK_CACHE_MAX_BYTES)


def drop(tags):
    """Drop this process's pages carrying any of the tags and purge them in front."""
    keys = store.invalidate(tags)
    purge.request_purge(keys)
    return keys


listener = channel.Listener(drop)
