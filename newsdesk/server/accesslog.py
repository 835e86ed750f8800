"""The access log: one line per request, written to standard error in batches.

uvicorn's own access log goes through `logging` with a formatter for every request; on a
cached page that was about 35 µs of a hit's 75 µs of CPU (docs/operations.md, "Logs"), so
half of what a cached page cost was writing about it. This layer formats a line with one
f-string and writes the lines collected over half a second at once. `newsdesk serve` turns
uvicorn's access log off and puts this in front of the site (newsdesk/asgi.py).

A line is written when the response has ended, so it can give the bytes sent, the time taken
and whether the page cache answered; a live event stream is logged when it closes. A process
killed with SIGKILL loses at most the last half second of lines.

    2026-12-02 18:20:01 access 127.0.0.1 "GET /news/flood/ HTTP/1.1" 200 9645B 0.1ms hit
"""

import asyncio
import atexit
import re
import sys
import time

FLUSH_SECONDS = 0.5
FLUSH_LINES = 512

# A quote or a control character in a target could fake a line: logged as %XX, as sent.
_ESCAPES = {code: f"%{code:02X}" for code in [*range(32), 34, 127]}
_NEEDS_ESCAPE = re.compile('[\x00-\x1f"\x7f]')
"""Looked for first: escaping a target that needs none cost more (1.7 µs) than the search."""

_lines: list[str] = []
_flush_loop = None  # the event loop a flush is waiting on, if any
_stamp_second = 0
_stamp = ""


def flush():
    global _flush_loop
    _flush_loop = None
    if not _lines:
        return
    text = "".join(_lines)
    _lines.clear()
    try:
        sys.stderr.write(text)
        sys.stderr.flush()
    except (OSError, ValueError):  # stderr closed or gone: a log line is not worth a crash
        pass


atexit.register(flush)


def _now_stamp(now):
    """The second as text, formatted once a second rather than once a request."""
    global _stamp_second, _stamp
    second = int(now)
    if second != _stamp_second:
        _stamp_second = second
        _stamp = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(second))
    return _stamp


def line(scope, status, sent, started, cache):
    """One access-log line (without its newline); pure but for the clock."""
    now = time.time()
    client = scope.get("client")
    address = client[0] if client else "-"
    query = scope.get("query_string", b"")
    target = scope.get("raw_path") or scope["path"].encode()
    if query:
        target = target + b"?" + query
    target_text = target.decode("latin-1")
    if _NEEDS_ESCAPE.search(target_text):
        target_text = target_text.translate(_ESCAPES)
    http = scope.get("http_version", "1.1")
    tail = f" {cache}" if cache else ""
    return (
        f'{_now_stamp(now)} access {address} "{scope["method"]} {target_text} HTTP/{http}" '
        f"{status} {sent}B {(now - started) * 1000:.2f}ms{tail}"
    )


def record(text):
    global _flush_loop
    _lines.append(text + "\n")
    if len(_lines) >= FLUSH_LINES:
        flush()
        return
    try:
        loop = asyncio.get_running_loop()
    except RuntimeError:  # no loop (called from a thread): write now
        flush()
        return
    # A flush waits on this loop already, unless it waited on another that has since ended.
    if _flush_loop is not loop:
        _flush_loop = loop
        loop.call_later(FLUSH_SECONDS, flush)


def wrap(downstream):
    """`downstream`, with a line in the access log for every HTTP request."""

    async def application(scope, receive, send):
        if scope["type"] != "http":
            return await downstream(scope, receive, send)
        started = time.time()
        status = 0
        sent = 0
        cache = ""

        async def logged_send(message):
            nonlocal status, sent, cache
            if message["type"] == "http.response.start":
                status = message["status"]
                for name, value in message.get("headers", ()):
                    if name == b"x-cache":
                        cache = value.decode("latin-1")
            elif message["type"] == "http.response.body":
                sent += len(message.get("body", b""))
            await send(message)

        try:
            await downstream(scope, receive, logged_send)
        finally:
            # A request that ended without a response (the client left first) shows status 0.
            record(line(scope, status, sent, started, cache))

    return application
