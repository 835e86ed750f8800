"""The page cache (newsdesk/pagecache, docs/caching.md), through the site's ASGI application."""

import asyncio
import http.server
import os
import threading
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.test import override_settings
from django.utils import timezone

from newsdesk.pagecache import actions, cache, purge, shared
from newsdesk.pagecache.channel import Listener
from newsdesk.pagecache.routes import kind_of
from newsdesk.pagecache.store import Entry, LocalStore
from tests.factories import (
    ensure_site_structure,
    http_scope,
    make_article,
    make_author,
    make_image,
    make_live_feed,
    make_topic,
    make_user,
    post,
)

pytestmark = pytest.mark.django_db(transaction=True)  # Django renders in its own thread


class Site:
    """The ASGI application driven as a server would, on one event loop kept between calls
    (so the page cache's listener keeps its place, as in a server process)."""

    def __init__(self):
        from newsdesk import asgi

        self.asgi = asgi
        self.loop = asyncio.new_event_loop()
        self.renders = 0

    def request(self, path, *, method="GET", host=b"localhost", headers=(), scheme="https"):
        scope = http_scope(path, method=method, scheme=scheme, host=host, headers=headers)
        return self.loop.run_until_complete(self._call(scope))

    async def _call(self, scope):
        sent = []
        done = asyncio.Event()
        asked = []

        async def receive():
            if not asked:
                asked.append(True)
                return {"type": "http.request", "body": b"", "more_body": False}
            await done.wait()
            return {"type": "http.disconnect"}

        async def send(message):
            sent.append(message)
            if message["type"] == "http.response.body" and not message.get("more_body"):
                done.set()

        await self.asgi.application(scope, receive, send)
        start = sent[0]
        body = b"".join(m.get("body", b"") for m in sent if m["type"] == "http.response.body")
        return Response(start["status"], start["headers"], body)

    def warm(self):
        """Let the listener learn its starting point, as a server does on its first request."""

        async def ready():
            cache.listener.ensure_started()
            while not cache.listener.ready:
                await asyncio.sleep(0.01)

        self.loop.run_until_complete(asyncio.wait_for(ready(), timeout=10))

    def run_until(self, condition, timeout=10):
        async def wait():
            while not condition():
                await asyncio.sleep(0.02)

        self.loop.run_until_complete(asyncio.wait_for(wait(), timeout=timeout))

    def count_renders(self, monkeypatch):
        original = self.asgi.django_application

        async def counted(scope, receive, send):
            self.renders += 1
            return await original(scope, receive, send)

        monkeypatch.setattr(self.asgi, "django_application", counted)

    def close(self):
        # As asyncio.run does: cancel the listener's tasks and let them close their connections.
        tasks = asyncio.all_tasks(self.loop)
        for task in tasks:
            task.cancel()
        if tasks:
            self.loop.run_until_complete(asyncio.wait(tasks, timeout=10))
        self.loop.close()


class Response:
    def __init__(self, status, headers, body):
        self.status = status
        self.header_list = headers
        self.headers = {name.decode().lower(): value.decode() for name, value in headers}
        self.body = body
        self.text = body.decode(errors="replace")


def running(site_class, monkeypatch):
    """A warmed site of `site_class` on an empty page cache, closed and emptied afterwards."""
    ensure_site_structure()
    cache.store.clear()
    server = site_class()
    server.count_renders(monkeypatch)
    server.warm()
    yield server
    server.close()
    cache.store.clear()
    cache.listener.loop = None


@pytest.fixture
def site(monkeypatch):
    yield from running(Site, monkeypatch)


def cached(path):
    return cache.store.get(kind_of(path.partition("?")[0]).key(*_split(path))) is not None


def _split(path):
    path, _, query = path.partition("?")
    return path, query.encode()


@pytest.fixture
def newsroom():
    """Two topics, three authors, a live feed, and articles that do and do not share them."""
    energy, sport = make_topic("Energy"), make_topic("Sport")
    reporter, other, desk = make_author("Olena Reporter"), make_author("Ivan Other"), make_author()
    story = make_article("Grid repaired", authors=[reporter], topics=[energy])
    sibling = make_article("Coal deliveries", authors=[desk], topics=[energy])
    unrelated = make_article("Match postponed", authors=[other], topics=[sport])
    feed = make_live_feed("Storm over the coast", status="live")
    return {
        "energy": energy,
        "sport": sport,
        "reporter": reporter,
        "other": other,
        "story": story,
        "sibling": sibling,
        "unrelated": unrelated,
        "feed": feed,
    }


