"""Put the live updates posted before search existed into the search index.

Making LiveUpdate index.Indexed changes no table, so there is no schema migration; but the
index only learns of rows as they are saved, and older updates would never be found. This
indexes them once. Historical models carry no search configuration, so rows are read through
the historical model and indexed as unsaved instances of the current class holding only the
searched fields (the current class must still have those three fields; if one is ever
removed, this migration can become a no-op).
"""

from django.db import migrations

BATCH = 500
FIELDS = ("pk", "headline", "body", "source_name")


def index_existing_updates(apps, schema_editor):
    historical = apps.get_model("live", "LiveUpdate")
    rows = historical.objects.using(schema_editor.connection.alias).values_list(*FIELDS)
    if not rows.exists():
        return
    from wagtail.search.backends import get_search_backend

    from newsdesk.live.models import LiveUpdate

    backend = get_search_backend()
    batch = []
    for row in rows.order_by("pk").iterator(chunk_size=BATCH):
        batch.append(LiveUpdate(**dict(zip(("id", *FIELDS[1:]), row, strict=True))))
        if len(batch) == BATCH:
            backend.add_bulk(LiveUpdate, batch)
            batch = []
    if batch:
        backend.add_bulk(LiveUpdate, batch)


class Migration(migrations.Migration):
    dependencies = [
        ("live", "0002_live_index"),
        ("wagtailsearch", "0010_add_text_fields"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(index_existing_updates, migrations.RunPython.noop)]
