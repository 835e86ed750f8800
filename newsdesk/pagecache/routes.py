"""Which kind of page cache entry a path is, from the URL configuration itself (urls.py).

A path is resolved the way Django will resolve it, and its URL name gives the kind (kinds.py),
so the cache and the URL table cannot disagree. Files (static and media) and what Django would
not find (a 404, or a redirect to add a slash) are settled without a name. A path is resolved
once: the answers for the most recent paths are kept (a resolve costs tens of microseconds,
more than a whole cached answer).
"""

from functools import lru_cache

from django.conf import settings
from django.core.signals import setting_changed
from django.dispatch import receiver
from django.urls import Resolver404, resolve

from newsdesk.pagecache.kinds import OTHER, Kind, kind_for

REMEMBERED_PATHS = 4096


def kind_of(path: str) -> Kind | None:
    """The kind of a reader URL, OTHER for unknown paths, None for what bypasses the cache."""
    return _kind_of(path)


@lru_cache(maxsize=REMEMBERED_PATHS)
def _kind_of(path):
    if path.startswith(settings.STATIC_URL):
        return None  # servestatic answers in Django's middleware, before any URL
    try:
        match = resolve(path)
    except Resolver404:
        return OTHER  # a 404 or a slash to append: rendered, limited, never stored
    return kind_for(match.url_name, path)


@receiver(setting_changed)
def _forget(setting, **kwargs):
    if setting in ("ROOT_URLCONF", "STATIC_URL", "MEDIA_URL"):
        _kind_of.cache_clear()
