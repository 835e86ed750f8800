"""Security headers and cookies on what readers get (docs/operations.md#security-notes).

Everything goes through the site's ASGI application (newsdesk.asgi.application), page cache
included, so a page is checked as Django renders it (the miss) and as the cache serves it
afterwards (the hit).
"""

import re
from html.parser import HTMLParser
from urllib.parse import urljoin, urlsplit

import pytest
from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.utils import timezone

from newsdesk.narration.models import AudioStatus, Narration
from newsdesk.pagecache import cache
from tests.factories import (
    ensure_site_structure,
    make_article,
    make_author,
    make_image,
    make_live_feed,
    make_topic,
    post,
)
from tests.test_pagecache import Site

pytestmark = pytest.mark.django_db(transaction=True)  # Django renders in its own thread

CRAWL_LIMIT = 300


@pytest.fixture
def site():
    ensure_site_structure()
    cache.store.clear()
    server = Site()
    server.warm()
    yield server
    server.close()
    cache.store.clear()
    cache.listener.loop = None


@pytest.fixture
def newsroom():
    """A small site with every kind of reader page: articles by people and the desk, topics,
    an author with a photo, a live feed with updates, and an article with narration."""
    energy, sport = make_topic("Energy"), make_topic("Sport")
    reporter = make_author("Olena Reporter", photo=make_image("Olena portrait", size=(400, 400)))
    desk = make_author("News desk")
    story = make_article("Grid repaired", authors=[reporter], topics=[energy])
    make_article("Coal deliveries", authors=[desk], topics=[energy])
    make_article("Match postponed", authors=[reporter, desk], topics=[sport], hero=False)
    feed = make_live_feed("Storm over the coast", status="live")
    post(feed, "Wind picks up")
    post(feed, "Ferry cancelled")
    data = b"\xff\xfb\x90\x00" * 256  # an MP3 frame header, repeated: enough here
    audio = default_storage.save(f"narration/{story.pk}.mp3", ContentFile(data))
    Narration.objects.update_or_create(  # publishing asked for one; this is it, finished
        article=story,
        defaults={
            "status": AudioStatus.READY,
            "audio": audio,
            "audio_bytes": len(data),
            "duration": 1.0,
            "finished_at": timezone.now(),
            "audio_updated_at": timezone.now(),
        },
    )
    return {"story": story, "feed": feed}


def directives(policy):
    parsed = {}
    for part in policy.split(";"):
        name, *values = part.split()
        parsed[name] = values
    return parsed


def assert_common_headers(response, what):
    headers = response.headers
    assert headers.get("x-content-type-options") == "nosniff", what
    assert headers.get("referrer-policy") == "strict-origin-when-cross-origin", what
    assert headers.get("cross-origin-opener-policy") == "same-origin", what
    assert headers.get("strict-transport-security") == (
        f"max-age={settings.SECURE_HSTS_SECONDS}"
    ), what


def assert_strict_reader_headers(response, what):
    assert_common_headers(response, what)
    policy = directives(response.headers["content-security-policy"])
    scripts = policy.get("script-src", policy["default-src"])
    assert scripts == ["'self'"], (what, scripts)  # no 'unsafe-inline', no 'unsafe-eval'
    assert policy["default-src"] == ["'self'"], what
    assert policy["object-src"] == ["'none'"] and policy["base-uri"] == ["'self'"], what
    assert policy["frame-ancestors"] == ["'none'"], what
    assert response.headers.get("x-frame-options") == "DENY", what


def reader_pages(newsroom):
    story, feed = newsroom["story"], newsroom["feed"]
    return {
        "home": "/",
        "article": story.url,
        "live page": feed.url,
        "live update": feed.updates.first().get_absolute_url(),
        "rss": "/feeds/rss.xml",
        "atom": "/feeds/atom.xml",
        "json feed": "/feeds/feed.json",
        "podcast": "/feeds/podcast.xml",
        "live feed": f"{feed.url}rss.xml",
        "sitemap": "/sitemap.xml",
        "news sitemap": "/news-sitemap.xml",
        "search": "/search/?q=grid",
        "offline search": "/offline-search/",
        "offline search index": "/offline-search/index.js",
    }


def test_reader_pages_carry_a_strict_policy_when_rendered_and_when_cached(site, newsroom):
    for name, url in reader_pages(newsroom).items():
        first = site.request(url)
        assert first.status == 200, (name, url, first.status)
        assert_strict_reader_headers(first, f"{name} (first request)")
        second = site.request(url)
        assert second.status == 200 and second.body == first.body, name
        assert_strict_reader_headers(second, f"{name} (second request)")
        if first.headers.get("x-cache") == "miss":
            assert second.headers["x-cache"] == "hit", name
    # The cache really answered the second time for everything it keeps.
    assert site.request(newsroom["story"].url).headers["x-cache"] == "hit"
    assert site.request("/feeds/rss.xml").headers["x-cache"] == "hit"


