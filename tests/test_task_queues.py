"""Quick tasks never wait behind narration (newsdesk/server/taskloops.py).

The queue is set up as after a demo load, an import or `newsdesk narrate --all`: several
narration jobs queued, then an article published, whose search-index update comes after
them. The worker's task loops are run here, in batch mode (until nothing is left for them).
"""

import pytest
from django_tasks_db.models import DBTaskResult

from newsdesk.narration import actions
from newsdesk.narration.models import Narration
from newsdesk.search import searcher
from newsdesk.search.query import parse
from newsdesk.server import taskloops
from tests.factories import ensure_site_structure, make_article, paragraphs

pytestmark = pytest.mark.django_db(transaction=True)  # the loops commit as the worker does

NARRATE = "newsdesk.narration.tasks.narrate"
INDEX = "modelsearch.tasks.insert_or_update_object_task"


@pytest.fixture
def queue():
    """Three narration jobs queued, then an article whose index update is queued after them."""
    ensure_site_structure()
    earlier = [make_article(f"Earlier story {n}") for n in range(3)]
    DBTaskResult.objects.all().delete()  # start from narration only, queued first
    for article in earlier:
        actions.enqueue("article", Narration.objects.get(article=article).pk)
    latest = make_article("Dam repaired", body=paragraphs("Engineers sealed the spillway."))
    narrations = DBTaskResult.objects.filter(task_path=NARRATE)
    indexing = DBTaskResult.objects.filter(task_path=INDEX)
    assert narrations.count() == 4 and indexing.exists()
    assert (
        narrations.order_by("enqueued_at").first().enqueued_at
        < indexing.earliest("enqueued_at").enqueued_at
    )
    return latest


def found(word):
    return [hit.title for hit in searcher.search(parse(word)).hits]


def test_narration_has_its_own_queue_at_a_low_priority(queue):
    for task in DBTaskResult.objects.filter(task_path=NARRATE):
        assert (task.queue_name, task.priority) == ("narration", taskloops.NARRATION_PRIORITY)
    assert set(
        DBTaskResult.objects.exclude(task_path=NARRATE).values_list("queue_name", flat=True)
    ) == {"default"}


def test_the_quick_loop_indexes_while_narration_waits(queue):
    assert found("spillway") == []
    loop = taskloops.quick_loop(interval=0, worker_id="test:1")
    loop.batch = True  # return once nothing is left for it
    taskloops.run(loop)
    assert found("spillway") == ["Dam repaired"]
    left = DBTaskResult.objects.exclude(status="SUCCESSFUL")
    assert set(left.values_list("task_path", flat=True)) == {NARRATE}
    assert left.count() == 4  # not one narration ran in the quick loop


def test_one_loop_over_every_queue_takes_the_index_update_before_older_narration(queue):
    loop = taskloops._worker(["*"], [], interval=0, worker_id="test:1")
    loop.batch, loop.max_tasks = True, 1
    taskloops.run(loop)
    (first,) = DBTaskResult.objects.filter(status="SUCCESSFUL")
    assert first.task_path != NARRATE
    assert not DBTaskResult.objects.filter(task_path=NARRATE).exclude(status="READY").exists()
