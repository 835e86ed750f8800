"""kill -9 of the server at a random moment during a publish and a live post.

One data directory (SQLite) for the whole run; the real server (`newsdesk serve --no-worker`,
so queued narration tasks stay queued where they can be counted) on a port of its own. This
process sets Django up on the same directory (run.py gives every scenario a fresh process) to
build the site, to sign an editor in (password and a real TOTP code, through Django's test
client: the session lives in the database, so the server accepts its cookie) and to read the
database afterwards. Everything a trial changes goes through the server over HTTP:

- the editor publishes through the Wagtail admin's own form (POST with action-publish): a new
  article on odd trials, a new version (new title and text) of one article on even trials;
- at the same time a script posts a live update through the posting API (a token);
- the server's process group gets SIGKILL at a random moment within the publish POST, the
  live post timed to be in flight then too. Then the server starts again.

Checked after the restart, the article is in one of two states, nothing in between:

- not published: no live revision with the new text, the page (or new title) not served, not
  on the home page or in the RSS feed, no narration task queued for this version;
- published: live, its live revision has the new title, the page served 200 with the new text
  (twice: the miss and the cached copy), on home and in the feed, exactly one narration task
  queued for it.

And the live update is either absent (not in the database, not replayed) or there with its
sequence number, replayed exactly once to a reader that reconnects with the Last-Event-ID it
had before. A post the server answered 201 must be there.
"""

import contextlib
import os
import random
import re
import shutil
import signal
import socket
import statistics
import subprocess
import tempfile
import threading
import time
import urllib.parse
from pathlib import Path

from benchmarks.http_load import stop_group
from benchmarks.live import environment, python, tail

TITLE = (
    "kill -9 of the server at a random moment during publish: the article is either fully "
    "published (page, revision, cache, live event, narration task) or not at all"
)
TRIALS = 30
WARM_UP = 3
SPAN = 1.5
"""Kill moments are drawn from 0 to SPAN times the longest unkilled publish POST: a loaded
machine makes some requests slower than the warm-up's, and kills after the answer are fine."""
ROOT = Path(__file__).resolve().parents[1]
PORTS = range(24000, 25000)
EDITOR = "kill-editor"
STEADY = "harbour-crane"
FEED = "harbour-storm"
NARRATE = "newsdesk.narration.tasks.narrate"
TEXT = "The harbour authority reopened the north pier on Tuesday, trial {n} of the run."


def free_port():
    for port in PORTS:
        with socket.socket() as probe:
            try:
                probe.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise RuntimeError("no free port in 24000-24999")


# --- The site, built and read in this process ------------------------------------------------


def setup(data_dir):
    os.environ.update(environment(data_dir))
    import django

    django.setup()
    from django.conf import settings
    from django.contrib.auth import get_user_model
    from django.core.management import call_command
    from django.test import Client
    from wagtail.models import APIToken

    from newsdesk.core.sites import ensure_site
    from tests.factories import make_article, make_author, make_live_feed, post, verify_mfa

    call_command("migrate", verbosity=0, interactive=False)
    ensure_site()
    call_command("collectstatic", verbosity=0, interactive=False)
    editor = get_user_model().objects.create_superuser(EDITOR, f"{EDITOR}@example.org", None)
    _, token = APIToken.create_token(user=editor, name="publish-kill scenario")
    author = make_author("Harbour desk")
    make_article("Crane back on the pier", slug=STEADY, authors=[author], hero=False)
    feed = make_live_feed("Storm over the harbour", slug=FEED)
    post(feed, headline="Wind reaches 90 km/h on the pier")
    client = Client(HTTP_HOST="127.0.0.1")
    client.force_login(editor)
    verify_mfa(client, editor)
    cookie = f"{settings.SESSION_COOKIE_NAME}={client.cookies[settings.SESSION_COOKIE_NAME].value}"
    return {"cookie": cookie, "token": token, "author": author.pk}


def fresh():
    from django.db import close_old_connections

    close_old_connections()


def article_form(title, slug, author_id, n, byline_id=None):
    from tests.factories import article_publish_form

    return article_publish_form(
        title, slug, author_id, f"<p>{TEXT.format(n=n)}</p>", byline_id=byline_id
    )


