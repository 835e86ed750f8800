"""The Django side of the HTTP benchmark (benchmarks/http_load.py), run as subprocesses with
NEWSDESK_DATA_DIR pointing at the benchmark's data directory:

    python -m benchmarks.http_site build ARTICLES UPDATES   # migrate, data set, manifest
    python -m benchmarks.http_site inspect PATH...          # queries per page, editor session
    python -m benchmarks.http_site publish                  # publisher, driven over stdin

They run in their own processes so the harness never sets Django up itself: it talks to the
site only over HTTP, as readers do, and each subprocess sees exactly one data directory.
"""

import json
import os
import sys
import time
from pathlib import Path

MANIFEST = "bench-http.json"
EDITOR = "bench-editor"


def setup():
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "newsdesk.settings")
    import django

    django.setup()


def build(articles, updates):
    """Everything the benchmark reads, written once into a fresh data directory."""
    setup()
    from django.conf import settings
    from django.contrib.auth import get_user_model
    from django.core.management import call_command
    from django.db import connection

    from benchmarks.dataset import build as build_articles
    from benchmarks.dataset import live_feed
    from newsdesk.articles.models import ArticlePage, Author, Topic
    from newsdesk.core.sites import ensure_site

    call_command("migrate", verbosity=0, interactive=False)
    ensure_site()
    call_command("collectstatic", verbosity=0, interactive=False)
    dataset = build_articles(articles=articles)
    feed = live_feed(updates=updates)
    get_user_model().objects.create_superuser(EDITOR, f"{EDITOR}@example.org", None)
    make_renditions()
    paths = list(ArticlePage.objects.live().order_by("pk").values_list("url_path", "pk", "title"))
    home_prefix = paths[0][0].split("/news/")[0]  # the site root page's url_path, e.g. /home
    manifest = {
        "dataset": dataset.line(),
        "articles": [
            {"path": url_path.removeprefix(home_prefix), "id": pk, "title": title}
            for url_path, pk, title in paths
        ],
        "live_path": feed.url_path.removeprefix(home_prefix),
        "live_last": feed.updates.order_by("-sequence").values_list("sequence", flat=True)[0],
        "topics": list(Topic.objects.order_by("pk").values_list("slug", flat=True)),
        "authors": list(Author.objects.order_by("pk").values_list("slug", flat=True)),
        "live_updates": updates,
    }
    (Path(settings.DATA_DIR) / MANIFEST).write_text(json.dumps(manifest))
    # One self-contained file to copy: no -wal or -shm beside it.
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    connection.close()
    print(dataset.line(), flush=True)


def make_renditions(limit=400):
    """Render pages until every generated photo has its renditions (home's cards, heroes,
    body images), so that no measured request pays for resizing a 1600x1000 JPEG: a real site
    made those when its editors published. Through the test client, which the page cache (an
    ASGI layer) never sees, so nothing is cached by it."""
    from django.test import Client
    from wagtail.images import get_image_model

    from newsdesk.articles.models import ArticlePage

    client = Client(HTTP_HOST="127.0.0.1")
    wanted = {("hero", pk) for pk in get_image_model().objects.values_list("pk", flat=True)}
    wanted |= {("body", pk) for _, pk in wanted}
    client.get("/", secure=True)
    for article in ArticlePage.objects.live().order_by("pk")[:limit]:
        used = {("hero", article.hero_image_id)} if article.hero_image_id else set()
        used |= {
            ("body", block.value["image"].pk)
            for block in article.body
            if block.block_type == "image"
        }
        if used & wanted:
            client.get(article.url, secure=True)
            wanted -= used
        if not wanted:
            break


def inspect(paths):
    """Queries each path costs in-process (first request of each path, so uncached where a
    page cache exists, as long as the paths are ones nobody asked for before), and a session
    cookie for the editor, whose requests bypass any page cache."""
    setup()
    from django.conf import settings
    from django.contrib.auth import get_user_model
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    # The benchmark's servers answer 127.0.0.1 only (ALLOWED_HOSTS), and so does this client.
    client = Client(HTTP_HOST="127.0.0.1")
    queries = {}
    stored = {}
    for path in paths:
        with CaptureQueriesContext(connection) as captured:
            response = client.get(path, secure=True)
        if response.status_code != 200:
            sys.exit(f"{path} answered {response.status_code}")
        queries[path] = len(captured)
        # Again: no page cache here (an ASGI layer), so a render, now with the page's
        # stored parts (parts/store.py) built by the first.
        with CaptureQueriesContext(connection) as captured:
            client.get(path, secure=True)
        stored[path] = len(captured)
    editor = Client(HTTP_HOST="127.0.0.1")
    editor.force_login(get_user_model().objects.get(username=EDITOR))
    cookie = editor.cookies[settings.SESSION_COOKIE_NAME].value
    session = f"{settings.SESSION_COOKIE_NAME}={cookie}"
    print(json.dumps({"queries": queries, "stored": stored, "cookie": session}))


def warm(paths):
    """Render each path once in-process, as publishing does for a real site: the pages' stored
    parts are built (parts/store.py); the server's page cache (in its own process) is not."""
    setup()
    from django.test import Client

    client = Client(HTTP_HOST="127.0.0.1")
    started = time.process_time()
    for path in paths:
        if client.get(path, secure=True).status_code != 200:
            sys.exit(f"{path} did not answer 200")
    per_page = (time.process_time() - started) / max(1, len(paths)) * 1000
    print(json.dumps({"warmed": len(paths), "cpu_ms": per_page}))


def bare(article_id):
    """The bare Wagtail page (benchmarks/barepage, with benchmarks.bare_settings) at
    /bare-article/: the same article's headline and text, as one rich-text body."""
    setup()
    from benchmarks.barepage.models import BarePage
    from newsdesk.articles.models import ArticlePage, HomePage

    article = ArticlePage.objects.get(pk=article_id)
    html = "".join(
        block.value["text"].source
        if block.block_type == "paragraph"
        else f"<h2>{block.value['text']}</h2>"
        for block in article.body
        if block.block_type in ("paragraph", "heading")
    )
    if not BarePage.objects.filter(slug="bare-article").exists():
        page = BarePage(title=article.title, slug="bare-article", body=html)
        HomePage.objects.get().add_child(instance=page)
        page.save_revision().publish()
    print(json.dumps({"path": "/bare-article/", "words": article.word_count}))


def publish():
    """Waits for lines `PAGE_ID NEW TITLE` on stdin; for each, publishes a new revision of
    that article with the new title through Wagtail (as the admin's Publish button does) and
    prints the wall-clock time right after the commit."""
    setup()
    from wagtail.models import Page

    print(json.dumps({"ready": True}), flush=True)
    for line in sys.stdin:
        page_id, title = line.strip().split(" ", 1)
        page = Page.objects.get(pk=int(page_id)).specific
        page.title = title
        page.save_revision().publish()  # commits before it returns (no outer transaction)
        print(json.dumps({"committed": time.time()}), flush=True)


if __name__ == "__main__":
    command, *arguments = sys.argv[1:]
    if command == "build":
        build(int(arguments[0]), int(arguments[1]))
    elif command == "inspect":
        inspect(arguments)
    elif command == "publish":
        publish()
    elif command == "warm":
        warm(arguments)
    elif command == "bare":
        bare(int(arguments[0]))
    else:
        sys.exit(f"unknown command {command}")
