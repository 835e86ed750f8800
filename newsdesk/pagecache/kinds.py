"""Which reader URLs are cached, what their cache key is, and what lists they show.

Pure: no Django import. A *kind* is a family of reader URLs (articles, topic pages, feeds...)
with the query parameters that change what it shows (everything else in the query string is
dropped from the key and from the request Django renders, so `?utm_source=x` or a random
cache-buster shares the entry of the bare URL) and the *list tags* it depends on: lists that
can gain a story the page has never loaded (a new article joins home, a topic page, a feed).
Objects a page did load are recorded while it renders (recorder.py).
"""

import re
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
FEED_FILE = r"(?:rss\.xml|atom\.xml|feed\.json)"

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

# First match wins. Live feeds' own pages need [^/]+ so /live/x/events (the stream) and
# /live/x/updates.json (the polling API, fresh by design) never match.
ROUTES = [
    (re.compile(r"/"), HOME),
    (re.compile(r"/news/"), NEWS),
    (re.compile(r"/news/[^/]+/"), ARTICLE),
    (re.compile(r"/live/"), LIVE_INDEX),
    (re.compile(r"/live/[^/]+/"), LIVE),
    (re.compile(r"/live/[^/]+/updates/\d+/"), LIVE_UPDATE),
    (re.compile(r"/live/[^/]+/" + FEED_FILE), LIVE_FEED),
    (re.compile(r"/authors/[^/]+/"), AUTHOR),
    (re.compile(r"/authors/[^/]+/" + FEED_FILE), AUTHOR_FEED),
    (re.compile(r"/topics/[^/]+/"), TOPIC),
    (re.compile(r"/topics/[^/]+/" + FEED_FILE), TOPIC_FEED),
    (re.compile(r"/feeds/(?:rss\.xml|atom\.xml|feed\.json)"), SITE_FEED),
    (re.compile(r"/feeds/podcast\.xml"), PODCAST),
    (re.compile(r"/(?:news-)?sitemap(?:-[\w-]+)?\.xml"), SITEMAP),
    (re.compile(r"/robots\.txt"), ROBOTS),
    (re.compile(r"/search/"), SEARCH),
    (re.compile(r"/offline-search/(?:index\.js)?"), OFFLINE_SEARCH),
]

BYPASS = re.compile(
    r"/(?:admin|desk|api|documents|media|static|healthz|live/[^/]+/(?:events|updates\.json))"
    r"(?:/|$)"
)
"""Never cached nor limited: editors' screens (previews live under /admin/), APIs that must
be fresh, files (served by servestatic or with Range support), the health check."""


def kind_of(path: str) -> Kind | None:
    """The kind of a reader URL, OTHER for unknown paths, None for what bypasses the cache."""
    if BYPASS.match(path):
        return None
    for pattern, kind in ROUTES:
        if pattern.fullmatch(path):
            return kind
    return OTHER
