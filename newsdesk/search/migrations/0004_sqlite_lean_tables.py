"""Lean full-text tables for reader search on SQLite, and a change counter on every database.

Wagtail's SQLite backend keeps one FTS5 table for every indexed model, with an autocomplete
column and a row id that has to be joined back to the entry for its model and object id.
Scoring a common word there (BM25 over the 11,000 entries that hold it, each joined and
checked for visibility) cost about 50 ms on the benchmark site. search/fts.py reads these
two tables instead: contentless FTS5 tables holding only title and body, one for articles and
one for live updates, whose row id *is* the article's or the update's id.

Triggers on Wagtail's index table fill them, in the same statement as Wagtail's own write:
they hold what Wagtail's index holds, no later and no sooner, whatever writes it (the
indexing tasks, `update_index`, migrations). A contentless table forgets the text it
indexed, so a removal names the old values, which the trigger has. Updates of other columns
(Wagtail rewrites every entry's `title_norm` as the average title length moves) change
nothing here and fire nothing.

On every database, triggers also bump `search_indexstate.generation` whenever Wagtail's
index table changes (search/models.py), so stored search candidates know when they are old.
"""

from django.db import migrations, models

TABLES = {
    "search_article_fts": ("articles", "articlepage"),
    "search_update_fts": ("live", "liveupdate"),
}
ENTRIES = "wagtailsearch_indexentry"


def _statements(table, app_label, model):
    kind = (
        f"(SELECT id FROM django_content_type WHERE app_label = '{app_label}' "
        f"AND model = '{model}')"
    )
    add = (
        f"INSERT INTO {table}(rowid, title, body) SELECT CAST(new.object_id AS INTEGER), "
        f"new.title, coalesce(new.body, '') WHERE new.content_type_id = {kind};"
    )
    remove = (
        f"INSERT INTO {table}({table}, rowid, title, body) SELECT 'delete', "
        "CAST(old.object_id AS INTEGER), old.title, coalesce(old.body, '') "
        f"WHERE old.content_type_id = {kind};"
    )
    return [
        f"CREATE VIRTUAL TABLE {table} USING fts5(title, body, content='')",
        f"CREATE TRIGGER {table}_ai AFTER INSERT ON {ENTRIES} BEGIN {add} END",
        f"CREATE TRIGGER {table}_ad AFTER DELETE ON {ENTRIES} BEGIN {remove} END",
        f"CREATE TRIGGER {table}_au AFTER UPDATE OF title, body, content_type_id, object_id ON {ENTRIES} BEGIN {remove} {add} END",
        f"INSERT INTO {table}(rowid, title, body) SELECT CAST(object_id AS INTEGER), title, "
        f"coalesce(body, '') FROM {ENTRIES} WHERE content_type_id = {kind}",
    ]


COUNTER = (
    # An upsert, so that a flushed table (tests, `flush`) starts counting again by itself.
    "INSERT INTO search_indexstate (id, generation) VALUES (1, 1) "
    "ON CONFLICT (id) DO UPDATE SET generation = search_indexstate.generation + 1"
)
SQLITE_COUNTER = [
    f"CREATE TRIGGER search_indexstate_{event[:2].lower()} AFTER {event} ON {ENTRIES} "
    f"BEGIN {COUNTER}; END"
    for event in ("INSERT", "DELETE", "UPDATE OF title, body, content_type_id, object_id")
]
POSTGRES_COUNTER = [
    "CREATE FUNCTION search_indexstate_bump() RETURNS trigger LANGUAGE plpgsql AS "
    f"$$ BEGIN {COUNTER}; RETURN NULL; END $$",
    # Once per statement: a rebuild that rewrites every entry bumps it once.
    "CREATE TRIGGER search_indexstate_bump AFTER INSERT OR DELETE OR TRUNCATE OR UPDATE OF "
    f"title, body, content_type_id, object_id ON {ENTRIES} "
    "FOR EACH STATEMENT EXECUTE FUNCTION search_indexstate_bump()",
]


def create(apps, schema_editor):
    apps.get_model("search", "IndexState").objects.create(pk=1, generation=0)
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        for statement in POSTGRES_COUNTER:
            schema_editor.execute(statement)
    if vendor != "sqlite":
        return
    for statement in SQLITE_COUNTER:
        schema_editor.execute(statement)
    for table, (app_label, model) in TABLES.items():
        for statement in _statements(table, app_label, model):
            schema_editor.execute(statement)


def drop(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"DROP TRIGGER IF EXISTS search_indexstate_bump ON {ENTRIES}")
        schema_editor.execute("DROP FUNCTION IF EXISTS search_indexstate_bump()")
    if schema_editor.connection.vendor != "sqlite":
        return
    for event in ("in", "de", "up"):
        schema_editor.execute(f"DROP TRIGGER IF EXISTS search_indexstate_{event}")
    for table in TABLES:
        for suffix in ("ai", "ad", "au"):
            schema_editor.execute(f"DROP TRIGGER IF EXISTS {table}_{suffix}")
        schema_editor.execute(f"DROP TABLE IF EXISTS {table}")


class Migration(migrations.Migration):
    dependencies = [
        ("search", "0003_index_live_headlines_as_titles"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("wagtailsearch", "0010_add_text_fields"),
    ]

    operations = [
        migrations.CreateModel(
            name="IndexState",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("generation", models.BigIntegerField(default=0)),
            ],
            options={"verbose_name": "search index state"},
        ),
        migrations.RunPython(create, drop),
    ]
