"""Cached pages answered inside the server's protocol, before any ASGI (newsdesk/server/
protocol.py, pagecache/app.py `stored_answer`): the same bytes and rules as the page cache's
ASGI path, through uvicorn's real protocol class configured as `newsdesk serve` configures it,
fed raw HTTP on the page cache tests' event loop."""

import asyncio

import pytest
import uvicorn
from uvicorn.server import ServerState

from newsdesk.server import accesslog
from newsdesk.server.protocol import CoalescingHttpToolsProtocol
from tests.factories import make_article, make_user
from tests.test_pagecache import Response, Site, running, signed_in_cookie

pytestmark = pytest.mark.django_db(transaction=True)  # Django renders in its own thread

DATE = (b"date", b"Thu, 03 Dec 2026 07:00:00 GMT")


class Transport(asyncio.Transport):
    """A socket's side of the protocol: keeps what is written."""

    def __init__(self, secure):
        super().__init__()
        self.secure = secure
        self.written = bytearray()
        self.closed = False

    def write(self, data):
        self.written += data

    def writelines(self, lines):
        for data in lines:
            self.write(data)

    def is_closing(self):
        return self.closed

    def close(self):
        self.closed = True

    def get_extra_info(self, name, default=None):
        if name == "sslcontext":
            return object() if self.secure else None
        if name in ("peername", "sockname"):
            return ("127.0.0.1", 50000 if name == "peername" else 8000)
        return default

    def pause_reading(self):
        pass

    def resume_reading(self):
        pass


def parse(data, method):
    """(status, headers, body, bytes after it) if `data` holds a whole answer, else None."""
    head, separator, rest = bytes(data).partition(b"\r\n\r\n")
    if not separator:
        return None
    status_line, *lines = head.split(b"\r\n")
    status = int(status_line.split()[1])
    headers = [tuple(line.split(b": ", 1)) for line in lines]
    fields = {name.lower(): value for name, value in headers}
    if method == "HEAD" or status in (204, 304):
        return status, headers, b"", rest
    if b"content-length" in fields:
        length = int(fields[b"content-length"])
        return (status, headers, rest[:length], rest[length:]) if len(rest) >= length else None
    if fields.get(b"transfer-encoding") == b"chunked":
        body = b""
        while True:
            size, crlf, after = rest.partition(b"\r\n")
            if not crlf:
                return None
            length = int(size, 16)
            if len(after) < length + 2:
                return None
            body, rest = body + after[:length], after[length + 2 :]
            if length == 0:
                return status, headers, body, rest
    return status, headers, rest, b""


class ServerSite(Site):
    """The site as `newsdesk serve` runs it: requests go in as bytes through the protocol.
    `asgi_calls` counts the requests that reached the ASGI application."""

    def __init__(self):
        super().__init__()
        self.asgi_calls = 0
        self.config = uvicorn.Config(
            self.asgi.application,
            http=CoalescingHttpToolsProtocol,
            proxy_headers=False,  # as `newsdesk serve`
            access_log=False,
            lifespan="off",
            log_config=None,
        )
        self.config.load()
        self.state = ServerState()
        self.state.default_headers = [DATE]

    def connect(self, secure=True):
        protocol = CoalescingHttpToolsProtocol(
            config=self.config, server_state=self.state, app_state={}, _loop=self.loop
        )
        original = protocol._start_asgi_task

        def counted(cycle, app):
            self.asgi_calls += 1
            return original(cycle, app)

        protocol._start_asgi_task = counted
        transport = Transport(secure)
        protocol.connection_made(transport)
        return protocol, transport

    def request(self, path, *, method="GET", host=b"localhost", headers=(), scheme="https"):
        protocol, transport = self.connect(secure=scheme == "https")
        try:
            return self.exchange(protocol, transport, path, method, host, headers)
        finally:
            protocol.connection_lost(None)

    def exchange(self, protocol, transport, path, method="GET", host=b"localhost", headers=()):
        lines = [f"{method} {path} HTTP/1.1".encode(), b"host: " + host]
        lines += [name + b": " + value for name, value in headers]
        transport.written.clear()
        # In the event loop, as a server's socket delivers it.
        self.loop.call_soon(protocol.data_received, b"\r\n".join(lines) + b"\r\n\r\n")

        async def answered():
            while (found := parse(transport.written, method)) is None:
                await asyncio.sleep(0.005)
            return found

        status, header_list, body, rest = self.loop.run_until_complete(
            asyncio.wait_for(answered(), timeout=30)
        )
        assert rest == b"", "more bytes than one answer"
        return Response(status, header_list, body)


@pytest.fixture
def site(monkeypatch):
    yield from running(ServerSite, monkeypatch)


def test_serve_configuration_has_the_fast_path(site):
    protocol, _ = site.connect()
    assert protocol.stored_answer is not None


def test_a_hit_is_answered_by_the_protocol_with_the_asgi_paths_bytes(site):
    story = make_article("Grid repaired")
    first = site.request(story.url)
    assert (first.status, first.headers["x-cache"], site.asgi_calls) == (200, "miss", 1)
    second = site.request(story.url)
    assert site.asgi_calls == 1 and site.renders == 1, "a hit went through ASGI"
    assert second.status == 200 and second.body == first.body
    assert second.headers.pop("x-cache") == "hit"
    first.headers.pop("x-cache")
    assert second.headers == first.headers
    assert second.header_list[0] == DATE
    through_asgi = Site.request(site, story.url)  # the ASGI path's own hit, for comparison
    assert through_asgi.header_list == second.header_list[1:]
    assert "strict-transport-security" in second.headers


