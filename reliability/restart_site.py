"""The Django side of the restart scenarios (reliability/redis_restart.py, postgres_restart.py),
run as a subprocess with NEWSDESK_DATA_DIR, DATABASE_URL and REDIS_URL set:

    python -m reliability.restart_site build

Migrates and writes a little content: an article (the page readers keep asking for), a live
feed with one update, an editor who has completed MFA in a session of their own (its cookies
go into the manifest, so the harness can use the desk form without signing in over HTTP) and
API tokens for the poster. Several tokens because the posting API allows 60 requests per
token and minute, and the poster sends more than that on purpose.
"""

import json
import sys
from pathlib import Path

from benchmarks.http_site import setup

MANIFEST = "restart.json"
EDITOR = "restart-editor"
TOKENS = 8


def build():
    setup()
    from django.conf import settings
    from django.contrib.auth import get_user_model
    from django.core.management import call_command
    from django.test import Client
    from wagtail.models import APIToken

    from newsdesk.core.sites import ensure_site
    from tests.factories import make_article, make_live_feed, post, verify_mfa

    call_command("migrate", verbosity=0, interactive=False)
    ensure_site()
    call_command("collectstatic", verbosity=0, interactive=False)
    editor = get_user_model().objects.create_superuser(EDITOR, f"{EDITOR}@example.org", None)
    tokens = [APIToken.create_token(user=editor, name=f"poster {n}")[1] for n in range(TOKENS)]
    article = make_article("Harbour reopens after the storm", slug="harbour-reopens", hero=False)
    feed = make_live_feed("Storm over the harbour", slug="harbour-storm")
    first = post(feed, headline="Wind reaches 90 km/h on the pier")
    # The servers answer 127.0.0.1 only (ALLOWED_HOSTS), and so does this client.
    client = Client(HTTP_HOST="127.0.0.1")
    client.force_login(editor)
    verify_mfa(client, editor)
    home_prefix = article.url_path.split("/news/")[0]
    manifest = {
        "tokens": tokens,
        "cookies": {name: morsel.value for name, morsel in client.cookies.items()},
        "article_path": article.url_path.removeprefix(home_prefix),
        "live_slug": feed.slug,
        "start_sequence": first.sequence,
    }
    (Path(settings.DATA_DIR) / MANIFEST).write_text(json.dumps(manifest))


if __name__ == "__main__":
    command = sys.argv[1] if len(sys.argv) > 1 else ""
    if command == "build":
        build()
    else:
        sys.exit(f"unknown command {command}")
