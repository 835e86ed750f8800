"""The three request pipelines answer alike: Django's middleware, the page cache in front of it
and the event-stream app beside it all take the allowed-hosts check, the HTTPS redirect and the
security headers from one place (newsdesk/core/security.py), so a header added there reaches
every response. Driven through the site's ASGI application, as a server would, and through the
server's protocol as `newsdesk serve` runs it, which answers stored pages before any ASGI
(tests/test_server_fast_path.py)."""

import pytest

from newsdesk.core import security
from newsdesk.pagecache import cache, shared
from tests.factories import ensure_site_structure, make_live_feed, post
from tests.test_pagecache import Site
from tests.test_server_fast_path import ServerSite

pytestmark = pytest.mark.django_db(transaction=True)  # Django renders in its own thread


@pytest.fixture(params=["asgi", "server"])
def site(request):
    ensure_site_structure()
    cache.store.clear()
    server = Site() if request.param == "asgi" else ServerSite()
    server.warm()
    yield server
    server.close()
    cache.store.clear()
    cache.listener.loop = None


@pytest.fixture
def paths(site):
    feed = make_live_feed("Floods in the valley", slug="floods", status="live")
    post(feed, "Bridge closed")
    site.request("/")  # stored: the page cache's answers below are hits
    return {
        "django": "/live/floods/updates.json",  # never cached: Django answers every time
        "page cache": "/",
        "event stream": "/live/floods/events",
    }


def answer(site, path, **kwargs):
    # HEAD for the event stream: its GET never ends.
    method = "HEAD" if path.endswith("/events") else "GET"
    return site.request(path, method=method, **kwargs)


def security_part(response):
    return sorted(
        (n.lower(), v) for n, v in response.header_list if n.lower() in security.HEADER_NAMES
    )


def test_each_pipeline_sends_the_same_security_headers(site, paths):
    assert site.request("/").headers["x-cache"] == "hit"
    assert site.request(paths["django"]).headers.get("x-cache") is None
    expected = {
        True: sorted(security.security_headers(secure=True)),
        False: sorted(security.security_headers(secure=False)),
    }
    assert b"strict-transport-security" in dict(expected[True])  # production-like settings
    through_proxy = [(b"x-forwarded-proto", b"https")]
    for pipeline, path in paths.items():
        for request in ({"scheme": "https"}, {"scheme": "http", "headers": through_proxy}):
            asgi_calls = getattr(site, "asgi_calls", 0)
            response = answer(site, path, **request)
            assert response.status == 200, (pipeline, request, response.status)
            if pipeline == "page cache":  # the server's protocol answered it, before any ASGI
                assert getattr(site, "asgi_calls", 0) == asgi_calls, request
            assert security_part(response) == expected[True], (pipeline, request)


def test_each_pipeline_redirects_plain_http_to_the_same_place(site, paths, settings):
    for pipeline, path in paths.items():
        response = answer(site, f"{path}?after=3", scheme="http")
        assert response.status == 301, pipeline
        assert response.headers["location"] == f"https://localhost{path}?after=3", pipeline
        assert "strict-transport-security" not in response.headers, pipeline
    settings.SECURE_REDIRECT_EXEMPT = [r"^live/"]
    for pipeline in ("django", "event stream"):
        response = answer(site, paths[pipeline], scheme="http")
        assert response.status == 200, pipeline
        assert security_part(response) == sorted(security.security_headers(secure=False))


def test_each_pipeline_refuses_a_host_that_is_not_allowed(site, paths):
    for pipeline, path in paths.items():
        assert answer(site, path, host=b"evil.example").status == 400, pipeline
        assert answer(site, path, host=b"localhost").status == 200, pipeline


def test_a_header_added_in_one_place_reaches_every_pipeline(site, paths, settings):
    settings.SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin-allow-popups"
    # Stored pages carry the headers of their time (a restart empties the memory; entries in
    # Redis expire within minutes).
    cache.store.clear()
    if shared.enabled():
        shared.clear()
    for pipeline, path in paths.items():
        response = answer(site, path)
        assert response.headers["cross-origin-opener-policy"] == "same-origin-allow-popups", (
            pipeline
        )
