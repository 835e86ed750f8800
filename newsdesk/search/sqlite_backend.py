"""Wagtail's SQLite search backend, writing the reader search's postings (impact.py) too.

Every write to Wagtail's index goes through the backend's index object: the indexing tasks
(`index.insert_or_update_object`, `remove_object`), `update_index`, migrations. The postings
are written there, in the same transaction as Wagtail's entry and from the title and body
Wagtail just stored: a search never finds an entry by words it no longer holds, and finds a
newly indexed one at once. What readers may not see (drafts, restricted articles, withdrawn
updates) is still indexed and left out at search time (searcher.py), as before.
"""

from django.db import connection, transaction
from wagtail.search.backends.database.sqlite.sqlite import (
    SQLiteIndex,
    SQLiteSearchAtomicRebuilder,
    SQLiteSearchBackend,
)
from wagtail.search.models import IndexEntry
from wagtail.search.utils import get_content_type_pk

from newsdesk.search import impact

__all__ = ["ImpactSearchBackend", "SQLiteSearchBackend"]


def _tables_exist():
    """False until migration search.0005 has run (earlier migrations index through here)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'search_impact_entry'"
        )
        return cursor.fetchone() is not None


def _kind(model):
    kind = impact.kind_of(model)
    return kind if kind is not None and _tables_exist() else None


def _entries(model, pks):
    """{id: (title, body)} as Wagtail's index holds them now, for these objects."""
    rows = IndexEntry.objects.filter(
        content_type_id=get_content_type_pk(model), object_id__in=[str(pk) for pk in pks]
    ).values_list("object_id", "title", "body")
    return {int(pk): (title or "", body or "") for pk, title, body in rows}


class ImpactIndex(SQLiteIndex):
    rebuilding = False
    """Set by the rebuilder: postings are written once at the end, not chunk by chunk."""

    def add_items(self, model, objs):
        kind = _kind(model)
        if kind is None or self.rebuilding:
            return super().add_items(model, objs)
        with transaction.atomic(using=self.write_connection.alias):
            # Wagtail's write comes first, so SQLite's write lock is held before the postings'
            # blocks are read and rewritten: two indexing tasks cannot lose each other's.
            super().add_items(model, objs)
            # An object Wagtail did not index (no search fields) has no entry: removed.
            pks = [obj.pk for obj in objs]
            entries = _entries(model, pks)
            impact.replace(kind, entries, removed=[pk for pk in pks if pk not in entries])
        return None

    def delete_item(self, item):
        kind = _kind(type(item))
        with transaction.atomic(using=self.write_connection.alias):
            super().delete_item(item)
            if kind is not None:
                impact.replace(kind, {}, removed=[item.pk])

    def delete_stale_model_entries(self, model):
        super().delete_stale_model_entries(model)
        kind = _kind(model)
        if kind is not None and not self.rebuilding:
            impact.rebuild_from_index(kind)

    def reset(self):
        super().reset()
        if _tables_exist():
            for kind in impact.KINDS.values():
                impact.rebuild(kind, {})


class Rebuilder(SQLiteSearchAtomicRebuilder):
    """`update_index`: Wagtail's entries first, then every posting scored afresh against
    the final average lengths, in the rebuild's transaction."""

    def start(self):
        self.index.rebuilding = True
        return super().start()

    def finish(self):
        self.index.rebuilding = False
        if _tables_exist():
            for kind in impact.KINDS.values():
                impact.rebuild_from_index(kind)
        super().finish()


class ImpactSearchBackend(SQLiteSearchBackend):
    writes_postings = True
    """What searcher.py asks before reading the postings: another backend leaves them stale."""

    index_class = ImpactIndex
    rebuilder_class = Rebuilder
    atomic_rebuilder_class = Rebuilder
