"""Database reads shared by the requests that arrive in waves: a crowd of readers reconnecting
after a failover or a restart, or Pushpin asking the same question for every reader of a feed.

Used by the in-process stream (each reconnecting reader's catch-up, the feed lookup, a feed's
first position) and by the GRIP answers (newsdesk/live/gripstream.py). Pure asyncio around a
synchronous read: no Django import, the read does its own database work and closes its
connection.
"""

import asyncio

from asgiref.sync import sync_to_async


class Rounds:
    """Shares database reads between concurrent requests for the same key, never serving an
    answer read before the request arrived.

    A request joins the round that has not started reading yet, or starts one. While a round
    reads, requests for its key wait for the next round, which starts when it ends. So when
    a thousand readers reconnect at once, or Pushpin asks for the same position for every
    reader of a feed, the database is read a few times, not a thousand; and since every read
    starts after the requests it answers arrived, an answer never misses a change that was
    committed (and so maybe published) before its request, which Pushpin would otherwise
    drop as out of sequence and only recover on the next change.
    """

    def __init__(self, read):
        self.read = read
        self.loop = None
        self.waiting = {}  # key: the future of the round that has not started
        self.reading = set()
        self.tasks = set()  # asyncio keeps only weak references to running tasks

    async def get(self, key):
        if self.loop is not asyncio.get_running_loop():
            # A new event loop (tests run several in turn): nothing of the last one applies.
            self.loop = asyncio.get_running_loop()
            self.waiting, self.reading, self.tasks = {}, set(), set()
        future = self.waiting.get(key)
        if future is None:
            future = self.waiting[key] = self.loop.create_future()
            # Nobody may wait for it any more (all hung up): do not warn about its error.
            future.add_done_callback(lambda f: f.cancelled() or f.exception())
            if key not in self.reading:
                self._start(key)
        return await asyncio.shield(future)

    def _start(self, key):
        future = self.waiting.pop(key)
        self.reading.add(key)
        task = self.loop.create_task(self._round(key, future))
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)

    async def _round(self, key, future):
        try:
            answer = await sync_to_async(self.read, thread_sensitive=False)(*key)
        except Exception as error:
            future.set_exception(error)
        else:
            future.set_result(answer)
        finally:
            self.reading.discard(key)
            if key in self.waiting:
                self._start(key)
