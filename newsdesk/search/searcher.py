"""Search over published articles and visible live updates, through Wagtail's search backend.

Wagtail's database backend (WAGTAILSEARCH_BACKENDS) runs on SQLite FTS5 or PostgreSQL full
text. Each kind is searched on its own, most relevant first, and the best CANDIDATES of each
are merged and re-ranked in Python with a recency boost (ranking.py). Only the ten results of
the page being shown are then loaded in full, for their snippets. On SQLite the candidates
of both kinds come from Newsdesk's own postings (impact.py), scored all at once, instead of
the backend's much slower scoring; other page types from one direct FTS5 query (fts.py).
"""

import hashlib
from dataclasses import dataclass, field
from datetime import datetime

from django.conf import settings
from django.core.cache import cache
from django.core.paginator import Page, Paginator
from django.db import connection
from django.db.models import Count, Window
from django.utils import timezone
from django.utils.safestring import SafeString, mark_safe
from wagtail.search.backends import get_search_backend

from newsdesk.articles.models import ArticlePage
from newsdesk.core import restrictions, sites
from newsdesk.core.plaintext import html_to_line
from newsdesk.live.models import LiveFeedPage, LiveUpdate
from newsdesk.pagecache.models import Invalidation
from newsdesk.search import fts, highlight, impact
from newsdesk.search.models import IndexState
from newsdesk.search.query import Query
from newsdesk.search.ranking import Candidate, rank

PAGE_SIZE = 10
CANDIDATES = 200
"""Per kind. Bounds the work of a query whatever it matches: at most 2 × CANDIDATES rows are
ranked, and only PAGE_SIZE are loaded in full."""

KEEP_SECONDS = 600
"""How long a search's candidates are kept (they are dropped sooner by any change)."""

ARTICLE = "article"
LIVE_UPDATE = "live_update"


@dataclass
class Hit:
    kind: str
    url: str
    title: str
    title_html: SafeString
    snippet_html: SafeString
    published: datetime | None
    context: str = ""
    """For a live update, the title of its feed."""


@dataclass
class Results:
    query: Query
    count: int
    """Every match, also those beyond the candidate set."""
    page: Page
    ranked: int = 0
    """How many results can be paged through (at most 2 × CANDIDATES)."""
    hits: list[Hit] = field(default_factory=list)

    @property
    def truncated(self):
        return self.count > self.ranked


def article_queryset():
    return ArticlePage.objects.for_readers()


def live_update_queryset():
    """Updates readers see, on feeds readers can open (running or ended)."""
    feeds = LiveFeedPage.objects.for_readers().values("pk")
    return LiveUpdate.objects.visible().filter(feed__in=feeds)


NOT_LIVE_PAGES = "SELECT id FROM wagtailcore_page WHERE NOT live"
HIDDEN = (
    f"SELECT 'article', id FROM ({NOT_LIVE_PAGES}) "  # noqa: S608 - constant SQL
    "UNION ALL SELECT 'live_update', id FROM live_liveupdate "
    "WHERE NOT is_published OR deleted_at IS NOT NULL "
    "UNION ALL SELECT 'live_update', id FROM live_liveupdate "
    f"WHERE feed_id IN ({NOT_LIVE_PAGES})"
)
"""What readers may not see, as ids: articles (and other pages) that are not live; updates
that are drafts, withdrawn, or on feeds that are not live. Each part reads a partial index
(migration search.0005) or the updates' feed index, not every row: few are hidden."""


def hidden_ids():
    """{kind: ids} that article_queryset() and live_update_queryset() leave out, in one query
    (two more when the site has view restrictions)."""
    hidden = {ARTICLE: [], LIVE_UPDATE: []}
    with connection.cursor() as cursor:
        cursor.execute(HIDDEN)
        for kind, pk in cursor.fetchall():
            hidden[kind].append(pk)
    if restrictions.all_restrictions():
        hidden[ARTICLE] += ArticlePage.objects.not_public().values_list("pk", flat=True)
        feeds = LiveFeedPage.objects.not_public().values("pk")
        hidden[LIVE_UPDATE] += LiveUpdate.objects.filter(feed__in=feeds).values_list(
            "pk", flat=True
        )
    return hidden


IMPACT_KINDS = {
    ARTICLE: impact.KINDS["articles", "articlepage"],
    LIVE_UPDATE: impact.KINDS["live", "liveupdate"],
}


