from django_tasks import task

from newsdesk.narration import actions


@task()
def narrate(kind, pk):
    """Narrate an article ("article") or a live feed's briefing ("briefing")."""
    return actions.run_job(kind, pk)