def pages(n):
    """Every reader URL kind the newsroom fixture has."""
    return {
        "home": "/",
        "news": "/news/",
        "story": n["story"].url,
        "sibling": n["sibling"].url,
        "unrelated": n["unrelated"].url,
        "energy": "/topics/energy/",
        "sport": "/topics/sport/",
        "reporter": f"/authors/{n['reporter'].slug}/",
        "other": f"/authors/{n['other'].slug}/",
        "energy-feed": "/topics/energy/rss.xml",
        "sport-feed": "/topics/sport/rss.xml",
        "reporter-feed": f"/authors/{n['reporter'].slug}/atom.xml",
        "rss": "/feeds/rss.xml",
        "json": "/feeds/feed.json",
        "sitemap": "/sitemap.xml",
        "news-sitemap": "/news-sitemap.xml",
        "live": n["feed"].url,
        "live-rss": f"{n['feed'].url}rss.xml",
        "live-index": "/live/",
        "robots": "/robots.txt",
    }


def fill(site, urls):
    for name, url in urls.items():
        response = site.request(url)
        assert response.status == 200, (name, url, response.status)
        assert cached(url), f"{name} ({url}) was not stored"


def dropped(urls):
    return {name for name, url in urls.items() if not cached(url)}


# --- Hits -------------------------------------------------------------------------------------


def test_a_hit_never_reaches_django_and_carries_the_headers_django_sent(site, settings):
    story = make_article("Grid repaired")
    first = site.request(story.url)
    assert first.status == 200 and "Grid repaired" in first.text
    assert site.renders == 1
    second = site.request(story.url)
    assert site.renders == 1, "a hit went through Django"
    assert second.body == first.body
    assert (first.headers.pop("x-cache"), second.headers.pop("x-cache")) == ("miss", "hit")
    assert second.headers == first.headers
    for name in (
        "content-security-policy",
        "x-content-type-options",
        "referrer-policy",
        "cross-origin-opener-policy",
        "x-frame-options",
    ):
        assert name in second.headers, name
    assert second.headers["strict-transport-security"] == f"max-age={settings.SECURE_HSTS_SECONDS}"
    assert second.headers["cache-control"] == "public, max-age=60, stale-while-revalidate=30"
    assert second.headers["etag"].startswith('"')
    assert "last-modified" in second.headers
    assert second.headers["content-length"] == str(len(second.body))
    head = site.request(story.url, method="HEAD")
    assert head.status == 200 and head.body == b"" and site.renders == 1
    assert head.headers["content-length"] == str(len(first.body))


def test_conditional_requests_are_answered_304_from_the_cache(site):
    story = make_article("Grid repaired")
    first = site.request(story.url)
    etag, modified = first.headers["etag"], first.headers["last-modified"]
    by_tag = site.request(story.url, headers=[(b"if-none-match", etag.encode())])
    assert by_tag.status == 304 and by_tag.body == b""
    assert by_tag.headers["etag"] == etag and "content-length" not in by_tag.headers
    assert "strict-transport-security" in by_tag.headers
    by_date = site.request(story.url, headers=[(b"if-modified-since", modified.encode())])
    assert by_date.status == 304
    other = site.request(story.url, headers=[(b"if-none-match", b'"something-else"')])
    assert other.status == 200 and other.body == first.body
    assert site.renders == 1


def test_a_conditional_first_request_stores_the_full_page(site):
    """Django is asked without validators, so a 304 is never what gets stored."""
    story = make_article("Grid repaired")
    response = site.request(story.url, headers=[(b"if-none-match", b"*")])
    assert response.status == 304
    assert site.request(story.url).body.count(b"Grid repaired") >= 1


def test_feeds_keep_their_own_validators_and_cache_control(site):
    make_article("Grid repaired")
    first = site.request("/feeds/rss.xml")
    assert first.headers["etag"].startswith('W/"')
    assert first.headers["cache-control"] == "public, max-age=300, stale-while-revalidate=60"
    again = site.request(
        "/feeds/rss.xml", headers=[(b"if-none-match", first.headers["etag"].encode())]
    )
    assert again.status == 304 and site.renders == 1


# --- Who is never served from the cache -----------------------------------------------------------


def signed_in_cookie(user):
    """The Cookie header of a browser signed in as `user` (a session in the database)."""
    from django.contrib.auth import SESSION_KEY
    from django.contrib.sessions.backends.db import SessionStore

    session = SessionStore()
    session[SESSION_KEY] = str(user.pk)
    session["_auth_user_backend"] = "django.contrib.auth.backends.ModelBackend"
    session["_auth_user_hash"] = user.get_session_auth_hash()
    session.save()
    return (b"cookie", f"sessionid={session.session_key}".encode())


def test_editors_bypass_the_cache_and_are_never_stored(site):
    story = make_article("Grid repaired")
    cookie = signed_in_cookie(make_user("editor-one"))

    response = site.request(story.url, headers=[cookie])
    assert response.status == 200
    assert not cached(story.url), "an editor's page was stored"
    # Nor may nginx or a CDN in front keep it (docs/operations.md puts one there).
    assert "public" not in response.headers.get("cache-control", "")
    site.request(story.url)  # an anonymous reader fills the cache
    renders = site.renders
    site.request(story.url, headers=[cookie])
    assert site.renders == renders + 1, "an editor was served from the cache"
    site.request(story.url, headers=[(b"authorization", b"Token abc")])
    assert site.renders == renders + 2


