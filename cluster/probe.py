"""What the cluster tests do on a host, through Django with that host's settings:

    python3 -m cluster run nd-app-a -- .venv/bin/python -m cluster.probe restandfirst SLUG TEXT

Each command prints one JSON line. The tests run them with `cluster run`, so each runs in the
host's namespace, with its host name, its data directory and its database and Redis settings,
as `newsdesk shell` on that host would.
"""

import json
import os
import socket
import sys
import time


def setup():
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "newsdesk.settings")
    import django

    django.setup()


def articles():
    from newsdesk.articles.models import ArticlePage

    live = ArticlePage.objects.live().order_by("pk")
    return [{"id": page.pk, "slug": page.slug, "path": page.url} for page in live]


def restandfirst(slug, text):
    """Publish a new revision of an article whose standfirst is `text`, as an editor's
    "Publish" does; returns the time the transaction committed."""
    from django.db import transaction

    from newsdesk.articles.models import ArticlePage

    page = ArticlePage.objects.get(slug=slug).get_latest_revision_as_object()
    page.standfirst = text
    with transaction.atomic():
        page.save_revision().publish()
    return {"committed_at": time.time(), "host": socket.gethostname()}


def schedule(count, at):
    """`count` new articles, each scheduled (approved to go live) at the epoch time `at`."""
    from datetime import UTC, datetime

    from newsdesk.articles.models import ArticleAuthor, ArticlePage, Author, NewsIndexPage

    news = NewsIndexPage.objects.get()
    author = Author.objects.order_by("pk").first()
    go_live = datetime.fromtimestamp(at, tz=UTC)
    made = []
    for number in range(count):
        title = f"Scheduled story {int(at)}-{number}"
        page = ArticlePage(
            title=title,
            slug=f"scheduled-{int(at)}-{number}",
            body=[("paragraph", f"<p>Story {number}, scheduled by the cluster test.</p>")],
            live=False,
            go_live_at=go_live,
        )
        page.byline.add(ArticleAuthor(author=author, sort_order=0))
        news.add_child(instance=page)
        page.save_revision().publish()  # a future go-live time: approved, not yet live
        made.append(page.pk)
    return {"ids": made}


def publish_due_at(at):
    """Wait until the epoch time `at`, then run one round of scheduled publishing."""
    from newsdesk.server import scheduled

    time.sleep(max(0.0, at - time.time()))
    unpublished, published = scheduled.run_once()
    return {"host": socket.gethostname(), "published": published, "at": time.time()}


def scheduled_report(ids):
    """For each article: live or not, how often it was published on schedule, and how many
    narration tasks were queued for it."""
    from django_tasks_db.models import DBTaskResult
    from wagtail.models import PageLogEntry

    from newsdesk.articles.models import ArticlePage
    from newsdesk.narration.models import Narration

    report = {}
    for pk in ids:
        narrations = list(Narration.objects.filter(article_id=pk).values_list("pk", flat=True))
        tasks = sum(
            1
            for result in DBTaskResult.objects.filter(task_path__endswith="narrate")
            if result.args_kwargs["args"] in (["article", narration] for narration in narrations)
        )
        report[pk] = {
            "live": ArticlePage.objects.get(pk=pk).live,
            "published_on_schedule": PageLogEntry.objects.filter(
                page_id=pk, action="wagtail.publish.scheduled"
            ).count(),
            "narration_tasks": tasks,
        }
    return report


def queue():
    """Tasks waiting or running (narration of what was just published, for one)."""
    from django_tasks_db.models import DBTaskResult

    return {"waiting": DBTaskResult.objects.filter(status__in=["READY", "RUNNING"]).count()}


def make_editor():
    """A new editor (the role that must pass the two-step sign-in) with an authenticator
    enrolled: what the test signs in with over HTTP."""
    import secrets

    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from newsdesk.accounts.roles import EDITORS

    username = f"cluster-editor-{secrets.token_hex(4)}"
    password = secrets.token_urlsafe(18)
    user = get_user_model().objects.create_user(username, f"{username}@example.org", password)
    user.groups.add(Group.objects.get(name=EDITORS))
    device = TOTPDevice.objects.create(user=user, name="Cluster test", confirmed=True)
    return {"username": username, "password": password, "key": device.key}


def use_image(slug, image_id):
    """Make the image the article's lead picture and publish it, as an editor's "Publish"
    does; says where its original is kept and that the storage has it."""
    from django.core.files.storage import default_storage
    from wagtail.images import get_image_model

    from newsdesk.articles.models import ArticlePage

    image = get_image_model().objects.get(pk=image_id)
    page = ArticlePage.objects.get(slug=slug).get_latest_revision_as_object()
    page.hero_image = image
    page.hero_alt = f"A picture uploaded through the cluster test, image {image_id}"
    page.save_revision().publish()
    return {
        "path": page.url,
        "alt": page.hero_alt,
        "original": image.file.name,
        "stored": default_storage.exists(image.file.name),
        "committed_at": time.time(),
    }


def renditions(image_id):
    """The file names of an image's renditions (made so far, by any host)."""
    from wagtail.images import get_image_model

    image = get_image_model().objects.get(pk=image_id)
    return list(image.renditions.values_list("file", flat=True))


def narrated():
    """The first article whose narration is ready: its page, audio file and who made it."""
    from newsdesk.narration.models import Narration

    narration = (
        Narration.objects.with_audio().filter(article__live=True).order_by("article_id").first()
    )
    if narration is None:
        return {}
    return {
        "path": narration.article.url,
        "audio": narration.audio,
        "audio_url": narration.audio_url,
        "worker": narration.worker,
    }


COMMANDS = {
    "make-editor": lambda: make_editor(),
    "use-image": lambda slug, image_id: use_image(slug, int(image_id)),
    "narrated": lambda: narrated(),
    "renditions": lambda image_id: renditions(int(image_id)),
    "queue": lambda: queue(),
    "articles": lambda: articles(),
    "restandfirst": lambda slug, text: restandfirst(slug, text),
    "schedule": lambda count, at: schedule(int(count), float(at)),
    "publish-due-at": lambda at: publish_due_at(float(at)),
    "scheduled-report": lambda *ids: scheduled_report([int(pk) for pk in ids]),
}


def main(argv):
    setup()
    result = COMMANDS[argv[0]](*argv[1:])
    print(json.dumps(result), flush=True)


if __name__ == "__main__":
    main(sys.argv[1:])