def _found(query):
    """(candidates of both kinds, the number of all matches)."""
    if not getattr(get_search_backend(), "writes_postings", False):
        articles, article_count = _candidates(
            ARTICLE, article_queryset(), "first_published_at", query
        )
        updates, update_count = _candidates(
            LIVE_UPDATE, live_update_queryset(), "published_at", query
        )
        return articles + updates, article_count + update_count
    # SQLite, through Newsdesk's backend (sqlite_backend.py): the postings it writes
    # (impact.py), both kinds at once.
    names = {number: kind for kind, number in IMPACT_KINDS.items()}

    def hidden():
        return {IMPACT_KINDS[kind]: ids for kind, ids in hidden_ids().items()}

    found = impact.best(list(names), query.terms, CANDIDATES, hidden)
    # Only the dates: the candidates are already what readers may see.
    dates = impact.published(
        (number, pk) for number, (scored, _) in found.items() for pk, _ in scored
    )
    candidates = [
        Candidate(names[number], pk, score, dates.get((number, pk)))
        for number, (scored, _) in found.items()
        for pk, score in scored
    ]
    return candidates, sum(count for _, count in found.values())


def _candidates(kind, queryset, date_field, query):
    """The CANDIDATES most relevant matches in queryset, and the number of all matches,
    through Wagtail's search backend (or its FTS table on SQLite, fts.py)."""
    backend = get_search_backend()
    if fts.applies(backend):
        scored, count = fts.best_matches(queryset, query.terms, CANDIDATES)
        ids = [pk for pk, _ in scored]
        dates = dict(queryset.filter(pk__in=ids).values_list("pk", date_field))
        return [Candidate(kind, pk, score, dates.get(pk)) for pk, score in scored], count
    # The window count is taken over every match before the slice, in the same query.
    counted = queryset.only("pk", date_field).annotate(_matches=Window(Count("pk")))
    matches = backend.search(
        query.backend_query, counted, operator="and", order_by_relevance=True
    ).annotate_score("_score")
    rows = list(matches[:CANDIDATES])
    found = [Candidate(kind, row.pk, row._score, getattr(row, date_field)) for row in rows]
    return found, rows[0]._matches if rows else 0


def generation():
    """What a search's candidates depend on besides its words: the newest page cache
    invalidation (every publish, unpublish, live update change, view restriction) and the
    search index's change counter (models.IndexState). None when that cannot be known: with
    NEWSDESK_CACHE=false no invalidation is recorded; before the counter's first write after
    a flush it has no row. Then nothing is kept."""
    if not settings.NEWSDESK_CACHE:
        return None
    invalidations = Invalidation._meta.db_table
    state = IndexState._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT (SELECT MAX(id) FROM {invalidations}), "  # noqa: S608 - table names from models
            f"(SELECT MAX(generation) FROM {state})"
        )
        newest, counter = cursor.fetchone()
    return None if counter is None else (newest, counter)


def _kept(query, stamp):
    """_found(), kept in the cache under the generation it was read at.

    The generation is read before the candidates, so what is kept under it is never older
    than it; any change a reader could see in the results moves the generation, and the next
    search reads afresh. A repeated search costs one small query.
    """
    if stamp is None or connection.in_atomic_block:
        # In a transaction the search may see writes that are later rolled back, and the
        # generation with them: what it found must not be kept under that number.
        return _found(query)
    words = " ".join(query.terms)
    key = "search:" + hashlib.sha256(f"{stamp} {words}".encode()).hexdigest()
    kept = cache.get(key)
    if kept is not None:
        rows, count = kept
        return [Candidate(*row) for row in rows], count
    candidates, count = _found(query)
    # Kept as plain tuples: pickling 400 dataclasses cost four times as much.
    rows = [(c.kind, c.pk, c.raw_score, c.published) for c in candidates]
    cache.set(key, (rows, count), KEEP_SECONDS)
    return candidates, count


def ranked_pages(queryset, query):
    """Ids of the pages in `queryset` that match `query`, best first, as reader search ranks
    them (relevance, then the recency boost; at most CANDIDATES). For the read API's
    `?search=` (newsdesk.readapi), which pages any page type this way."""
    found, _ = _candidates("page", queryset, "first_published_at", query)
    return [candidate.pk for candidate in rank(found, timezone.now())]


def search(query, page_number=None, request=None):
    """One page of results, best first. `query` must have terms (see query.parse)."""
    if request is not None and not hasattr(request, "_wagtail_site"):
        # The results' addresses need the request's Site: from this process's memo, as
        # pages are served (core/sites.py), not a query per search.
        sites.attach_site(request)
    # View restrictions are read once for the whole search, not once per queryset.
    with restrictions.serving():
        candidates, count = _kept(query, generation())
        ranked = rank(candidates, timezone.now())
        page = Paginator(ranked, PAGE_SIZE).get_page(page_number)
        results = Results(query, count, page, ranked=len(ranked))
        results.hits = _hits(page.object_list, query, request)
    return results


