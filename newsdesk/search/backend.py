"""The search backend in WAGTAILSEARCH_BACKENDS: Wagtail's database backend, which on SQLite
also keeps the reader search's postings (impact.py) in step with Wagtail's own index
(sqlite_backend.py). PostgreSQL, and SQLite without FTS5, get Wagtail's backend as it is.
"""

from django.db import connection
from wagtail.search.backends.database import SearchBackend as database_backend


def SearchBackend(params):  # noqa: N802 - the name Wagtail looks up in a backend module
    backend = database_backend(params)
    if connection.vendor != "sqlite":
        return backend
    # Importable only on SQLite with FTS5: Wagtail's module looks up its FTS model on import.
    from newsdesk.search.sqlite_backend import ImpactSearchBackend, SQLiteSearchBackend

    if not isinstance(backend, SQLiteSearchBackend):
        return backend
    return ImpactSearchBackend(params)