def test_previews_the_admin_desk_and_fresh_apis_bypass_the_cache():
    for path in (
        "/admin/pages/3/edit/preview/",
        "/admin/",
        "/desk/",
        "/api/v2/pages/",
        "/api/live/x/updates",
        "/api/search",
        "/live/x/updates.json",
        "/media/images/a.jpg",
        "/static/newsdesk/site.css",
        "/healthz",
    ):
        assert kind_of(path) is None, path


def test_other_cookies_are_ignored_and_stripped_from_the_render(site):
    story = make_article("Grid repaired")
    response = site.request(story.url, headers=[(b"cookie", b"csrftoken=abc; theme=dark")])
    assert response.status == 200 and cached(story.url)


def test_not_found_and_redirects_are_not_stored(site):
    make_article("Grid repaired")
    assert site.request("/news/no-such-story/").status == 404
    assert not cached("/news/no-such-story/")
    assert site.request("/news/grid-repaired").status == 301  # APPEND_SLASH
    assert site.request("/news/no-such-story/").status == 404
    assert site.renders == 3


def test_no_public_page_sets_a_cookie_or_varies_on_one(site, newsroom):
    urls = pages(newsroom)
    urls["search"] = "/search/?q=grid"
    urls["update"] = post(newsroom["feed"], "Wind picks up").get_absolute_url()
    for name, url in urls.items():
        response = site.request(url)
        assert response.status == 200, (name, url)
        assert "set-cookie" not in response.headers, name
        assert "vary" not in response.headers, name
        assert "csrfmiddlewaretoken" not in response.text, name
    fill(site, {k: v for k, v in urls.items() if k != "search"})


# --- Hosts and headers cannot poison a page ----------------------------------------------------


def test_hosts_and_forwarded_headers_cannot_poison_a_cached_page(site, settings):
    settings.ALLOWED_HOSTS = ["localhost", "news.example"]
    story = make_article("Grid repaired")
    refused = site.request(story.url, host=b"evil.example")
    assert refused.status == 400 and not cached(story.url)
    poisoned = site.request(
        story.url,
        host=b"news.example",
        headers=[
            (b"x-forwarded-host", b"evil.example"),
            (b"x-forwarded-server", b"evil.example"),
            (b"x-forwarded-port", b"6666"),
            (b"x-original-url", b"/admin/"),
            (b"forwarded", b"host=evil.example;proto=https"),
        ],
    )
    assert poisoned.status == 200 and cached(story.url)
    assert b"evil.example" not in poisoned.body and b"news.example" not in poisoned.body
    assert not any(b"evil" in value for _, value in poisoned.header_list)
    plain = site.request(story.url, host=b"localhost")
    assert plain.body == poisoned.body and site.renders == 2  # the 400 went to Django too
    assert site.request(story.url, host=b"evil.example").status == 400


POISON = [
    (b"x-forwarded-host", b"evil.example"),
    (b"x-forwarded-server", b"evil.example"),
    (b"x-forwarded-port", b"6666"),
    (b"x-original-url", b"/admin/"),
    (b"x-rewrite-url", b"/admin/"),
    (b"x-host", b"evil.example"),
    (b"forwarded", b"host=evil.example;proto=http"),
]


def _raw_request(site, path, raw_path, host=b"localhost"):
    """A request whose target was absolute ("GET http://evil.example/... HTTP/1.1"): servers
    built on httptools pass the path and keep the target in raw_path; h11 passes it whole."""
    scope_path = path
    original = site.asgi.application

    async def rewritten(scope, receive, send):
        scope = {**scope, "path": scope_path, "raw_path": raw_path}
        return await original(scope, receive, send)

    site.asgi.application = rewritten
    try:
        return site.request(path, host=host)
    finally:
        site.asgi.application = original


