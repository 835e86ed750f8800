"""The most relevant matches from SQLite FTS5 in one query, with the backend's own score.

Wagtail's SQLite backend (modelsearch) annotates each result with its score through a
correlated subquery that runs the full-text match again for every matching row: quadratic in
the number of matches. On the benchmark site a common word took over a second with 500
articles. Here the FTS table is queried once, restricted to the rows the reader may see,
ordered by BM25 × (1 + title_norm), as modelsearch computes it, times HEADLINE_BOOST when
the title holds every term (postings.HEADLINE_BOOST), and cut at the limit. Used only when the
default backend is that SQLite backend, for models without postings of their own (impact.py);
PostgreSQL and other backends go through Wagtail's search API (searcher.py).

Terms are plain letters and digits (query.parse), so quoting each one makes a valid FTS5
phrase; the whole MATCH expression is a query parameter, never part of the SQL.
"""

from django.db import connection
from django.db.models.expressions import RawSQL
from wagtail.search.utils import get_descendants_content_types_pks

from newsdesk.search.postings import HEADLINE_BOOST


def applies(backend):
    if connection.vendor != "sqlite":
        return False
    # Importable only on SQLite: the module looks up the FTS model when it loads.
    from wagtail.search.backends.database.sqlite.sqlite import SQLiteSearchBackend

    return isinstance(backend, SQLiteSearchBackend)


def match_expression(terms, columns="title body"):
    """Every term, in the title or body columns, as modelsearch's own queries ask."""
    return "{" + columns + "} : (" + " AND ".join(f'"{term}"' for term in terms) + ")"


def best_matches(queryset, terms, limit):
    """([(pk, score)] best first, at most `limit`; the number of all matches) in queryset,
    from Wagtail's own FTS table, with its title_norm weighting. Reader search reads articles
    and live updates from its own postings instead (impact.py); this serves other models (the
    read API searches any page type)."""
    from wagtail.search.models import IndexEntry, SQLiteFTSIndexEntry

    fts, entries = SQLiteFTSIndexEntry._meta.db_table, IndexEntry._meta.db_table
    # Visibility is checked per match (a primary-key lookup), not by listing every visible
    # row first: that cost 10 ms on 10,000 articles even when one article matched. The
    # models searched have integer primary keys; the index stores them as text.
    visible = queryset.order_by().filter(pk=RawSQL("CAST(entry.object_id AS INTEGER)", []))
    visible_sql, visible_params = visible.values("pk").query.sql_with_params()
    content_types = get_descendants_content_types_pks(queryset.model)
    placeholders = ", ".join(["%s"] * len(content_types))
    # CROSS JOIN fixes the join order in SQLite: the full-text match drives, once. Left to the
    # planner, a COUNT of these rows scanned the entries and re-ran the match for each.
    where = (
        f"FROM {fts} CROSS JOIN {entries} AS entry ON entry.id = {fts}.rowid "
        f"WHERE {fts} MATCH %s AND entry.content_type_id IN ({placeholders}) "
        f"AND EXISTS ({visible_sql})"
    )
    params = [match_expression(terms), *content_types, *visible_params]
    # The matches are found and scored once (a materialised CTE: bm25() cannot be called in
    # a window query), then both cut to the best and counted.
    sql = (
        f"WITH matches AS MATERIALIZED (SELECT entry.object_id AS pk, "  # noqa: S608 - table names from models; values are parameters
        f"bm25({fts}) * (entry.title_norm + 1.0) * CASE WHEN entry.id IN (SELECT rowid FROM {fts} "
        f"WHERE {fts} MATCH %s) THEN {HEADLINE_BOOST} ELSE 1.0 END AS score {where}) "
        "SELECT pk, score, (SELECT COUNT(*) FROM matches) FROM matches "
        "ORDER BY score, pk LIMIT %s"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [match_expression(terms, columns="title"), *params, limit])
        rows = cursor.fetchall()
    count = rows[0][2] if rows else 0
    return [(int(pk), score) for pk, score, _ in rows], count
