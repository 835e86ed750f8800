from django_tasks import task

from newsdesk.narration import actions
from newsdesk.server.taskloops import NARRATION_PRIORITY, NARRATION_QUEUE


# A queue of its own and a low priority: a narration takes seconds to minutes, and search
# index updates must not wait behind it (newsdesk/server/taskloops.py).
@task(queue_name=NARRATION_QUEUE, priority=NARRATION_PRIORITY)
def narrate(kind, pk):
    """Narrate an article ("article") or a live feed's briefing ("briefing")."""
    return actions.run_job(kind, pk)