ARTICLE_FIELDS = ("title", "url_path", "first_published_at", "standfirst", "body")
UPDATE_FIELDS = ("feed_id", "headline", "body", "source_name", "published_at")
FEED_FIELDS = ("feed__title", "feed__url_path", "feed__path", "feed__live")


def _hits(candidates, query, request):
    """The page's candidates loaded in full, in rank order, as what the reader sees.

    Loaded through the readers' rules again (kept candidates never outlive a change, and this
    says so again for the ten shown), with only the columns a result shows."""
    article_ids = [c.pk for c in candidates if c.kind == ARTICLE]
    update_ids = [c.pk for c in candidates if c.kind == LIVE_UPDATE]
    loaded = {}
    if article_ids:
        articles = article_queryset().filter(pk__in=article_ids).only(*ARTICLE_FIELDS)
        for article in articles:
            loaded[ARTICLE, article.pk] = _article_hit(article, query, request)
    if update_ids:
        loaded.update(_update_hits(update_ids, query, request))
    return [loaded[c.kind, c.pk] for c in candidates if (c.kind, c.pk) in loaded]


def _update_hits(ids, query, request):
    """{(LIVE_UPDATE, id): hit} for the visible ones among these updates.

    The feed is checked here as live_update_queryset() checks it (published, not behind a
    view restriction), on the feed row loaded with the update: the queryset's subquery of
    every open feed made SQLite read every page. Each feed's address is worked out once."""
    updates = LiveUpdate.objects.visible().filter(pk__in=ids).select_related("feed")
    feed_urls = {}
    hits = {}
    for update in updates.only(*UPDATE_FIELDS, *FEED_FIELDS):
        feed = update.feed
        if not (feed.live and restrictions.is_public(feed)):
            continue
        if feed.pk not in feed_urls:
            feed_urls[feed.pk] = feed.get_url(request)
        url = f"{feed_urls[feed.pk]}updates/{update.pk}/"  # as LiveUpdate.get_absolute_url()
        hits[LIVE_UPDATE, update.pk] = _update_hit(update, url, query)
    return hits


def _marked(text, query):
    # highlight() escapes everything it is given and adds only <mark> tags.
    return mark_safe(highlight.highlight(text, highlight.matcher(query.terms)))  # noqa: S308 - escaped in highlight()


def _snippet(text, query):
    return mark_safe(highlight.snippet(text, query.terms))  # noqa: S308 - escaped in snippet()


def article_text(article):
    """Standfirst, paragraphs, headings and quotations, as plain text for the snippet."""
    return "\n".join(_article_parts(article))


def _article_parts(article):
    """article_text(), a block at a time.

    Like articles.blocks.readable_text, but read from the body's stored JSON: converting the
    blocks would fetch the images of image blocks (one query per article) for nothing. And
    inline markup leaves no gap ("<i>today</i>." reads "today.", not "today .").
    """
    if article.standfirst:
        yield article.standfirst
    for block in article.body.raw_data:
        value = block["value"]
        text = value.get("text", "") if isinstance(value, dict) else str(value)
        if block["type"] == "paragraph":  # a plain string in rows older than ParagraphBlock
            text = html_to_line(text)
        elif block["type"] not in ("heading", "quote"):
            continue
        if text:
            yield text


def _article_snippet(article, query):
    """The snippet of article_text(), converting only the blocks up to the first match and
    enough after it for the window: the snippet is the same as from the whole text, and the
    rest of a long article is never turned from HTML into text."""
    pattern = highlight.matcher(query.terms)
    parts, matched = [], None
    for part in _article_parts(article):
        parts.append(part)
        if matched is None and pattern and pattern.search(part):
            matched = len(parts) - 1
        if matched is not None and sum(map(len, parts[matched:])) > 2 * highlight.SNIPPET_CHARS:
            break
    return _snippet("\n".join(parts), query)


def _article_hit(article, query, request):
    return Hit(
        kind=ARTICLE,
        url=article.get_url(request),
        title=article.title,
        title_html=_marked(article.title, query),
        snippet_html=_article_snippet(article, query),
        published=article.first_published_at,
    )


def _update_hit(update, url, query):
    text = html_to_line(update.body) or update.source_name
    return Hit(
        kind=LIVE_UPDATE,
        url=url,
        title=update.headline,
        title_html=_marked(update.headline, query),
        snippet_html=_snippet(text, query),
        published=update.published_at,
        context=update.feed.title,
    )