def test_pages_with_absolute_links_cannot_be_poisoned_by_any_request_header(site, settings):
    """Feeds and sitemaps write absolute URLs: they come from NEWSDESK_BASE_URL whatever the
    request says, first render or cached, and a poisoned request gets the clean bytes."""
    settings.ALLOWED_HOSTS = ["localhost", "news.example"]
    story = make_article("Grid repaired")
    urls = [story.url, "/", "/feeds/rss.xml", "/feeds/atom.xml", "/sitemap.xml", "/robots.txt"]
    for url in urls:
        for host in (b"evil.example", b"localhost.evil.example", b"evil.example:443", b""):
            assert site.request(url, host=host).status == 400, (url, host)
        assert not cached(url), url
        # Rendered (a miss) under every header at once and a Host with a port.
        first = site.request(url, host=b"news.example:6666", headers=POISON)
        assert first.status == 200 and first.headers["x-cache"] == "miss", url
        assert b"csrfmiddlewaretoken" not in first.body, url  # X-Original-URL: not the admin
        for marker in (b"evil", b"6666", b"news.example"):
            assert marker not in first.body, (url, marker)
            assert not any(marker in value for _, value in first.header_list), (url, marker)
        clean = site.request(url)
        assert clean.headers["x-cache"] == "hit" and clean.body == first.body, url
        # A poisoned request of the cached page gets the same bytes.
        again = site.request(url, host=b"localhost:8443", headers=POISON)
        assert again.body == clean.body and again.headers["x-cache"] == "hit", url
        # An absolute request target naming another host changes nothing either.
        absolute = _raw_request(site, url, f"http://evil.example{url}".encode())
        assert absolute.status == 200 and absolute.body == clean.body, url
        whole = _raw_request(
            site, f"http://evil.example{url}", f"http://evil.example{url}".encode()
        )
        assert whole.status == 404 and b"evil" not in whole.body, url
    assert all(cached(url) for url in urls)
    assert not any("evil" in key for key in cache.store.entries)


def test_a_forwarded_plain_http_request_is_redirected_not_stored(site, settings):
    """X-Forwarded-Proto is the one header that counts (SECURE_PROXY_SSL_HEADER): "http" sends
    the reader to HTTPS on the allowed Host, and nothing is stored from it."""
    story = make_article("Grid repaired")
    proxied = site.request(story.url, headers=[(b"x-forwarded-proto", b"http"), *POISON])
    assert proxied.status == 301 and proxied.headers["location"] == f"https://localhost{story.url}"
    assert not cached(story.url)
    first = site.request(story.url)
    again = site.request(story.url, headers=[(b"x-forwarded-proto", b"http")])
    assert again.status == 301 and "x-cache" not in again.headers
    assert site.request(story.url).body == first.body


def test_plain_http_is_redirected_by_django_and_never_served_or_stored(site, settings):
    story = make_article("Grid repaired")
    site.request(story.url)
    response = site.request(story.url, scheme="http")
    assert response.status == 301
    assert response.headers["location"] == f"https://localhost{story.url}"
    proxied = site.request(story.url, scheme="http", headers=[(b"x-forwarded-proto", b"http")])
    assert proxied.status == 301
    behind_tls = site.request(story.url, scheme="http", headers=[(b"x-forwarded-proto", b"https")])
    assert behind_tls.status == 200 and "strict-transport-security" in behind_tls.headers


# --- Cache-busting floods -----------------------------------------------------------------------


def test_unknown_query_parameters_share_one_entry(site):
    for n in range(12):
        make_article(f"Story {n}", hero=False)
    first = site.request("/news/?page=2&utm_source=x")
    again = site.request("/news/?cachebuster=93817&page=2")
    assert first.status == again.status == 200
    assert again.body == first.body and site.renders == 1
    assert cached("/news/?page=2") and not cached("/news/")
    assert [key for key in cache.store.entries if key.startswith("/news/")] == ["/news/?page=2"]
    story = make_article("Grid repaired")
    site.request(story.url)
    renders = site.renders
    for n in range(5):
        assert site.request(f"{story.url}?r={n}").status == 200
    assert site.renders == renders


def test_renders_of_uncached_pages_are_limited(site, settings, monkeypatch):
    from newsdesk.pagecache import app

    settings.NEWSDESK_CACHE_RENDER_LIMIT = 2
    monkeypatch.setattr(app, "WAIT_SECONDS", 0.05)
    story = make_article("Grid repaired")
    site.request(story.url)
    monkeypatch.setattr(app.limit, "running", 2)  # two renders already in flight
    over = site.request("/news/some-random-path/")  # waits its turn, which never comes
    assert over.status == 503 and over.headers["retry-after"] == "2"
    assert site.request("/search/?q=grid").status == 503
    assert site.request(story.url).status == 200, "cached pages are served whatever the load"
    assert not app.limit.waiters
    monkeypatch.setattr(app.limit, "running", 1)
    assert site.request("/news/some-random-path/").status == 404
    assert app.limit.running == 1


def test_misses_over_the_render_limit_wait_their_turn_in_order_then_are_refused():
    from newsdesk.pagecache.app import QUEUE_PER_RENDER, RenderLimit

    async def settle():  # a handed-over turn takes a few loop iterations to be picked up
        for _ in range(10):
            await asyncio.sleep(0)

    async def scenario():
        limit = RenderLimit()
        assert await limit.acquire() and await limit.acquire()  # the limit of 2
        order = []

        async def wait(name):
            if await limit.acquire():
                order.append(name)

        queued = [asyncio.create_task(wait(number)) for number in range(2 * QUEUE_PER_RENDER)]
        await settle()
        assert len(limit.waiters) == 2 * QUEUE_PER_RENDER
        assert not await limit.acquire(), "a full queue is refused at once"
        for _ in range(3):
            limit.release()  # each release hands its turn to the longest waiter
        await settle()
        assert order == [0, 1, 2] and limit.running == 2
        queued[3].cancel()  # a reader hangs up while waiting: no turn is lost
        await settle()
        # Twelve waiters are left (one hung up), then the two turns held are freed.
        for _ in range(2 * QUEUE_PER_RENDER - 4 + 2):
            limit.release()
            await settle()
        await asyncio.gather(*queued, return_exceptions=True)
        assert order == [0, 1, 2, *range(4, 2 * QUEUE_PER_RENDER)]
        assert limit.running == 0 and not limit.waiters

    with override_settings(NEWSDESK_CACHE_RENDER_LIMIT=2):
        asyncio.run(scenario())


