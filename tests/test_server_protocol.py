"""uvicorn's HTTP protocol with each answer sent in one system call
(newsdesk/server/protocol.py), serving real requests over a real socket."""

import asyncio
import http.client
import socket
import threading

import pytest
import uvicorn

from newsdesk.server.protocol import CoalescingHttpToolsProtocol, CoalescingTransport

client_read_first_part = threading.Event()


async def site(scope, receive, send):
    if scope["type"] != "http":
        return
    if scope["path"] == "/stream":
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"first\n", "more_body": True})
        # The second part is sent only once the client has read the first: had the first
        # been held back until the answer ended, the client would wait here for ever.
        while not client_read_first_part.is_set():
            await asyncio.sleep(0.01)
        await send({"type": "http.response.body", "body": b"second\n"})
        return
    body = scope["path"].encode() * 2000
    headers = [(b"content-type", b"text/plain"), (b"content-length", str(len(body)).encode())]
    await send({"type": "http.response.start", "status": 200, "headers": headers})
    await send({"type": "http.response.body", "body": body})


@pytest.fixture(scope="module")
def server():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    config = uvicorn.Config(
        site, host="127.0.0.1", port=port, http=CoalescingHttpToolsProtocol, log_level="warning"
    )
    running = uvicorn.Server(config)
    thread = threading.Thread(target=running.run, daemon=True)
    thread.start()
    while not running.started:
        thread.join(0.05)
    yield port
    running.should_exit = True
    thread.join(10)


def test_several_answers_on_one_kept_alive_connection(server):
    connection = http.client.HTTPConnection("127.0.0.1", server, timeout=10)
    for path in ("/one", "/two", "/three"):
        connection.request("GET", path)
        response = connection.getresponse()
        assert response.status == 200
        assert response.read() == path.encode() * 2000
    connection.close()


def test_a_connection_closed_after_the_answer_gets_all_of_it(server):
    connection = http.client.HTTPConnection("127.0.0.1", server, timeout=10)
    connection.request("GET", "/last", headers={"Connection": "close"})
    response = connection.getresponse()
    assert response.read() == b"/last" * 2000
    assert response.getheader("connection") == "close"


def test_a_stream_part_is_sent_without_waiting_for_the_next(server):
    client_read_first_part.clear()
    with socket.create_connection(("127.0.0.1", server), timeout=10) as stream:
        stream.sendall(b"GET /stream HTTP/1.1\r\nHost: localhost\r\n\r\n")
        received = b""
        while b"first\n" not in received:
            received += stream.recv(4096)
        client_read_first_part.set()
        while b"second\n" not in received:
            received += stream.recv(4096)
    assert received.startswith(b"HTTP/1.1 200 OK\r\n")
    assert received.index(b"first\n") < received.index(b"second\n")


class RecordingTransport(asyncio.Transport):
    """A transport that keeps what it is given: the calls are what the test is about."""

    def __init__(self):
        super().__init__()
        self.calls = []
        self.closed = False

    def writelines(self, lines):
        self.calls.append(list(lines))

    def is_closing(self):
        return self.closed

    def get_write_buffer_size(self):
        return 0

    def close(self):
        self.closed = True


def test_writes_of_one_step_go_out_together_and_in_order():
    async def step():
        loop = asyncio.get_running_loop()
        inner = RecordingTransport()
        transport = CoalescingTransport(inner, loop)
        transport.write(b"HTTP/1.1 200 OK\r\n\r\n")
        transport.write(b"body")
        assert inner.calls == []  # not yet: the step is not over
        assert transport.get_write_buffer_size() == 23
        await asyncio.sleep(0)
        assert inner.calls == [[b"HTTP/1.1 200 OK\r\n\r\n", b"body"]]
        transport.write(b"last")
        transport.close()  # what was written goes out before the connection closes
        assert inner.calls[-1] == [b"last"] and inner.closed
        await asyncio.sleep(0)
        assert len(inner.calls) == 2

    asyncio.run(step())
