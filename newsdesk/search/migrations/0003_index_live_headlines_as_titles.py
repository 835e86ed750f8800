"""Index every live update again: headlines moved from body text to the title column.

LiveUpdate now indexes its headline under the name "title" (newsdesk/live/models.py), which
both database backends keep apart and weight as a title. Entries written before still hold
the headline in their body; re-adding them rewrites each entry in place. Same procedure as
0001, which it reuses.
"""

from importlib import import_module

from django.db import migrations

first = import_module("newsdesk.search.migrations.0001_index_existing_live_updates")


class Migration(migrations.Migration):
    dependencies = [("search", "0002_postgres_title_body_index")]

    operations = [migrations.RunPython(first.index_existing_updates, migrations.RunPython.noop)]
