"""The live benchmark's physical floor: the least a Python server can do for N SSE readers.

    python -m benchmarks.live_floor PORT COUNT INTERVAL EVENT_BYTES

A bare asyncio server (uvloop when installed, as uvicorn uses it) that answers any request with
SSE headers and a `retry:` line, keeps the connection, and on a line on stdin writes COUNT
constant events of EVENT_BYTES bytes to every open connection, one every INTERVAL seconds,
with the same chunked framing uvicorn uses. No framework, no database, no per-reader work
beyond one transport.write. It prints the same lines as benchmarks.live_poster, with
`committed` taken just before the writes, so the client code and the statistics are shared.
"""

import asyncio
import contextlib
import json
import sys
import time

HEAD = (
    b"HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\ncache-control: no-cache\r\n"
    b"transfer-encoding: chunked\r\n\r\n"
)


def chunk(data):
    return b"%x\r\n%s\r\n" % (len(data), data)


def event(sequence, size):
    head = f"id: {sequence}\nevent: update\ndata: ".encode()
    return head + b"x" * max(0, size - len(head) - 2) + b"\n\n"


async def serve(port, count, interval, size):
    writers = set()

    async def handle(reader, writer):
        try:
            await reader.readuntil(b"\r\n\r\n")
            writer.write(HEAD + chunk(b"retry: 2000\n\n"))
            writers.add(writer)
            await reader.read()  # until the reader hangs up
        except (OSError, asyncio.IncompleteReadError, asyncio.LimitOverrunError):
            pass
        finally:
            writers.discard(writer)
            writer.close()

    server = await asyncio.start_server(handle, "127.0.0.1", port, backlog=4096)
    loop = asyncio.get_running_loop()
    print(json.dumps({"ready": True}), flush=True)
    await loop.run_in_executor(None, sys.stdin.readline)
    start = time.time()
    for sequence in range(1, count + 1):
        await asyncio.sleep(max(0.0, start + (sequence - 1) * interval - time.time()))
        frame = chunk(event(sequence, size))
        committed = time.time()
        for writer in list(writers):
            writer.write(frame)
        print(json.dumps({"sequence": sequence, "committed": committed}), flush=True)
    await loop.run_in_executor(None, sys.stdin.readline)  # until told to stop
    server.close()


def main():
    port, count, interval, size = sys.argv[1:5]
    coroutine = serve(int(port), int(count), float(interval), int(size))
    try:
        import uvloop
    except ImportError:
        asyncio.run(coroutine)
    else:
        uvloop.run(coroutine)


if __name__ == "__main__":
    with contextlib.suppress(KeyboardInterrupt):
        main()
