"""The Django side of the disk-full scenario (reliability/disk_full.py), run as a subprocess
with NEWSDESK_DATA_DIR pointing at the data directory it builds:

    python -m reliability.disk_full_site build

Migrates, writes a little content (two published articles whose narration is queued but not
yet made, a live feed, an editor with a password, an authenticator and an API token) and a
manifest with what the scenario needs to act as that editor over HTTP, including the admin
form fields for publishing a new article and editing an existing one (built with Wagtail's
own test helpers, as tests/test_editorial.py does). The scenario never sets Django up itself.
"""

import json
import sys
from pathlib import Path

from benchmarks.http_site import setup

MANIFEST = "disk-full.json"
EDITOR = "disk-editor"
PASSWORD = "harbour crane 42 lantern"  # noqa: S105 - a throwaway account in a temporary site
NARRATED_TEXT = (
    "The harbour authority closed the north pier on Tuesday after a crane toppled in high "
    "winds. Nobody was hurt, said Olena Marchenko, the port's spokeswoman. Ferries to the "
    "islands leave from the south terminal until Friday, and the 7:40 sailing is cancelled."
)


def article_form(title, slug, author_id, byline_id=None):
    from tests.factories import article_publish_form

    return article_publish_form(
        title, slug, author_id, f"<p>{NARRATED_TEXT}</p>", byline_id=byline_id
    )


def run_index_tasks():
    """Run the search and reference index tasks that publishing queued, as a worker would
    have by now, so that each trial's queue holds the narration only: what little space is
    left goes to the narration first."""
    from django_tasks_db.models import DBTaskResult

    queued = DBTaskResult.objects.ready().exclude(task_path="newsdesk.narration.tasks.narrate")
    for result in queued:
        result.claim("disk-full-build")
        result.set_successful(
            result.task.call(*result.args_kwargs["args"], **result.args_kwargs["kwargs"])
        )


def build():
    setup()
    from django.conf import settings
    from django.contrib.auth import get_user_model
    from django.core.management import call_command
    from django.db import connection
    from django.urls import reverse
    from wagtail.models import APIToken

    from newsdesk.articles.models import NewsIndexPage
    from newsdesk.core.sites import ensure_site
    from tests.factories import (
        enrol_totp,
        make_article,
        make_author,
        make_live_feed,
        paragraphs,
        post,
    )

    call_command("migrate", verbosity=0, interactive=False)
    ensure_site()
    call_command("collectstatic", verbosity=0, interactive=False)
    editor = get_user_model().objects.create_superuser(EDITOR, f"{EDITOR}@example.org", PASSWORD)
    device = enrol_totp(editor)
    _, token = APIToken.create_token(user=editor, name="disk-full scenario")
    author = make_author("Harbour desk")
    steady = make_article(
        "Pier closed after crane falls",
        slug="pier-closed",
        # Long enough (about a minute of audio) that its MP3 does not fit in the last 512 KB.
        body=paragraphs(*(f"{NARRATED_TEXT} ({part} of 6.)" for part in range(1, 7))),
        authors=[author],
        hero=False,
    )
    feed = make_live_feed("Storm over the harbour", slug="harbour-storm")
    post(feed, headline="Wind reaches 90 km/h on the pier")
    news = NewsIndexPage.objects.get()
    home_prefix = steady.url_path.split("/news/")[0]
    manifest = {
        "editor": EDITOR,
        "password": PASSWORD,
        "totp_key": device.key,
        "totp_step": device.step,
        "totp_digits": device.digits,
        "token": token,
        "add_url": reverse("wagtailadmin_pages:add", args=("articles", "articlepage", news.pk)),
        "edit_url": reverse("wagtailadmin_pages:edit", args=(steady.pk,)),
        "steady_path": steady.url_path.removeprefix(home_prefix),
        "steady_id": steady.pk,
        "live_slug": feed.slug,
        "live_path": feed.url_path.removeprefix(home_prefix),
        # The harness sets "title" and "slug" for each attempt.
        "add_form": article_form("", "", author.pk),
        "edit_form": article_form(steady.title, steady.slug, author.pk, steady.byline.get().pk),
    }
    (Path(settings.DATA_DIR) / MANIFEST).write_text(json.dumps(manifest))
    run_index_tasks()
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    connection.close()


if __name__ == "__main__":
    command = sys.argv[1] if len(sys.argv) > 1 else ""
    if command == "build":
        build()
    else:
        sys.exit(f"unknown command {command}")