def publish_request(site, n):
    """(path, form) of trial n's admin publish: a new article, or a new version of STEADY."""
    from django.urls import reverse

    from newsdesk.articles.models import ArticleAuthor, ArticlePage, NewsIndexPage

    title = f"Pier trial {n}"
    if n % 2:
        news = NewsIndexPage.objects.get()
        path = reverse("wagtailadmin_pages:add", args=("articles", "articlepage", news.pk))
        return path, article_form(title, f"pier-trial-{n}", site["author"], n)
    steady = ArticlePage.objects.get(slug=STEADY)
    byline = ArticleAuthor.objects.get(article=steady)
    path = reverse("wagtailadmin_pages:edit", args=(steady.pk,))
    return path, article_form(title, STEADY, site["author"], n, byline_id=byline.pk)


def narration_tasks(article_id):
    from django_tasks_db.models import DBTaskResult

    from newsdesk.narration.models import Narration

    narration = Narration.objects.filter(article_id=article_id).first()
    if narration is None:
        return []
    return [
        task
        for task in DBTaskResult.objects.filter(task_path=NARRATE, status="READY")
        if task.args_kwargs["args"] == ["article", narration.pk]
    ]


def last_sequence():
    from newsdesk.live.models import LiveFeedPage, LiveUpdateChange

    feed = LiveFeedPage.objects.get(slug=FEED)
    change = LiveUpdateChange.objects.filter(update__feed=feed).order_by("-sequence").first()
    return change.sequence if change else 0


# --- HTTP -------------------------------------------------------------------------------------


def http(port, method, path, *, body=None, headers=None, timeout=60):
    """(status, headers, text) over plain HTTP to the loopback server, which is told (as by a
    proxy) that the request came over HTTPS. Redirects are answers, never followed."""
    import http.client

    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        connection.request(
            method, path, body=body, headers={"X-Forwarded-Proto": "https", **(headers or {})}
        )
        response = connection.getresponse()
        return response.status, response.headers, response.read().decode(errors="replace")
    finally:
        connection.close()


def csrf_token(port, site, path):
    """The CSRF cookie the admin form sets, as a browser gets it by opening the form."""
    status, headers, _ = http(port, "GET", path, headers={"Cookie": site["cookie"]})
    if status != 200:
        raise RuntimeError(f"GET {path} answered {status}")
    return next(
        value.split(";", 1)[0].split("=", 1)[1]
        for value in headers.get_all("Set-Cookie") or []
        if value.startswith("csrftoken=")
    )


def editor_post(port, site, path, form, csrf):
    body = urllib.parse.urlencode({**form, "csrfmiddlewaretoken": csrf})
    return http(
        port,
        "POST",
        path,
        body=body,
        headers={
            "Cookie": f"{site['cookie']}; csrftoken={csrf}",
            "Content-Type": "application/x-www-form-urlencoded",
            "Origin": f"https://127.0.0.1:{port}",
        },
    )


def live_post(port, site, headline):
    import json

    return http(
        port,
        "POST",
        f"/api/live/{FEED}/updates",
        body=json.dumps({"headline": headline, "body": f"<p>{headline}.</p>"}),
        headers={"Authorization": f"Bearer {site['token']}", "Content-Type": "application/json"},
    )


def replay(port, after, seconds=3.0):
    """The (id, data) events an SSE reader reconnecting with Last-Event-ID: after receives
    within `seconds` (the replay comes from the database at once)."""
    events = []
    with socket.create_connection(("127.0.0.1", port), timeout=seconds) as sock:
        sock.sendall(
            f"GET /live/{FEED}/events HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Forwarded-Proto: https"
            f"\r\nAccept: text/event-stream\r\nLast-Event-ID: {after}\r\n\r\n".encode()
        )
        data = b""
        deadline = time.monotonic() + seconds
        with contextlib.suppress(TimeoutError, OSError):
            while time.monotonic() < deadline:
                sock.settimeout(max(0.05, deadline - time.monotonic()))
                chunk = sock.recv(65536)
                if not chunk:
                    break
                data += chunk
    for frame in data.decode(errors="replace").split("\n\n"):
        found = re.search(r"^id: (\d+)$", frame, re.M)
        if found:
            events.append((int(found[1]), frame))
    return events