def test_concurrent_misses_of_one_page_render_once(site):
    url = make_article("Grid repaired").url
    scope = http_scope(url)

    async def burst():
        return await asyncio.gather(*(site._call(dict(scope)) for _ in range(10)))

    responses = site.loop.run_until_complete(burst())
    assert [r.status for r in responses] == [200] * 10
    assert len({r.body for r in responses}) == 1
    assert site.renders == 1


# --- Invalidation: exactly the pages that show the change ------------------------------------

ARTICLE_CHANGE = {
    "home", "news", "story", "sibling", "energy", "reporter", "energy-feed", "reporter-feed",
    "rss", "json", "sitemap", "news-sitemap",
}  # fmt: skip


def test_editing_an_article_refreshes_exactly_the_pages_that_show_it(site, newsroom):
    urls = pages(newsroom)
    fill(site, urls)
    story = newsroom["story"]
    story.title = "Grid repaired in Sumy Oblast"
    story.save_revision().publish()
    assert dropped(urls) == ARTICLE_CHANGE
    for name in ("home", "story", "sibling", "energy", "rss"):
        assert "Grid repaired in Sumy Oblast" in site.request(urls[name]).text, name


def test_publishing_a_new_article_refreshes_its_lists_and_its_topic(site, newsroom):
    urls = pages(newsroom)
    fill(site, urls)
    make_article("Second outage", authors=[newsroom["reporter"]], topics=[newsroom["energy"]])
    assert dropped(urls) == ARTICLE_CHANGE
    assert "Second outage" in site.request(urls["energy"]).text
    assert "Second outage" in site.request(urls["sibling"]).text  # its related stories


def test_unpublishing_and_deleting_an_article_refresh_its_pages(site, newsroom):
    urls = pages(newsroom)
    fill(site, urls)
    newsroom["story"].unpublish()
    assert dropped(urls) == ARTICLE_CHANGE
    assert site.request(urls["story"]).status == 404
    assert "Grid repaired" not in site.request(urls["home"]).text
    fill(site, {k: v for k, v in urls.items() if k != "story"})
    newsroom["sibling"].save_revision().publish()
    fill(site, {k: v for k, v in urls.items() if k != "story"})
    newsroom["sibling"].delete()
    assert {"home", "news", "energy", "sibling", "rss", "sitemap"} <= dropped(urls)
    assert not {"unrelated", "sport", "other", "live"} & dropped(urls)


def test_a_scheduled_publication_refreshes_the_pages_when_it_happens(site, newsroom):
    urls = pages(newsroom)
    story = newsroom["story"]
    story.title = "Grid repaired, officials say"
    story.go_live_at = timezone.now() + timedelta(hours=1)
    story.save_revision().publish()  # scheduled: nothing a reader sees changes yet
    fill(site, urls)
    assert "officials say" not in site.request(urls["story"]).text
    revision = story.get_latest_revision()
    # The hour has passed (as far as Wagtail can tell).
    past = timezone.now() - timedelta(minutes=1)
    revision.approved_go_live_at = past
    revision.content["go_live_at"] = past.isoformat()
    revision.save(update_fields=["approved_go_live_at", "content"])
    call_command("publish_scheduled", verbosity=0)
    assert dropped(urls) == ARTICLE_CHANGE
    assert "officials say" in site.request(urls["story"]).text


LIVE_CHANGE = {"live", "live-rss", "live-index", "home", "sitemap"}
"""The sitemap lists the live feed with the time of its latest change."""


def test_a_live_update_refreshes_its_feed_pages_and_the_home_page_live_box(site, newsroom):
    urls = pages(newsroom)
    fill(site, urls)
    update = post(newsroom["feed"], "Wind picks up")
    assert dropped(urls) == LIVE_CHANGE
    assert "Wind picks up" in site.request(urls["live"]).text
    assert "Wind picks up" in site.request(urls["home"]).text  # the feed's latest updates
    fill(site, urls)
    from newsdesk.live.actions import delete_update, edit_update

    edit_update(update, headline="Wind picks up to 90 km/h")
    assert dropped(urls) == LIVE_CHANGE
    assert "Wind picks up to 90 km/h" in site.request(urls["home"]).text
    fill(site, urls)
    delete_update(update)
    assert dropped(urls) == LIVE_CHANGE
    assert "Wind picks up" not in site.request(urls["home"]).text


