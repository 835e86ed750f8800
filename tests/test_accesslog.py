"""The access log's lines (newsdesk/server/accesslog.py); a real server writes them in
tests/test_server.py."""

import asyncio

import pytest

from newsdesk.server import accesslog


def scope(path="/news/flood/", query=b"", client=("203.0.113.9", 40000), raw_path=None):
    return {
        "type": "http",
        "method": "GET",
        "path": path,
        "raw_path": raw_path,
        "query_string": query,
        "client": client,
        "http_version": "1.1",
    }


def test_a_line_names_the_request_its_answer_and_the_cache():
    line = accesslog.line(scope(query=b"page=2"), 200, 9645, started=0.0, cache="hit")
    assert ' access 203.0.113.9 "GET /news/flood/?page=2 HTTP/1.1" 200 9645B ' in line
    assert line.endswith("ms hit")


def test_the_target_is_logged_as_sent_and_cannot_break_the_line():
    # A quote or a new line in the target must not end the quoted part or the line.
    for raw_path in (b'/search/"x"\nforged', None):  # None: a server that gives no raw path
        request = scope(path='/search/"x"\nforged', raw_path=raw_path)
        line = accesslog.line(request, 404, 0, 0.0, "")
        assert '"GET /search/%22x%22%0Aforged HTTP/1.1" 404 0B ' in line
        assert "\n" not in line


def test_without_a_client_address_or_cache_status():
    line = accesslog.line(scope(client=None), 302, 0, 0.0, "")
    assert ' access - "GET /news/flood/ HTTP/1.1" 302 0B ' in line
    assert line.endswith("ms")


@pytest.fixture
def written(monkeypatch):
    lines = []
    monkeypatch.setattr(accesslog, "record", lines.append)
    return lines


def run(application, request_scope):
    sent = []

    async def receive():
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message):
        sent.append(message)

    asyncio.run(application(request_scope, receive, send))
    return sent


def test_each_request_gives_one_line_with_the_bytes_sent(written):
    async def page(scope, receive, send):
        headers = [(b"content-type", b"text/html"), (b"x-cache", b"miss")]
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        await send({"type": "http.response.body", "body": b"<p>one", "more_body": True})
        await send({"type": "http.response.body", "body": b"two</p>"})

    sent = run(accesslog.wrap(page), scope())
    assert [message["type"] for message in sent] == ["http.response.start"] + [
        "http.response.body"
    ] * 2
    assert len(written) == 1
    assert '"GET /news/flood/ HTTP/1.1" 200 13B ' in written[0]
    assert written[0].endswith("ms miss")


def test_a_request_that_failed_is_still_logged(written):
    async def broken(scope, receive, send):
        raise RuntimeError("the view failed")

    with pytest.raises(RuntimeError):
        run(accesslog.wrap(broken), scope())
    assert len(written) == 1
    assert '"GET /news/flood/ HTTP/1.1" 0 0B ' in written[0]


def test_other_connections_are_not_logged(written):
    async def lifespan(scope, receive, send):
        return None

    run(accesslog.wrap(lifespan), {"type": "lifespan"})
    assert written == []


def test_lines_are_written_in_batches(capsys):
    accesslog.flush()  # whatever earlier tests left
    capsys.readouterr()

    async def many():
        for number in range(3):
            accesslog.record(f"line {number}")
        first = capsys.readouterr().err
        await asyncio.sleep(accesslog.FLUSH_SECONDS + 0.2)
        return first, capsys.readouterr().err

    before, after = asyncio.run(many())
    assert before == ""
    assert after == "line 0\nline 1\nline 2\n"


def test_a_flush_left_waiting_on_an_ended_loop_does_not_stop_the_log(capsys):
    async def one(text):
        accesslog.record(text)

    asyncio.run(one("left behind"))  # its loop ends before the flush is due
    capsys.readouterr()

    async def later():
        accesslog.record("next")
        await asyncio.sleep(accesslog.FLUSH_SECONDS + 0.2)

    asyncio.run(later())
    assert capsys.readouterr().err == "left behind\nnext\n"
