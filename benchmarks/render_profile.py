"""Profile uncached renders in-process: where a page's CPU goes, by function.

    NEWSDESK_DATA_DIR=<a data directory of benchmarks/http_site.py build> \\
        python -m benchmarks.render_profile [--kind article|home|news|topic|author|live|rss|bare]
        [--count 200] [--top 25] [--profile] [--stored] [--first-page]

Renders `count` distinct URLs of one kind through Django's test client (the whole middleware
stack, no page cache: that is an ASGI layer in front), each once, after 20 warm-up renders of
other URLs; prints CPU ms per render (time.process_time), queries per render, and with
--profile the top functions of a cProfile run (cProfile roughly doubles the time; the shares
are what it is for). Nothing is written to the data directory but the renditions and stored
parts a first render makes, as a reader's first visit would.
"""

import argparse
import cProfile
import io
import os
import pstats
import time


def urls_for(kind, count):
    from newsdesk.articles.models import ArticlePage, Author, Topic
    from newsdesk.live.models import LiveUpdate

    if kind == "article":
        paths = ArticlePage.objects.live().order_by("?").values_list("url_path", flat=True)
        prefix = ArticlePage.objects.live().first().url_path.split("/news/")[0]
        return [p.removeprefix(prefix) for p in paths[:count]]
    if kind == "bare":  # python -m benchmarks.http_site bare, with benchmarks.bare_settings
        return ["/bare-article/"] * count
    if kind in ("home", "rss", "atom", "json"):
        path = {"home": "/", "rss": "/feeds/rss.xml", "atom": "/feeds/atom.xml"}
        return [path.get(kind, "/feeds/feed.json")] * count
    if kind == "news":
        return [f"/news/?page={n}" for n in range(1, count + 1)]
    if kind == "topic":
        slugs = list(Topic.objects.values_list("slug", flat=True))
        return [
            f"/topics/{slugs[n % len(slugs)]}/?page={n // len(slugs) + 1}" for n in range(count)
        ]
    if kind == "author":
        slugs = list(Author.objects.values_list("slug", flat=True))
        return [
            f"/authors/{slugs[n % len(slugs)]}/?page={n // len(slugs) + 1}" for n in range(count)
        ]
    if kind == "live":
        update = LiveUpdate.objects.select_related("feed").order_by("-sequence").first()
        feed = update.feed
        path = feed.url_path.split("/live/", 1)[1]
        return [f"/live/{path}?older={update.sequence - n * 3}" for n in range(count)]
    raise SystemExit(f"unknown kind {kind}")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--kind", default="article")
    parser.add_argument("--count", type=int, default=200)
    parser.add_argument("--top", type=int, default=25)
    parser.add_argument("--profile", action="store_true")
    parser.add_argument(
        "--first-page", action="store_true", help="listings: page 1 only (each render anew)"
    )
    parser.add_argument(
        "--stored",
        action="store_true",
        help="render each URL once before measuring, so its stored parts exist (as after "
        "publishing), and measure the second render",
    )
    args = parser.parse_args()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "newsdesk.settings")
    os.environ.setdefault("NEWSDESK_ALLOWED_HOSTS", "testserver")
    import django

    django.setup()
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    client = Client()
    urls = urls_for(args.kind, args.count + 20)
    if args.first_page:
        urls = [url.split("?page=")[0] for url in urls]
    for url in urls[:20]:
        assert client.get(url, secure=True).status_code == 200, url
    measured = urls[20:]
    if args.stored:
        for url in measured:
            client.get(url, secure=True)
    # CPU time, not wall time: on a shared machine the waits would drown the profile.
    profiler = cProfile.Profile(time.process_time) if args.profile else None
    queries = []
    started = time.process_time()
    for url in measured:
        if profiler:
            profiler.enable()
        with CaptureQueriesContext(connection) as captured:
            response = client.get(url, secure=True)
        if profiler:
            profiler.disable()
        assert response.status_code == 200, (url, response.status_code)
        queries.append(len(captured))
    cpu = (time.process_time() - started) / len(measured) * 1000
    median = sorted(queries)[len(queries) // 2]
    print(
        f"{args.kind}: {cpu:.2f} ms CPU per render over {len(measured)} renders, "
        f"queries per render {min(queries)}-{max(queries)} (median {median}), "
        f"load average {os.getloadavg()[0]:.2f}"
    )
    if profiler:
        for order in ("tottime", "cumulative"):
            out = io.StringIO()
            pstats.Stats(profiler, stream=out).sort_stats(order).print_stats(args.top)
            print(out.getvalue())


if __name__ == "__main__":
    main()
