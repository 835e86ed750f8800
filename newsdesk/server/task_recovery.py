"""Task results left RUNNING by a worker that died.

django-tasks-db marks a result RUNNING when a worker claims it and never looks at it again, so
a worker killed mid-task (kill -9, the OOM killer, a power cut) leaves a row that says RUNNING
forever: the admin and `newsdesk narrate --wait` would show a task that nothing runs. `newsdesk
worker` names its task loop after its host and process id (the name narration jobs record
too), so a worker on the same machine can tell that the process holding a task is gone and
record the task as failed. The work is not lost: each job's own row (a Narration, say) is
queued again, as a new task, by that job's recovery (narration.actions.recover_stalled).
Workers on other machines are left alone: only they know whether they still run it.
"""

import logging

from django.utils import timezone

from newsdesk.narration.actions import worker_is_dead

logger = logging.getLogger(__name__)

ABANDONED = "newsdesk.server.task_recovery.WorkerDied"
"""What the failed result names as its exception: there is no traceback to keep."""


def fail_abandoned_tasks():
    """Mark as failed the RUNNING task results whose worker process no longer exists."""
    from django_tasks_db.models import DBTaskResult

    failed = 0
    for result in DBTaskResult.objects.running().only("id", "worker_ids"):
        worker = result.worker_ids[-1] if result.worker_ids else ""
        if not worker_is_dead(worker):
            continue
        # Conditional, so a result that finished meanwhile keeps what it recorded.
        failed += (
            DBTaskResult.objects.running()
            .filter(pk=result.pk)
            .update(
                status="FAILED",
                finished_at=timezone.now(),
                exception_class_path=ABANDONED,
                traceback=f"The worker {worker} died while running this task.",
                return_value=None,
            )
        )
        logger.warning("Task %s was abandoned by worker %s; marked failed", result.pk, worker)
    return failed
