"""The reader search's postings on SQLite (newsdesk/search/impact.py), in place of the lean
FTS5 tables of search.0004.

The lean tables still made FTS5 compute BM25 for every match of a query; the postings keep
each entry's share of BM25 per word, written by the search backend (sqlite_backend.py) in the
transaction that writes Wagtail's entry, so a search adds them up for every match at once.
The lean tables and the triggers that filled them are dropped (the change counter's triggers
stay); the postings are computed here from what Wagtail's index holds. Going back recreates
the lean tables and fills them the same way.
"""

from importlib import import_module

from django.db import migrations

lean = import_module("newsdesk.search.migrations.0004_sqlite_lean_tables")

TABLES = [
    "CREATE TABLE search_impact (kind INTEGER NOT NULL, term TEXT NOT NULL, "
    "block INTEGER NOT NULL, data BLOB NOT NULL, PRIMARY KEY (kind, term, block)) WITHOUT ROWID",
    "CREATE TABLE search_impact_entry (kind INTEGER NOT NULL, id INTEGER NOT NULL, "
    "length INTEGER NOT NULL, terms TEXT NOT NULL, PRIMARY KEY (kind, id)) WITHOUT ROWID",
    # Narrow, so that counting a kind's entries (for idf, at every search) reads little.
    "CREATE INDEX search_impact_entry_kind ON search_impact_entry (kind)",
    # The pages and updates readers may not see, listed at every search (searcher.py),
    # without reading every row: few are hidden at any time.
    "CREATE INDEX search_page_not_live ON wagtailcore_page (id) WHERE NOT live",
    "CREATE INDEX search_update_hidden ON live_liveupdate (id) "
    "WHERE NOT is_published OR deleted_at IS NOT NULL",
]


def create(apps, schema_editor):
    if schema_editor.connection.vendor != "sqlite":
        return
    for table in lean.TABLES:
        for suffix in ("ai", "ad", "au"):
            schema_editor.execute(f"DROP TRIGGER IF EXISTS {table}_{suffix}")
        schema_editor.execute(f"DROP TABLE IF EXISTS {table}")
    for statement in TABLES:
        schema_editor.execute(statement)
    from newsdesk.search import impact

    for kind in impact.KINDS.values():
        impact.rebuild_from_index(kind)


def drop(apps, schema_editor):
    if schema_editor.connection.vendor != "sqlite":
        return
    schema_editor.execute("DROP TABLE IF EXISTS search_impact")
    schema_editor.execute("DROP TABLE IF EXISTS search_impact_entry")
    schema_editor.execute("DROP INDEX IF EXISTS search_page_not_live")
    schema_editor.execute("DROP INDEX IF EXISTS search_update_hidden")
    for table, (app_label, model) in lean.TABLES.items():
        for statement in lean._statements(table, app_label, model):
            schema_editor.execute(statement)


class Migration(migrations.Migration):
    dependencies = [("search", "0004_sqlite_lean_tables")]

    operations = [migrations.RunPython(create, drop)]
