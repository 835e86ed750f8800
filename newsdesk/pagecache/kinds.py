"""Which reader URLs are cached, what their cache key is, and what lists they show.

Pure: no Django import (routes.py resolves a path with Django's URL configuration and asks
`kind_for` with the URL's name). A *kind* is a family of reader URLs (articles, topic pages,
feeds...) with the query parameters that change what it shows (everything else in the query
string is dropped from the key and from the request Django renders, so `?utm_source=x` or a
random cache-buster shares the entry of the bare URL) and the *list tags* it depends on: lists
that can gain a story the page has never loaded (a new article joins home, a topic page, a
feed).
Objects a page did load are recorded while it renders (recorder.py).
"""

from dataclasses import dataclass
from urllib.parse import parse_qsl, urlencode


@dataclass(frozen=True)
class Kind:
    name: str
    params: tuple[str, ...] = ()
    lists: frozenset[str] = frozenset()
    """Fixed list tags; `topic-list`/`author-list` are added from what the page loaded."""
    topic_lists: bool = False
    author_lists: bool = False
    cache: bool = True
    """False: rendered through the render limit, never stored (search, unknown paths)."""

    def key(self, path: str, query_string: bytes) -> str:
        """The path and the allowed parameters (first value of each, in a fixed order)."""
        query = self.query(query_string)
        return f"{path}?{query}" if query else path

    def query(self, query_string: bytes) -> str:
        if not self.params or not query_string:
            return ""
        found: dict[str, str] = {}
        for name, value in parse_qsl(query_string.decode("latin-1"), keep_blank_values=False):
            if name in self.params and name not in found:
                found[name] = value
        return urlencode(sorted(found.items()))


EVERY_PAGE = "every-page"
"""Carried by every entry, for the rare change that can reach any page (a view restriction
hides a page and everything under it, wherever it was shown)."""
ARTICLES = frozenset({"articles"})
LIVE_LIST = frozenset({"live-list"})
NARRATION_LIST = frozenset({"narration-list"})
"""The podcast lists narrations that have audio: one gains an episode when audio is ready."""

HOME = Kind("home", lists=ARTICLES | LIVE_LIST)
NEWS = Kind("news", params=("page",), lists=ARTICLES)
ARTICLE = Kind("article", topic_lists=True)
LIVE_INDEX = Kind("live-index", params=("page",), lists=LIVE_LIST)
LIVE = Kind("live", params=("older",))
LIVE_UPDATE = Kind("live-update")
AUTHOR = Kind("author", params=("page",), author_lists=True)
TOPIC = Kind("topic", params=("page",), topic_lists=True)
SITE_FEED = Kind("site-feed", lists=ARTICLES)
PODCAST = Kind("podcast", lists=ARTICLES | NARRATION_LIST)
TOPIC_FEED = Kind("topic-feed", topic_lists=True)
AUTHOR_FEED = Kind("author-feed", author_lists=True)
LIVE_FEED = Kind("live-feed")
SITEMAP = Kind("sitemap", params=("p",), lists=ARTICLES | LIVE_LIST)
ROBOTS = Kind("robots")
SEARCH = Kind("search", params=("q", "page"), cache=False)
OFFLINE_SEARCH = Kind("offline-search", lists=ARTICLES | LIVE_LIST)
"""The mirror's search page and its index of every headline (newsdesk/search/offline.py);
the page's ?q= is read by its script, never by the server."""
OTHER = Kind("other", cache=False)

FEED_FORMATS = ("rss", "atom", "json")
"""The formats of every feed (feeds/urls.py names its URLs "<place>-<format>")."""

BY_URL_NAME = {
    "robots": ROBOTS,
    "sitemap": SITEMAP,
    "sitemap-section": SITEMAP,
    "news-sitemap": SITEMAP,
    "search": SEARCH,
    "offline-search": OFFLINE_SEARCH,
    "offline-search-index": OFFLINE_SEARCH,
    "author": AUTHOR,
    "topic": TOPIC,
    "podcast": PODCAST,
    "podcast-cover": OTHER,
    "live-update": LIVE_UPDATE,
    **{f"site-{fmt}": SITE_FEED for fmt in FEED_FORMATS},
    **{f"topic-{fmt}": TOPIC_FEED for fmt in FEED_FORMATS},
    **{f"author-{fmt}": AUTHOR_FEED for fmt in FEED_FORMATS},
    **{f"live-{fmt}": LIVE_FEED for fmt in FEED_FORMATS},
}
"""The kind of each named reader URL in newsdesk/urls.py. A named URL not here is never
cached nor limited (NOT_CACHED: health check, APIs that must be fresh); a test fails when a
URL is in neither, so a new reader URL cannot go uncached by accident."""

NOT_CACHED = frozenset(
    {
        "healthz",
        "search-api",
        "live-updates-json",
        # The demo's own source feeds (debug only): the worker polls them, each poll fresh.
        "demo-source-feed",
        # Wagtail's sign-in forms for private pages: they set a CSRF cookie anyway.
        "wagtailcore_login",
        "wagtailcore_authenticate_with_password",
    }
)

PAGE = "wagtail_serve"
"""The URL name of Wagtail's pages, whose kind depends on where they sit in the page tree."""
PAGE_KINDS = {
    (): HOME,
    ("news",): NEWS,
    ("news", "*"): ARTICLE,
    ("live",): LIVE_INDEX,
    ("live", "*"): LIVE,
}
"""The sections that ensure_site_structure makes (core/sites.py); any other page is OTHER."""


def page_kind(path: str) -> Kind:
    """The kind of a Wagtail page at `path` ("/news/some-story/")."""
    parts = tuple(part for part in path.split("/") if part)
    kind = PAGE_KINDS.get(parts) or PAGE_KINDS.get(parts[:1] + ("*",) * (len(parts) > 1))
    return kind if kind is not None and len(parts) <= 2 else OTHER


def kind_for(url_name: str | None, path: str) -> Kind | None:
    """The kind for a resolved URL: None for named URLs that bypass the cache (editors'
    screens, APIs, files), OTHER for what is not a known reader URL."""
    if url_name == PAGE:
        return page_kind(path)
    if url_name in BY_URL_NAME:
        return BY_URL_NAME[url_name]
    return None
