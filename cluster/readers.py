"""Clients for the cluster's kill test: live readers and a poster, through the load balancer
over HTTPS, as browsers and a wire bot would.

A reader behaves like a browser's EventSource: it reads the stream, and when the stream ends
or the connection fails it connects again after the stream's `retry` time, sending the last
event id it saw (Last-Event-ID). Unlike a browser it also retries after an error status, so
that every reader is still there to be counted at the end; each attempt and its outcome is
recorded with the time it started.
"""

import asyncio
import contextlib
import json
import re
import ssl
import time
from dataclasses import dataclass, field


def client_context():
    """The cluster's certificate is self-signed: the test clients skip verification."""
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    return context


@dataclass
class Attempt:
    started: float
    outcome: object = None  # an HTTP status, or the name of a connection error
    ended: float = 0.0


@dataclass
class Reader:
    address: str
    slug: str
    after: int
    context: ssl.SSLContext
    events: list = field(default_factory=list)  # event ids, in the order they arrived
    arrivals: dict = field(default_factory=dict)  # event id -> time.time() it arrived
    attempts: list = field(default_factory=list)
    last: int | None = None
    retry: float = 2.0
    reloads: int = 0

    def __post_init__(self):
        self.subscribed = asyncio.Event()

    async def run(self, stop):
        while not stop.is_set():
            attempt = Attempt(time.time())
            self.attempts.append(attempt)
            try:
                await self.connect(attempt)
            except (
                OSError,
                EOFError,
                ValueError,
                asyncio.IncompleteReadError,
                TimeoutError,
            ) as error:
                attempt.outcome = attempt.outcome or type(error).__name__
            attempt.ended = time.time()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), self.retry)

    async def connect(self, attempt):
        resume = f"Last-Event-ID: {self.last}\r\n" if self.last is not None else ""
        path = f"/live/{self.slug}/events" + (
            "" if self.last is not None else f"?after={self.after}"
        )
        reader, writer = await asyncio.wait_for(
            asyncio.open_connection(self.address, 443, ssl=self.context), 10
        )
        try:
            writer.write(
                f"GET {path} HTTP/1.1\r\nHost: {self.address}\r\nAccept: text/event-stream\r\n"
                f"Cache-Control: no-cache\r\n{resume}\r\n".encode()
            )
            head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 15)
            attempt.outcome = int(head.split(b" ", 2)[1])
            if attempt.outcome == 200:
                await self.read(reader, b"transfer-encoding: chunked" in head.lower())
        finally:
            # Not close(): a TLS close waits for the event loop to send its close_notify,
            # and a reader stopped at the end of a run would leave its socket open (and the
            # balancer counting the connection) once the loop is gone.
            writer.transport.abort()

    async def read(self, reader, chunked):
        buffer = b""
        while True:
            if chunked:
                # No read timeout of its own, like EventSource: the balancer cuts a stream
                # that sends nothing for 65 s (a heartbeat comes every 15 s).
                size_line = await reader.readline()
                if not size_line:
                    return
                size = int(size_line.split(b";")[0], 16)
                if size == 0:
                    return
                data = (await reader.readexactly(size + 2))[:-2]
            else:
                data = await reader.read(65536)
                if not data:
                    return
            buffer += data
            while (end := buffer.find(b"\n\n")) >= 0:
                frame, buffer = buffer[:end], buffer[end + 2 :]
                self.take(frame)

    def take(self, frame):
        if match := re.search(rb"^id: (\d+)$", frame, re.M):
            self.events.append(int(match[1]))
            self.arrivals.setdefault(int(match[1]), time.time())
            self.last = int(match[1])
        elif match := re.match(rb"retry: (\d+)", frame):
            self.retry = int(match[1]) / 1000
            self.subscribed.set()
        elif frame.startswith(b"event: reload"):
            self.reloads += 1


async def request(address, context, method, path, headers=None, body=b"", timeout=10):
    """One HTTPS request on a connection of its own: (status, parsed JSON body or None)."""
    reader, writer = await asyncio.wait_for(
        asyncio.open_connection(address, 443, ssl=context), timeout
    )
    try:
        lines = [f"{method} {path} HTTP/1.1", f"Host: {address}", "Connection: close"]
        lines += [f"{name}: {value}" for name, value in (headers or {}).items()]
        lines.append(f"Content-Length: {len(body)}")
        writer.write(("\r\n".join(lines) + "\r\n\r\n").encode() + body)
        response = await asyncio.wait_for(reader.read(), timeout)
    finally:
        writer.close()
    if not response:
        raise EOFError("the connection closed with no answer")
    head, _, payload = response.partition(b"\r\n\r\n")
    status = int(head.split(b" ", 2)[1])
    try:
        return status, json.loads(payload)
    except ValueError:
        return status, None


@dataclass
class Post:
    sent: float
    outcome: object = None  # the HTTP status, or the name of the error
    sequence: int | None = None
    answered: float = 0.0


@dataclass
class Poster:
    """Posts an update every `interval` seconds through the posting API, whether or not the
    previous post has been answered, rotating tokens (each may post 60 a minute)."""

    address: str
    slug: str
    tokens: list
    context: ssl.SSLContext
    interval: float = 0.2
    posts: list = field(default_factory=list)

    async def run(self, stop):
        pending = []
        number = 0
        next_at = time.monotonic()
        while not stop.is_set():
            pending.append(asyncio.create_task(self.post(number)))
            number += 1
            next_at += self.interval
            await asyncio.sleep(max(0.0, next_at - time.monotonic()))
        await asyncio.gather(*pending)

    async def post(self, number):
        post = Post(time.time())
        self.posts.append(post)
        body = json.dumps({"headline": f"Cluster kill test, update {number}"}).encode()
        headers = {
            "Authorization": f"Bearer {self.tokens[number % len(self.tokens)]}",
            "Content-Type": "application/json",
        }
        path = f"/api/live/{self.slug}/updates"
        try:
            post.outcome, answer = await request(
                self.address, self.context, "POST", path, headers, body
            )
            if post.outcome == 201:
                post.sequence = answer["sequence"]
        except (OSError, EOFError, ValueError, TimeoutError) as error:
            post.outcome = type(error).__name__
        post.answered = time.time()
