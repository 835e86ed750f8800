"""This process's page cache: the store, its listener, and what dropping pages does."""

from django.conf import settings

from newsdesk.core import sites
from newsdesk.pagecache import channel, purge
from newsdesk.pagecache.kinds import EVERY_PAGE
from newsdesk.pagecache.store import LocalStore

store = LocalStore(settings.NEWSDESK_CACHE_MAX_BYTES)


def drop(tags):
    """Drop this process's pages carrying any of the tags and purge them in front."""
    keys = store.invalidate(tags)
    if EVERY_PAGE in tags or any(f"page:{pk}" in tags for pk in sites.root_page_ids()):
        sites.forget()  # a Site or a home page changed in some process
    purge.request_purge(keys)
    return keys


listener = channel.Listener(drop)