def test_keep_alive_answers_in_turn_and_close_when_asked(site):
    story = make_article("Grid repaired")
    site.request(story.url)
    protocol, transport = site.connect()
    for _ in range(3):
        response = site.exchange(protocol, transport, story.url)
        assert response.status == 200 and "connection" not in response.headers
        assert not transport.closed
    response = site.exchange(protocol, transport, story.url, headers=[(b"connection", b"close")])
    assert response.status == 200 and response.headers["connection"] == "close"
    assert transport.closed
    assert site.asgi_calls == 1


def test_not_modified_and_head_from_the_protocol(site):
    story = make_article("Grid repaired")
    first = site.request(story.url)
    etag = first.headers["etag"].encode()
    not_modified = site.request(story.url, headers=[(b"if-none-match", etag)])
    assert not_modified.status == 304 and not_modified.body == b""
    assert not_modified.headers["etag"] == first.headers["etag"]
    assert "content-length" not in not_modified.headers
    assert "strict-transport-security" in not_modified.headers
    since = first.headers["last-modified"].encode()
    assert site.request(story.url, headers=[(b"if-modified-since", since)]).status == 304
    other = site.request(story.url, headers=[(b"if-none-match", b'"other"')])
    assert other.status == 200 and other.body == first.body
    head = site.request(story.url, method="HEAD")
    assert head.status == 200 and head.body == b""
    assert head.headers["content-length"] == str(len(first.body))
    assert site.asgi_calls == 1


def test_hsts_only_over_https(site, settings):
    story = make_article("Grid repaired")
    site.request(story.url)
    assert "strict-transport-security" in site.request(story.url).headers
    settings.SECURE_SSL_REDIRECT = False
    plain = site.request(story.url, scheme="http")
    assert plain.status == 200 and plain.headers["x-cache"] == "hit"
    assert "strict-transport-security" not in plain.headers
    forwarded = site.request(story.url, scheme="http", headers=[(b"x-forwarded-proto", b"https")])
    assert "strict-transport-security" in forwarded.headers
    settings.SECURE_SSL_REDIRECT = True
    assert site.request(story.url, scheme="http").status == 301
    assert site.asgi_calls == 2


def test_an_edit_is_served_at_once(site):
    story = make_article("Grid repaired")
    assert "Grid repaired" in site.request(story.url).text
    assert site.request(story.url).headers["x-cache"] == "hit"
    story.title = "Grid repaired in Sumy Oblast"
    story.save_revision().publish()
    fresh = site.request(story.url)
    assert fresh.headers["x-cache"] == "miss" and "Grid repaired in Sumy Oblast" in fresh.text
    assert site.renders == 2


def test_uncacheable_requests_go_through_django(site):
    story = make_article("Grid repaired")
    site.request(story.url)
    requests = [
        {"headers": [signed_in_cookie(make_user("editor-one"))]},
        {"headers": [(b"authorization", b"Token abc")]},
        {"method": "POST", "headers": [(b"content-length", b"0")]},
        {"host": b"evil.example"},
    ]
    for number, request in enumerate(requests, start=2):
        response = site.request(story.url, **request)
        assert response.headers.get("x-cache") != "hit", request
        assert site.asgi_calls == number, request
    assert site.request(story.url).headers["x-cache"] == "hit"
    assert site.asgi_calls == len(requests) + 1


def test_a_request_with_a_body_goes_through_uvicorn(site):
    story = make_article("Grid repaired")
    site.request(story.url)
    protocol, transport = site.connect()
    transport.written.clear()
    site.loop.call_soon(
        protocol.data_received,
        f"GET {story.url} HTTP/1.1\r\nhost: localhost\r\ncontent-length: 2\r\n\r\nhi".encode(),
    )
    site.run_until(lambda: parse(transport.written, "GET") is not None)
    assert parse(transport.written, "GET")[0] == 200
    assert site.asgi_calls == 2


def test_an_access_log_line_for_each_hit(site, monkeypatch):
    lines = []
    monkeypatch.setattr(accesslog, "record", lines.append)
    story = make_article("Grid repaired")
    site.request(story.url)  # a miss: logged by the ASGI layer, when it is on (settings)
    lines.clear()
    site.request(f"{story.url}?q=%22x", headers=[(b"if-none-match", b"*")])
    site.request(story.url)
    assert len(lines) == 2
    assert f'"GET {story.url}?q=%22x HTTP/1.1" 304 0B ' in lines[0]
    assert lines[0].endswith(" hit") and lines[0].split(" access ")[1].startswith("127.0.0.1 ")
    assert f'"GET {story.url} HTTP/1.1" 200 ' in lines[1]


def test_pipelined_requests_are_answered_in_order(site):
    stored = make_article("Grid repaired")
    other = make_article("Bridge closed")
    site.request(stored.url)
    protocol, transport = site.connect()
    requests = b"".join(
        f"GET {path} HTTP/1.1\r\nhost: localhost\r\n\r\n".encode()
        for path in (stored.url, other.url, stored.url)  # a hit, a miss, a hit behind it
    )
    transport.written.clear()
    site.loop.call_soon(protocol.data_received, requests)

    def answers():
        found, rest = [], bytes(transport.written)
        while (parsed := parse(rest, "GET")) is not None:
            found.append(parsed)
            rest = parsed[3]
        return found

    site.run_until(lambda: len(answers()) == 3)
    texts = [body.decode() for _, _, body, _ in answers()]
    assert "Grid repaired" in texts[0] and "Grid repaired" in texts[2]
    assert "Bridge closed" in texts[1]
