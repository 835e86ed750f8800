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
"""

import asyncio

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol


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

    def abort(self) -> None:
        self._pending = []
        self._transport.abort()

    def get_write_buffer_size(self) -> int:
        return self._transport.get_write_buffer_size() + sum(map(len, self._pending))

    def __getattr__(self, name):
        # Everything else (get_extra_info, is_closing, pause_reading, ...) is the socket's own.
        return getattr(self._transport, name)


class CoalescingHttpToolsProtocol(HttpToolsProtocol):
    def connection_made(self, transport) -> None:  # type: ignore[override]
        super().connection_made(CoalescingTransport(transport, self.loop))