def test_the_front_page_sections_are_refreshed_by_what_they_show(site, newsroom):
    """The lead, the next stories, the latest list and the topic sections all come from the
    newest articles, the live box from the running feeds: a new story, an edited headline,
    a renamed topic and a feed that ends all refresh the cached front page."""
    energy = newsroom["energy"]
    for number in range(6):
        make_article(f"Energy story {number}", topics=[energy])
    urls = pages(newsroom)
    fill(site, urls)
    home = site.request("/").text
    assert "topic-section" in home and "Energy" in home
    renamed = newsroom["story"]
    renamed.title = "Grid repaired after a week"
    renamed.save_revision().publish()
    assert "home" in dropped(urls)
    assert "Grid repaired after a week" in site.request("/").text
    make_article("Breaking: new lead", topics=[newsroom["sport"]])
    assert "home" in dropped(urls)
    assert "Breaking: new lead" in site.request("/").text
    fill(site, urls)
    energy.name = "Energy and utilities"
    energy.save()
    assert "home" in dropped(urls)
    assert "Energy and utilities" in site.request("/").text
    fill(site, urls)
    feed = newsroom["feed"]
    feed.status = "ended"
    feed.save_revision().publish()
    assert "home" in dropped(urls)
    assert "Storm over the coast" not in site.request("/").text


def test_the_desks_what_we_know_refreshes_the_feed_page(site, newsroom):
    from newsdesk.live.actions import set_what_we_know

    urls = pages(newsroom)
    fill(site, urls)
    set_what_we_know(newsroom["feed"], "Ferries suspended")
    assert {"live", "live-index", "home"} <= dropped(urls)
    assert "Ferries suspended" in site.request(urls["live"]).text


def test_a_live_update_refreshes_an_article_that_shows_the_feed(site, newsroom):
    # Nothing declares that dependency: the article loaded the feed while rendering its live
    # block, and that tagged it.
    story = newsroom["story"]
    story.live_feed = newsroom["feed"]
    story.save_revision().publish()
    urls = pages(newsroom)
    fill(site, urls)
    post(newsroom["feed"], "Ferry crossings resume")
    assert dropped(urls) == LIVE_CHANGE | {"story"}
    assert "Ferry crossings resume" in site.request(urls["story"]).text


def test_narration_ready_after_the_article_was_cached_refreshes_what_shows_it(
    site, newsroom, settings, tmp_path
):
    """The audio arrives minutes after the publish: its write is a queryset update (no
    signal), and it must still refresh the article, the feeds' enclosures and the podcast."""
    from newsdesk.narration.actions import run_job
    from newsdesk.narration.models import Narration

    settings.DATA_DIR = tmp_path  # the synthesis cache
    urls = {**pages(newsroom), "podcast": "/feeds/podcast.xml"}
    fill(site, urls)
    story = newsroom["story"]
    assert "Listen to this article" not in site.request(urls["story"]).text
    narration = Narration.objects.get(article=story)
    assert run_job("article", narration.pk) == "ready"
    narration.refresh_from_db()
    shown = dropped(urls)
    assert {"story", "podcast", "rss", "json", "energy-feed", "reporter-feed"} <= shown
    assert not {"unrelated", "sport", "sport-feed", "other", "live", "robots"} & shown
    page = site.request(urls["story"]).text
    assert "Listen to this article" in page
    assert '"AudioObject"' in page  # the structured data
    assert narration.audio_url in site.request(urls["rss"]).text  # the enclosure
    assert f"urn:uuid:{narration.guid}" in site.request(urls["podcast"]).text
    # The read API is never cached here (docs/caching.md): it answers from the database.
    assert narration.audio_url in site.request(f"/api/v2/pages/{story.pk}/").text


def test_a_live_briefing_ready_after_the_feed_was_cached_refreshes_its_page(
    site, newsroom, settings, tmp_path
):
    from newsdesk.narration.actions import run_job
    from newsdesk.narration.models import LiveBriefing

    settings.DATA_DIR = tmp_path
    feed = newsroom["feed"]
    post(feed, "Dam gates opened at 10:47 AM", is_key_event=True)
    urls = pages(newsroom)
    fill(site, urls)
    assert "Listen: the latest key events" not in site.request(urls["live"]).text
    briefing = LiveBriefing.objects.get(feed=feed)
    assert run_job("briefing", briefing.pk) == "ready"
    shown = dropped(urls)
    assert "live" in shown
    assert not {"story", "unrelated", "energy", "robots"} & shown
    assert "Listen: the latest key events" in site.request(urls["live"]).text


