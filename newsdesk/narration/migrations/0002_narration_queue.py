"""Narration tasks already queued move to the narration queue (newsdesk/server/taskloops.py),
so that after an upgrade a backlog of them cannot hold up the quick tasks behind it."""

from django.db import migrations

NARRATE = "newsdesk.narration.tasks.narrate"


def to_narration_queue(apps, schema_editor):
    results = apps.get_model("django_tasks_database", "DBTaskResult").objects.using(
        schema_editor.connection.alias
    )
    results.filter(task_path=NARRATE, status="READY").update(queue_name="narration", priority=-10)


def to_default_queue(apps, schema_editor):
    results = apps.get_model("django_tasks_database", "DBTaskResult").objects.using(
        schema_editor.connection.alias
    )
    results.filter(task_path=NARRATE, status="READY").update(queue_name="default", priority=0)


class Migration(migrations.Migration):
    dependencies = [
        ("narration", "0001_initial"),
        ("django_tasks_database", "0021_conditional_partial_index_ordering"),
    ]

    operations = [migrations.RunPython(to_narration_queue, to_default_queue)]