def test_the_admin_sign_in_page_has_its_own_policy_and_cannot_be_framed(site):
    response = site.request("/admin/login/")
    assert response.status == 200
    assert_common_headers(response, "admin login")
    assert response.headers["x-frame-options"] == "DENY"
    policy = directives(response.headers["content-security-policy"])
    assert policy["default-src"] == ["'self'"] and policy["object-src"] == ["'none'"]
    assert policy["frame-ancestors"] == ["'self'"]  # Wagtail previews itself in frames
    assert policy["form-action"] == ["'self'"]
    assert "x-cache" not in response.headers  # the admin never goes through the cache


def test_media_files_are_served_with_nosniff_and_hsts(site, newsroom):
    article = site.request(newsroom["story"].url).text
    urls = [f"/media/narration/{newsroom['story'].pk}.mp3"]
    urls += sorted({link for link in links(article) if link.startswith("/media/images/")})
    assert len(urls) >= 2, urls
    for url in urls:
        for _ in range(2):
            response = site.request(url)
            assert response.status == 200, (url, response.status)
            assert_common_headers(response, url)
            assert response.headers.get("x-frame-options") == "DENY", url
            assert "set-cookie" not in response.headers, url
    assert site.request(urls[0]).headers["content-type"] == "audio/mpeg"


def test_hsts_is_sent_on_https_only_and_plain_http_is_redirected(site, newsroom):
    assert settings.SECURE_HSTS_SECONDS >= 31536000 and not settings.DEBUG
    url = newsroom["story"].url
    for _ in range(2):  # before and after the page is cached
        plain = site.request(url, scheme="http")
        assert plain.status == 301 and plain.headers["location"] == f"https://localhost{url}"
        assert "strict-transport-security" not in plain.headers
        assert "strict-transport-security" in site.request(url).headers


# --- The crawl ---------------------------------------------------------------------------------


class _Links(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.found = []

    def handle_starttag(self, tag, attrs):
        for name, value in attrs:
            if not value:
                continue
            if name in {"href", "src", "poster", "action"}:
                self.found.append(value)
            elif name in {"srcset", "imagesrcset"}:
                self.found += [item.split()[0] for item in value.split(",") if item.strip()]


def links(html, base="/"):
    """Same-site paths (with their query) that a page links to."""
    parser = _Links()
    parser.feed(html)
    own = urlsplit(settings.NEWSDESK_BASE_URL).netloc
    result = []
    for link in parser.found:
        parts = urlsplit(urljoin(base, link.strip()))
        if parts.scheme not in {"", "http", "https"} or parts.netloc not in {"", own}:
            continue
        result.append(parts.path + (f"?{parts.query}" if parts.query else ""))
    return result


def skipped(path):
    """What a reader crawl leaves out, and why: the admin sign-in sets its CSRF cookie (it is
    an editor's page, with its own tests), and an event stream never ends."""
    return path.startswith("/admin/") or path.endswith("/events")


def test_a_crawl_of_public_pages_finds_no_cookie_no_vary_on_cookie_and_no_error(site, newsroom):
    # Home, and what only robots.txt and feed readers link to.
    queue = ["/", "/robots.txt", "/sitemap.xml", "/news-sitemap.xml", "/feeds/podcast.xml"]
    queue.append("/offline-search/")
    seen, kinds = set(queue), set()
    while queue:
        path = queue.pop(0)
        response = site.request(path)
        assert response.status < 500, (path, response.status)
        assert "set-cookie" not in response.headers, (path, response.headers["set-cookie"])
        assert "cookie" not in response.headers.get("vary", "").lower(), path
        kinds.add(path.strip("/").split("/")[0])
        content_type = response.headers.get("content-type", "")
        if "html" in content_type:
            found = links(response.text, path)
        elif "xml" in content_type:  # sitemaps: <loc>; feeds: their enclosures and links
            found = [urlsplit(u).path for u in re.findall(r"<loc>([^<]+)</loc>", response.text)]
            found += links(response.text, path)
        else:
            continue
        for link in found:
            if link not in seen and not skipped(link) and len(seen) < CRAWL_LIMIT:
                seen.add(link)
                queue.append(link)
    expected = {"", "news", "live", "authors", "topics", "feeds", "media", "static", "search"}
    expected |= {"sitemap.xml", "news-sitemap.xml", "robots.txt", "offline-search"}
    assert expected <= kinds, expected - kinds
    assert len(seen) >= 40, sorted(seen)
    # Pages read again from the cache carry no cookie either.
    again = site.request(newsroom["story"].url)
    assert again.headers["x-cache"] == "hit" and "set-cookie" not in again.headers
