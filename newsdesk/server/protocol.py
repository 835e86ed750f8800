"""uvicorn's HTTP protocol, with an answer's head and body sent in one system call.

uvicorn writes the status line and headers when the application sends
`http.response.start`, and the body when it sends `http.response.body`: two `send()` calls
to the kernel for every cached page, which a profile of the page cache's hits showed as half
of their CPU time (nginx sends both in one). Here the writes an application makes in one step
of the event loop are kept and handed to the socket together at the end of that step, as one
`writev()`. Nothing waits longer than the current step, so live event streams are not
delayed; flow control still works, because the real transport sees the data within the same
step and pauses the protocol as before. `newsdesk serve` passes this class to uvicorn
(`http=`); docs/operations.md has the figures.

A page the page cache holds is answered here, before any ASGI: when the application has a
`stored_answer(scope)` (newsdesk/asgi.py gives it the page cache's, pagecache/app.py), the
protocol asks it as soon as a request's headers are in, and on a hit writes the status line,
the Date header, the stored head and the body in one write, and the access-log line (server/
accesslog.py). No task, no ASGI messages, no `send` calls: a hit costs a few dictionary
look-ups (docs/caching.md has the figures). Everything else (a miss, a request with a body,
pipelined requests waiting their turn, a paused writer, an upgrade) goes through uvicorn's
own path unchanged, and `stored_answer` applies the same checks as the ASGI application.
"""

import asyncio
import time
import urllib.parse

import httptools
from uvicorn.protocols.http.httptools_impl import STATUS_LINE, HttpToolsProtocol

from newsdesk.server import accesslog

BODY_HEADERS = (b"content-length", b"transfer-encoding")


class CoalescingTransport:
    """A transport that gathers the writes of one event-loop step into one."""

    def __init__(self, transport: asyncio.WriteTransport, loop: asyncio.AbstractEventLoop):
        self._transport = transport
        self._loop = loop
        self._pending: list[bytes] = []

    def write(self, data: bytes) -> None:
        if not data:
            return
        if not self._pending:
            self._loop.call_soon(self.flush)
        self._pending.append(data)

    def writelines(self, lines) -> None:
        for data in lines:
            self.write(data)

    def flush(self) -> None:
        if not self._pending:
            return
        pending, self._pending = self._pending, []
        if not self._transport.is_closing():
            self._transport.writelines(pending)

    def close(self) -> None:
        self.flush()
        self._transport.close()

    def write_eof(self) -> None:
        self.flush()
        self._transport.write_eof()

    def write_now(self, data: bytes) -> None:
        """Hand `data` to the socket at once, after anything still gathered."""
        if self._pending:
            self._pending.append(data)
            self.flush()
        elif not self._transport.is_closing():
            self._transport.write(data)

    def abort(self) -> None:
        self._pending = []
        self._transport.abort()

    def get_write_buffer_size(self) -> int:
        return self._transport.get_write_buffer_size() + sum(map(len, self._pending))

    def __getattr__(self, name):
        # Everything else (get_extra_info, is_closing, pause_reading, ...) is the socket's own.
        return getattr(self._transport, name)


class CoalescingHttpToolsProtocol(HttpToolsProtocol):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.stored_answer = getattr(self.app, "stored_answer", None)
        self.log_access = getattr(self.app, "logs_access", False)
        self._date_headers = None
        self._date_bytes = b""

    def connection_made(self, transport) -> None:  # type: ignore[override]
        super().connection_made(CoalescingTransport(transport, self.loop))

    def on_headers_complete(self) -> None:
        if self.stored_answer is None or not self._answered_from_store():
            super().on_headers_complete()

    def _answered_from_store(self) -> bool:
        """Answer a request the store holds, here and now; False to take uvicorn's path."""
        cycle = self.cycle
        if (
            (cycle is not None and not cycle.response_complete)
            or self.pipeline
            or self.flow.write_paused
            or self.limit_concurrency is not None
            or self.parser.should_upgrade()
        ):
            return False
        method = self.parser.get_method()
        if method != b"GET" and method != b"HEAD":
            return False
        for name, value in self.headers:
            if name in BODY_HEADERS and (name != b"content-length" or value.strip() != b"0"):
                return False  # a body to read: uvicorn's path reads it
        started = time.time()
        scope = self._scope(method.decode("ascii"))
        try:
            answer = self.stored_answer(scope)
        except Exception:  # a fault here would refuse the request as malformed (400)
            self.logger.exception("Answering from the page cache failed; asking the site")
            return False
        if answer is None:
            return False
        status, head, body = answer
        http_version = self.parser.get_http_version()
        keep_alive = http_version != "1.0" and self.parser.should_keep_alive()
        self.transport.write_now(
            b"".join(
                (
                    STATUS_LINE[status],
                    self._date(),
                    head,
                    b"\r\n" if keep_alive else b"connection: close\r\n\r\n",
                    body,
                )
            )
        )
        if self.log_access:
            accesslog.record(accesslog.line(scope, status, len(body), started, "hit"))
        if not keep_alive:
            self.transport.close()
        self.on_response_complete()  # counts the request, arms the keep-alive timeout
        return True

    def on_message_complete(self) -> None:
        # uvicorn's expects the request's cycle, which an answer from the store never made.
        if self.cycle is not None:
            super().on_message_complete()

    def _scope(self, method: str) -> dict:
        """The part of uvicorn's scope `stored_answer` and the access log read, built the
        same way (uvicorn's on_headers_complete builds it again on a miss)."""
        scope = self.scope
        scope["method"] = method
        http_version = self.parser.get_http_version()
        if http_version != "1.1":
            scope["http_version"] = http_version
        parsed_url = httptools.parse_url(self.url)
        raw_path = parsed_url.path
        path = raw_path.decode("ascii")
        if "%" in path:
            path = urllib.parse.unquote(path)
        scope["path"] = self.root_path + path
        scope["raw_path"] = self.root_path.encode("ascii") + raw_path
        scope["query_string"] = parsed_url.query or b""
        return scope

    def _date(self) -> bytes:
        """uvicorn's default headers (Date, once a second) as header lines, kept until
        uvicorn replaces its list."""
        headers = self.server_state.default_headers
        if headers is not self._date_headers:
            self._date_headers = headers
            self._date_bytes = b"".join(name + b": " + value + b"\r\n" for name, value in headers)
        return self._date_bytes