class Server:
    def __init__(self, data_dir):
        self.data_dir = data_dir
        self.port = free_port()
        self.process = None
        self.starts = 0

    def start(self):
        """Start and wait until it serves; returns seconds from start to the first 200."""
        self.starts += 1
        self.log = self.data_dir / f"serve-{self.starts}.log"
        started = time.monotonic()
        with open(self.log, "w") as log:
            self.process = subprocess.Popen(  # noqa: S603 - our own interpreter and module
                python("-m", "newsdesk.cli", "serve", "--no-worker", "--host", "127.0.0.1",
                       "--port", str(self.port)),
                env=environment(self.data_dir),
                cwd=ROOT,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # its own group: the kill takes all of it
            )  # fmt: skip
        deadline = started + 120
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"the server exited:\n{tail(self.log)}")
            with contextlib.suppress(OSError):
                if http(self.port, "GET", "/", timeout=5)[0] == 200:
                    return time.monotonic() - started
            time.sleep(0.05)
        raise RuntimeError(f"the server did not serve in 120 s:\n{tail(self.log)}")

    def kill(self):
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait()


# --- One trial --------------------------------------------------------------------------------


def in_background(function, *args, start_after=0.0):
    """Run function(*args) in a thread after a delay; .result is (status, ...) or the error."""
    box = {}

    def target():
        time.sleep(start_after)
        try:
            box["result"] = function(*args)
        except Exception as error:
            box["result"] = error

    thread = threading.Thread(target=target, daemon=True)
    thread.start()
    return thread, box


def served(port, path):
    status, _, body = http(port, "GET", path)
    return status, body


def article_state(port, n, before):
    """("published" | "not published", problems)."""
    from newsdesk.articles.models import ArticlePage

    title = f"Pier trial {n}"
    text = TEXT.format(n=n)
    fresh()
    if n % 2:
        page = ArticlePage.objects.filter(slug=f"pier-trial-{n}").first()
        live = bool(page and page.live)
        path = f"/news/pier-trial-{n}/"
    else:
        page = ArticlePage.objects.get(slug=STEADY)
        live = page.title == title
        path = f"/news/{STEADY}/"
    revision_title = page.live_revision.content.get("title") if page and page.live_revision else ""
    tasks = len(narration_tasks(page.pk)) - before["tasks"] if page else 0
    pages = [served(port, path), served(port, path)]  # the render, then the cached copy
    home, rss = served(port, "/")[1], served(port, "/feeds/rss.xml")[1]
    seen = {
        "revision": revision_title == title,
        "page": all(status == 200 and title in body and text in body for status, body in pages),
        "home": title in home,
        "feed": title in rss,
        "narration task": tasks == 1,
    }
    if live and all(seen.values()):
        return "published", []
    if not live and not any(seen.values()) and tasks == 0:
        gone = all(
            (status == 404) if n % 2 else (status == 200 and before["title"] in body)
            for status, body in pages
        )
        if gone:
            return "not published", []
    found = ", ".join(f"{name} {'yes' if ok else 'NO'}" for name, ok in seen.items())
    return "half", [f"{'live' if live else 'not live'}, yet {found} ({tasks} new narration tasks)"]


def live_state(port, headline, after, answer):
    """("posted" | "not posted", problems)."""
    from newsdesk.live.models import LiveUpdate

    fresh()
    update = LiveUpdate.objects.filter(headline=headline).first()
    events = [(seq, frame) for seq, frame in replay(port, after) if headline in frame]
    answered = not isinstance(answer, Exception) and answer[0] == 201
    if update is None:
        problems = []
        if events:
            problems.append("replayed although not in the database")
        if answered:
            problems.append("answered 201 yet not in the database")
        return "not posted", problems
    problems = []
    if [seq for seq, _ in events] != [update.sequence]:
        problems.append(
            f"sequence {update.sequence} replayed as {[seq for seq, _ in events]} "
            f"to a reader resuming after {after}"
        )
    return "posted", problems


def run_trial(n, server, site, durations):
    from newsdesk.articles.models import ArticlePage

    fresh()
    steady = ArticlePage.objects.get(slug=STEADY)
    before = {"tasks": len(narration_tasks(steady.pk)) if n % 2 == 0 else 0, "title": steady.title}
    after = last_sequence()
    path, form = publish_request(site, n)
    csrf = csrf_token(server.port, site, path)  # opening the form: not part of the publish
    headline = f"Pier update {n}"
    kill_at = random.uniform(0, durations["publish"] * SPAN)  # noqa: S311 - a moment, not a secret
    post_start = max(0.0, kill_at - random.uniform(0, durations["post"] * 1.2))  # noqa: S311
    publishing = in_background(editor_post, server.port, site, path, form, csrf)
    posting = in_background(live_post, server.port, site, headline, start_after=post_start)
    time.sleep(kill_at)
    server.kill()
    for thread, _ in (publishing, posting):
        thread.join(60)
    restart = server.start()
    state, problems = article_state(server.port, n, before)
    live, live_problems = live_state(server.port, headline, after, posting[1].get("result"))
    return {
        "trial": n,
        "kind": "new article" if n % 2 else "new version",
        "kill_at": kill_at,
        "state": state,
        "live": live,
        "restart": restart,
        "problems": problems + live_problems,
    }


