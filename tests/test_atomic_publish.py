"""An admin publish commits whole or not at all: the page, its cache invalidation, the
narration job and its task (core/middleware.py AtomicPageWritesMiddleware). Killing the
server in the middle is reliability/publish_kill.py; here a failure after the page row was
written stands in for the kill."""

import pytest
from asgiref.sync import async_to_sync
from django.test import AsyncClient
from django_tasks_db.models import DBTaskResult
from wagtail.signals import page_published

from newsdesk.accounts import roles
from newsdesk.articles.models import ArticlePage
from newsdesk.narration.models import AudioStatus, Narration
from newsdesk.pagecache.models import Invalidation
from tests.factories import make_author
from tests.test_editorial import add_url, article_form

pytestmark = pytest.mark.django_db

SLUG = "council-approves-new-shelters"


class AsyncPoster:
    """The signed-in client's session, through Django's async request handler."""

    def __init__(self, client):
        self.client = AsyncClient()
        self.client.cookies = client.cookies

    def post(self, path, data):
        return async_to_sync(self.client.post)(path, data, secure=True)


def narration_tasks():
    return DBTaskResult.objects.filter(task_path="newsdesk.narration.tasks.narrate")


def publish(client, author):
    data = article_form(author)
    data["action-publish"] = "1"
    return client.post(add_url(), data)


@pytest.mark.parametrize("mode", ["sync", "async"])
def test_a_publish_that_fails_after_the_page_was_saved_leaves_nothing(client_for, settings, mode):
    """Under ASGI (the async mode) the view runs in another thread than the event loop:
    the transaction must be opened in that thread for this to hold."""
    settings.NEWSDESK_CACHE = True
    client, _ = client_for(roles.EDITORS)
    if mode == "async":
        client = AsyncPoster(client)
    author = make_author()
    invalidations = Invalidation.objects.count()

    def crash(sender, instance, **kwargs):
        # After every receiver of ours has run: the page is live, its job and task written.
        assert Narration.objects.filter(article_id=instance.pk).exists()
        raise RuntimeError("the process dies here")

    page_published.connect(crash, dispatch_uid="test-crash")
    try:
        with pytest.raises(RuntimeError, match="the process dies here"):
            publish(client, author)
    finally:
        page_published.disconnect(dispatch_uid="test-crash")
    assert not ArticlePage.objects.filter(slug=SLUG).exists()
    assert not Narration.objects.exists()
    assert not narration_tasks().exists()
    assert Invalidation.objects.count() == invalidations


def test_a_publish_commits_the_page_with_its_narration_task(client_for):
    client, _ = client_for(roles.EDITORS)
    assert publish(client, make_author()).status_code == 302
    article = ArticlePage.objects.get(slug=SLUG)
    assert article.live
    narration = Narration.objects.get(article=article)
    assert narration.status == AudioStatus.PENDING
    (task,) = narration_tasks()
    assert str(task.id) == narration.task_id
    assert task.status == "READY"
    assert task.args_kwargs["args"] == ["article", narration.pk]
