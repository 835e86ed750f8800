"""The page cache's kinds come from the URL configuration (newsdesk/pagecache/routes.py): every
named URL has a kind or is listed as never cached, and reader URLs get the kind they had when
kinds.py kept its own table of patterns. Needs no database."""

import pytest
from django.urls import URLPattern, URLResolver, get_resolver

from newsdesk.pagecache import kinds
from newsdesk.pagecache.routes import kind_of

EDITORS_AND_APIS = ("admin/", "documents/", "desk/", "api/v2/", "api/live/")
"""Included URL tables that are never cached: their URLs resolve to names not in kinds.py."""


def named_urls(patterns=None, prefix=""):
    """(route, name) of every named URL outside the editors' and APIs' includes."""
    for pattern in patterns if patterns is not None else get_resolver().url_patterns:
        route = prefix + str(pattern.pattern)
        if isinstance(pattern, URLResolver):
            if route not in EDITORS_AND_APIS:
                yield from named_urls(pattern.url_patterns, route)
        elif isinstance(pattern, URLPattern) and pattern.name:
            yield route, pattern.name


def test_every_named_url_has_a_kind_or_is_never_cached():
    found = dict(named_urls())
    assert len(found) > 20, found
    missing = {
        route: name
        for route, name in found.items()
        if name not in kinds.BY_URL_NAME and name not in kinds.NOT_CACHED and name != kinds.PAGE
    }
    assert not missing, f"add these URL names to kinds.BY_URL_NAME or kinds.NOT_CACHED: {missing}"
    # And the tables name nothing that is gone from the URL configuration.
    assert set(kinds.BY_URL_NAME) | kinds.NOT_CACHED <= set(found.values())


@pytest.mark.parametrize(
    ("path", "kind"),
    [
        ("/", kinds.HOME),
        ("/news/", kinds.NEWS),
        ("/news/grid-repaired/", kinds.ARTICLE),
        ("/live/", kinds.LIVE_INDEX),
        ("/live/storm/", kinds.LIVE),
        ("/live/storm/updates/12/", kinds.LIVE_UPDATE),
        ("/live/storm/rss.xml", kinds.LIVE_FEED),
        ("/authors/olena/", kinds.AUTHOR),
        ("/authors/olena/atom.xml", kinds.AUTHOR_FEED),
        ("/topics/energy/", kinds.TOPIC),
        ("/topics/energy/feed.json", kinds.TOPIC_FEED),
        ("/feeds/rss.xml", kinds.SITE_FEED),
        ("/feeds/atom.xml", kinds.SITE_FEED),
        ("/feeds/feed.json", kinds.SITE_FEED),
        ("/feeds/podcast.xml", kinds.PODCAST),
        ("/sitemap.xml", kinds.SITEMAP),
        ("/sitemap-articles.xml", kinds.SITEMAP),
        ("/news-sitemap.xml", kinds.SITEMAP),
        ("/robots.txt", kinds.ROBOTS),
        ("/search/", kinds.SEARCH),
        ("/offline-search/", kinds.OFFLINE_SEARCH),
        ("/offline-search/index.js", kinds.OFFLINE_SEARCH),
        # Not reader URLs Newsdesk knows: rendered through the render limit, never stored.
        ("/about/", kinds.OTHER),
        ("/news/a/b/", kinds.OTHER),
        ("/no-such-thing", kinds.OTHER),
        ("/feeds/podcast-cover.png", kinds.OTHER),
    ],
)
def test_reader_urls_have_their_kind(path, kind):
    assert kind_of(path) is kind