def measure_durations(server, site, rounds=WARM_UP):
    """Unkilled publish POSTs (of both kinds) and posts: the longest of each is the
    span the kill moments are drawn from."""
    publishes, posts = [], []
    for number in range(rounds):
        path, form = publish_request(site, -(number + 1))  # both kinds: new, new version, new
        csrf = csrf_token(server.port, site, path)
        started = time.monotonic()
        status = editor_post(server.port, site, path, form, csrf)[0]
        publishes.append(time.monotonic() - started)
        started = time.monotonic()
        posted = live_post(server.port, site, f"Warm-up update {number}")[0]
        posts.append(time.monotonic() - started)
        if status != 302 or posted != 201:
            raise RuntimeError(f"the warm-up publish answered {status}, the post {posted}")
    return {"publish": max(publishes), "post": max(posts)}


def run(trials):
    data_dir = Path(tempfile.mkdtemp(prefix="newsdesk-publish-kill-"))
    server = Server(data_dir)
    outcomes = []
    try:
        site = setup(data_dir)
        server.start()
        durations = measure_durations(server, site)
        print(
            f"   an unkilled publish POST takes up to {durations['publish']:.2f} s, a live "
            f"post {durations['post']:.2f} s",
            flush=True,
        )
        for n in range(1, trials + 1):
            outcome = run_trial(n, server, site, durations)
            outcomes.append(outcome)
            verdict = "ok" if not outcome["problems"] else "; ".join(outcome["problems"])
            print(
                f"   trial {n}/{trials} ({outcome['kind']}): killed at "
                f"{outcome['kill_at']:.2f} s: {outcome['state']}, live update "
                f"{outcome['live']}; serving {outcome['restart']:.1f} s after the restart: "
                f"{verdict}",
                flush=True,
            )
    finally:
        stop_group(server.process)
        shutil.rmtree(data_dir, ignore_errors=True)
    return report(outcomes, durations)


def report(outcomes, durations):
    total = len(outcomes)
    good = [o for o in outcomes if not o["problems"]]
    published = sum(o["state"] == "published" for o in outcomes)
    unpublished = sum(o["state"] == "not published" for o in outcomes)
    posted = sum(o["live"] == "posted" for o in outcomes)
    restarts = [o["restart"] for o in outcomes]
    median = statistics.median(restarts) if restarts else float("nan")
    worst = max(restarts) if restarts else float("nan")
    failures = [
        f"- trial {o['trial']}: {'; '.join(o['problems'])}" for o in outcomes if o["problems"]
    ]
    section = "\n".join(
        [
            "## Server killed during publish",
            "",
            f"{TITLE}.",
            "",
            f"**{len(good)} of {total} trials held.** Each trial published through the "
            f"Wagtail admin's form over HTTP (new articles and new versions of one article, "
            f"alternately) while a live update was posted through the API, and the server's "
            f"process group got SIGKILL a random 0-{durations['publish'] * SPAN:.2f} s into "
            f"the publish POST (the longest of {WARM_UP} unkilled ones took "
            f"{durations['publish']:.2f} s, a post {durations['post']:.2f} s). SQLite, one "
            f"server process, no worker.",
            "",
            f"- articles: {published} ended published, {unpublished} not published, "
            f"{total - published - unpublished} in between",
            f"- live updates: {posted} there (with their sequence, replayed once after "
            f"Last-Event-ID), {total - posted} absent",
            f"- restart to serving (process start to the first 200 for /): median "
            f"{median:.1f} s, worst {worst:.1f} s",
            "- checked for a published article: live, live revision with the new title, the "
            "page served 200 with the new text as a miss and as a hit, on home and in RSS, "
            "exactly one narration task queued; for an unpublished one: none of these, and "
            "the old version (or a 404) served",
            *(["", "Failures:", "", *failures] if failures else []),
            "",
        ]
    )
    lines = [
        f"{len(good)}/{total} trials held: {published} published, {unpublished} not, "
        f"{total - published - unpublished} in between; {posted} live updates there",
        f"restart to serving: median {median:.1f} s, worst {worst:.1f} s",
        *failures,
    ]
    return section, lines