def test_a_view_restriction_refreshes_every_page(site, newsroom):
    # A restriction hides the page and all below it, wherever they were shown.
    from wagtail.models import PageViewRestriction

    urls = pages(newsroom)
    fill(site, urls)
    restriction = PageViewRestriction.objects.create(
        page=newsroom["story"], restriction_type=PageViewRestriction.LOGIN
    )
    assert dropped(urls) == set(urls)
    assert site.request(urls["story"]).status == 302  # to the login page, not the cached copy
    assert newsroom["story"].title not in site.request(urls["home"]).text
    fill(site, {name: url for name, url in urls.items() if name != "story"})
    restriction.delete()
    assert site.request(urls["story"]).status == 200
    assert newsroom["story"].title in site.request(urls["home"]).text


def test_author_topic_and_image_edits_refresh_what_shows_them(site, newsroom):
    urls = pages(newsroom)
    fill(site, urls)
    other = newsroom["other"]
    other.role = "Sports editor"
    other.save()
    shown = dropped(urls)
    assert {"unrelated", "other"} <= shown
    assert not {"story", "sibling", "energy", "reporter", "live"} & shown
    fill(site, urls)
    sport = newsroom["sport"]
    sport.description = "Matches and results"
    sport.save()
    shown = dropped(urls)
    assert {"sport", "sport-feed", "unrelated"} <= shown
    assert not {"story", "sibling", "energy", "reporter", "other", "live"} & shown
    fill(site, urls)
    image = newsroom["story"].hero_image
    image.credit = "Photo: Energy ministry"
    image.save()
    shown = dropped(urls)
    assert "story" in shown
    assert not {"unrelated", "sport", "other", "live", "robots"} & shown


def test_a_live_update_picture_and_its_image_refresh_what_shows_them(site, newsroom):
    """A picture attached by an edit is a live change; a new credit for its image in the
    library reaches the feed's page, its feed file and the article showing the feed."""
    from newsdesk.live.actions import edit_update

    feed, story = newsroom["feed"], newsroom["story"]
    story.live_feed = feed
    story.save_revision().publish()
    update = post(feed, "Shelter hit")
    urls = pages(newsroom)
    fill(site, urls)
    image = make_image("Shelter", credit="Photo: First")
    edit_update(update, image=image, image_alt="A shelter", image_caption="Sadova Street")
    assert dropped(urls) == LIVE_CHANGE | {"story"}
    assert "Sadova Street (Photo: First)" in site.request(urls["live"]).text.replace(
        '<span class="credit">', ""
    ).replace("</span>", "")
    fill(site, urls)
    image.credit = "Photo: Second"
    image.save()
    shown = dropped(urls)
    assert {"live", "live-rss", "story"} <= shown
    assert not {"unrelated", "sport", "other", "robots"} & shown
    assert "Photo: Second" in site.request(urls["live"]).text
    assert "Photo: Second" in site.request(urls["story"]).text
    assert "Photo: Second" in site.request(urls["live-rss"]).text


def test_a_change_made_during_a_render_is_not_hidden_by_it(site):
    """A render that began before an invalidation must not store what it read."""
    story = make_article("Grid repaired")
    generation = cache.store.generation
    actions.refresh_page(story)  # as if committed while the render ran
    entry = Entry("/x/", b"old", [], '"1"', 0, frozenset({"page:1"}))
    assert cache.store.put(entry, generation) is False
    assert cache.store.put(entry, cache.store.generation) is True


# --- Across processes -----------------------------------------------------------------------------


def test_invalidations_reach_another_process_through_the_database(site):
    """A second store and listener stand for another server process; the change is made by
    a third process (the worker publishing on schedule): only the database carries it."""
    story = make_article("Grid repaired")
    other_store = LocalStore(10_000_000)
    other = Listener(other_store.invalidate)

    async def start():
        other.ensure_started()
        while not other.ready:
            await asyncio.sleep(0.01)

    site.loop.run_until_complete(asyncio.wait_for(start(), timeout=10))
    other_store.put(Entry(story.url, b"x", [], '"1"', 0, frozenset({f"page:{story.pk}"})), 0)
    other_store.put(Entry("/elsewhere/", b"y", [], '"2"', 0, frozenset({"page:999999"})), 0)
    actions.refresh_page(story)
    site.run_until(lambda: other_store.get(story.url) is None)
    assert other_store.get("/elsewhere/") is not None


def test_a_real_second_process_invalidates_this_one(site, tmp_path):
    """`newsdesk post-update` in a process of its own: this process's page drops."""
    import os
    import subprocess
    import sys

    from django.conf import settings
    from django.db import connection

    feed = make_live_feed("Storm over the coast")
    site.request(feed.url)
    assert cached(feed.url)
    env = {**os.environ}
    if connection.vendor == "sqlite":
        # The other process must open the test database, not the development one.
        env["NEWSDESK_TEST_SQLITE"] = str(settings.DATABASES["default"]["NAME"])
    else:
        env["DATABASE_URL"] = _test_database_url()
    script = (
        "import os, django\n"
        "os.environ.setdefault('DJANGO_SETTINGS_MODULE', 'newsdesk.settings')\n"
        "from django.conf import settings\n"
        "path = os.environ.get('NEWSDESK_TEST_SQLITE')\n"
        "django.setup()\n"
        "if path:\n"
        "    from django.db import connections\n"
        "    connections['default'].settings_dict['NAME'] = path\n"
        "from django.core.management import call_command\n"
        f"call_command('post-update', {feed.slug!r}, headline='From elsewhere')\n"
    )
    subprocess.run([sys.executable, "-c", script], env=env, check=True, timeout=120)
    site.run_until(lambda: not cached(feed.url))
    assert "From elsewhere" in site.request(feed.url).text


