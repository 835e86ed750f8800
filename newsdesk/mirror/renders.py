"""Rendering a run's pages in several processes.

A page costs the mirror a whole Django render (tens of milliseconds of CPU), and a full run
renders every page of the site, one after another, on one core. Rendering is independent
from page to page, so `--workers N` forks N processes once the run is planned: each has its
own database connection and renders, through Django, the pages it is given, and rewrites
their links (the other costly step); the run's own process keeps everything else (the crawl,
the manifest, hashes, staging, the checks), so the output is the same whatever the number of
processes or the order results come back in (tests/test_mirror.py compares the two).

Forking shares what was read before it: the settings, the site state, the run's time for
live snapshots. With one worker, pages render in the run's own process, as before.
"""

from __future__ import annotations

import multiprocessing
from collections import deque
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from django.db import connections

from newsdesk.mirror import links
from newsdesk.mirror.render import Response

if TYPE_CHECKING:
    from newsdesk.mirror.builder import Builder

IN_FLIGHT = 4
"""Pages handed to each process at a time: enough that none waits for the next."""


@dataclass
class Rendered:
    response: Response
    """Status and headers; its body is moved to `data`."""
    data: bytes = b""
    links: list[links.Link] = field(default_factory=list)
    content: str | None = None
    mentions: list[str] = field(default_factory=list)


_builder: Builder | None = None
"""The run, in a render process (inherited by fork)."""


def _render(url: str, file: str, validators) -> Rendered:
    assert _builder is not None
    return _builder.render(url, file, validators)


def _start_process() -> None:
    # The parent's connections were closed before the fork; never share a database socket.
    connections.close_all()


class Pool:
    def __init__(self, builder: Builder, workers: int):
        self.builder = builder
        self.workers = workers
        self.executor: ProcessPoolExecutor | None = None
        self.pending: dict[Future, tuple[str, str]] = {}
        self.done: deque[tuple[str, str, Rendered]] = deque()

    def __enter__(self) -> Pool:
        global _builder
        if self.workers > 1:
            connections.close_all()
            _builder = self.builder
            self.executor = ProcessPoolExecutor(
                max_workers=self.workers,
                mp_context=multiprocessing.get_context("fork"),
                initializer=_start_process,
            )
        return self

    def __exit__(self, *exc_info) -> None:
        global _builder
        if self.executor is not None:
            self.executor.shutdown(wait=True, cancel_futures=True)
            _builder = None

    @property
    def busy(self) -> bool:
        return bool(self.pending or self.done)

    @property
    def full(self) -> bool:
        """In one process, one page at a time, so that rendered pages never pile up."""
        capacity = self.workers * IN_FLIGHT if self.executor is not None else 1
        return len(self.pending) + len(self.done) >= capacity

    def submit(self, url: str, file: str, validators) -> None:
        if self.executor is None:
            self.done.append((url, file, self.builder.render(url, file, validators)))
            return
        self.pending[self.executor.submit(_render, url, file, validators)] = (url, file)

    def finished(self):
        """The renders that are done, waiting for at least one when none is."""
        while self.done:
            yield self.done.popleft()
        if not self.pending:
            return
        ready, _ = wait(self.pending, return_when=FIRST_COMPLETED)
        for future in ready:
            url, file = self.pending.pop(future)
            yield url, file, future.result()
