"""Search for the static mirror: an index of headlines that the reader's browser searches.

A mirror (newsdesk/mirror/) cannot run /search/: there is no server behind it, and the real
site may be the very address a reader cannot reach. So the site also serves
/offline-search/, a page whose script searches /offline-search/index.js in the browser; the
mirror copies both and points its search boxes there. The index holds what a reader scans
in a result list, not whole texts: the headline, the standfirst or summary, the date and the
address of every published article and live feed (about 250 bytes each, so some 2.5 MB for
10,000 articles, fetched only by a reader who searches, and compressed by any static host).

The index is a script that assigns the data, not a JSON file a script fetches: browsers
refuse fetch() from file://, and a mirror opened from a USB stick must search too.
"""

import json

from django.utils import timezone
from django.utils.formats import date_format
from wagtail.models import Site

from newsdesk.articles.models import ArticlePage
from newsdesk.live.models import LiveFeedPage

ARTICLE = "a"
LIVE_FEED = "l"


def _paths():
    """url_path -> public path, for pages of the default site (the one the mirror copies)."""
    site = Site.objects.filter(is_default_site=True).select_related("root_page").first()
    root = site.root_page.url_path if site else "/"
    return lambda url_path: url_path[len(root) - 1 :] if url_path.startswith(root) else None


def entries():
    """[[kind, path, title, text, date shown]], newest first; live feeds before articles."""
    path_of = _paths()
    found = []
    for kind, queryset, text_field in (
        (LIVE_FEED, LiveFeedPage.objects.for_readers(), "summary"),
        (ARTICLE, ArticlePage.objects.for_readers(), "standfirst"),
    ):
        rows = queryset.order_by("-first_published_at", "-pk").values_list(
            "url_path", "title", text_field, "first_published_at"
        )
        for url_path, title, text, published in rows:
            path = path_of(url_path)
            if path is None:
                continue
            shown = date_format(timezone.localtime(published), "DATE_FORMAT") if published else ""
            found.append([kind, path, title, text, shown])
    return found


def script(items):
    """The index as JavaScript: one assignment of plain JSON (valid JavaScript as it is)."""
    data = json.dumps(items, ensure_ascii=False, separators=(",", ":"))
    return f"window.newsdeskSearchIndex={data};\n"