def _test_database_url():
    from django.db import connection

    params = connection.settings_dict
    user, password = params["USER"], params["PASSWORD"]
    host, port = params["HOST"], params["PORT"] or 5432
    return f"postgres://{user}:{password}@{host}:{port}/{params['NAME']}"


# --- Redis ----------------------------------------------------------------------------------


@pytest.fixture
def redis_cache(settings):
    # scripts/test.sh gives its two runs different numbers: they run side by side.
    settings.REDIS_URL = os.environ.get(
        "NEWSDESK_TEST_REDIS_PAGECACHE_URL", "redis://127.0.0.1:6379/5"
    )
    shared.clear()
    yield shared
    shared.clear()


def test_with_redis_processes_share_rendered_pages_and_invalidations(site, redis_cache):
    story = make_article("Grid repaired")
    unrelated = make_article("Match postponed")
    site.warm()
    first = site.request(story.url)
    site.request(unrelated.url)
    assert site.renders == 2
    assert redis_cache.lookup(story.url)[1] is not None
    cache.store.clear()  # another process: its own memory is empty, Redis is not
    again = site.request(story.url)
    assert again.body == first.body and site.renders == 2, "rendered instead of using Redis"
    story.title = "Grid repaired again"
    story.save_revision().publish()
    assert redis_cache.lookup(story.url)[1] is None
    assert redis_cache.lookup(unrelated.url)[1] is not None
    assert "Grid repaired again" in site.request(story.url).text


def test_redis_refuses_an_entry_rendered_before_an_invalidation(redis_cache):
    generation, _ = redis_cache.lookup("/news/x/")
    entry = Entry("/news/x/", b"old", [], '"1"', 0, frozenset({"page:1"}))
    redis_cache.invalidate({"page:1"})
    assert redis_cache.put(entry, generation) is False
    assert redis_cache.lookup("/news/x/")[1] is None
    generation, _ = redis_cache.lookup("/news/x/")
    assert redis_cache.put(entry, generation) is True
    assert redis_cache.invalidate({"page:1"}) == {"/news/x/"}


# --- Purge hook, memory bound, the mirror ---------------------------------------------------------


def test_the_purge_hook_is_called_in_the_background_for_dropped_pages(site, settings):
    purged = []

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_PURGE(self):  # noqa: N802 - the HTTP method's name
            purged.append(self.path)
            self.send_response(200)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        settings.NEWSDESK_CACHE_PURGE_URL = f"http://127.0.0.1:{server.server_port}/purge{{path}}"
        story = make_article("Grid repaired")
        other = make_article("Match postponed")
        site.request(story.url)
        site.request(other.url)
        site.request("/news/?page=1&utm=x")
        # Publishing purged the new pages' own addresses (and, on the Redis run, whatever
        # the shared store held under their tags): only the refresh's purges are counted.
        purge.wait_until_sent()
        purged.clear()
        actions.refresh_page(story)
        purge.wait_until_sent()
    finally:
        server.shutdown()
    assert f"/purge{story.url}" in purged and "/purge/news/?page=1" in purged
    assert f"/purge{other.url}" not in purged


def test_the_store_keeps_within_its_byte_limit():
    store = LocalStore(20_000)
    for n in range(50):
        store.put(Entry(f"/p{n}/", b"x" * 1000, [], '"1"', 0, frozenset({f"page:{n}"})), 0)
        assert store.size <= 20_000
    assert store.get("/p49/") is not None and store.get("/p0/") is None
    assert store.invalidate({"page:49"}) == {"/p49/"}
    assert set(store.by_tag) == {f"page:{n}" for n in range(50) if f"/p{n}/" in store.entries}


def test_the_mirror_neither_reads_nor_fills_the_cache(site, settings):
    from newsdesk.mirror.render import Reader

    story = make_article("Grid repaired")
    site.request(story.url)
    entry = cache.store.get(story.url)
    entry.body = b"stale bytes"
    reader = Reader(settings.NEWSDESK_BASE_URL)
    with reader.session():
        fetched = reader.get(story.url)
        reader.get("/news/")
    assert b"Grid repaired" in fetched.body and b"stale bytes" not in fetched.body
    assert cache.store.get(story.url) is entry and not cached("/news/")
