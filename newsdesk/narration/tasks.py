from django_tasks import task

from newsdesk.narration import actions

NARRATION_QUEUE = "narration"
"""Served by a task loop of its own (newsdesk/server/taskloops.py)."""
NARRATION_PRIORITY = -10
"""Below the default (0): a loop that serves every queue takes everything else first."""


# A queue of its own and a low priority: a narration takes seconds to minutes, and search
# index updates must not wait behind it (newsdesk/server/taskloops.py).
@task(queue_name=NARRATION_QUEUE, priority=NARRATION_PRIORITY)
def narrate(kind, pk):
    """Narrate an article ("article") or a live feed's briefing ("briefing")."""
    return actions.run_job(kind, pk)
