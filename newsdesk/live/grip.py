"""GRIP, the protocol between the event stream and Pushpin. Pure: no Django, no I/O.

When Pushpin is in front (NEWSDESK_PUSHPIN_URL), a reader's request reaches the stream through
Pushpin, which marks it with a `Grip-Sig` header. The stream answers with what the reader
missed and instructions in response headers: hold the connection open as a stream
(`Grip-Hold`), subscribed to the feed's channel at a given position (`Grip-Channel: live-7;
prev-id=41`), with a URL to ask when something is missing (`Grip-Link: <...>; rel=next`) and a
heartbeat to send when idle (`Grip-Keep-Alive`). Each change is then published once to
Pushpin's control endpoint with `id` = its sequence number and `prev-id` = the number before
it, and Pushpin passes it to every reader whose position is that `prev-id`. docs/live.md
tells the whole story.
"""

import base64
import json
from collections.abc import Iterable, Sequence
from typing import Any

from newsdesk.live.events import parse_sequence, sse_comment

CHANNEL_PREFIX = "live-"
KEEP_ALIVE_SECONDS = 15
"""Pushpin sends a heartbeat after this long without an event (as the in-process stream does)."""
HEARTBEAT = sse_comment("heartbeat")
SUPERSEDED = sse_comment("superseded")
"""What is published for a number whose change a later one has already replaced: it keeps
the chain of ids unbroken, and the later change is published in its turn."""


def channel(feed_id: int) -> str:
    return f"{CHANNEL_PREFIX}{feed_id}"


def is_grip_request(headers: Iterable[tuple[bytes, bytes]]) -> bool:
    """Whether the request came through Pushpin (ASGI header names are lower case)."""
    return any(name == b"grip-sig" for name, _ in headers)


def last_ids(headers: Iterable[tuple[bytes, bytes]]) -> tuple[tuple[str, int], ...]:
    """The positions in Pushpin's `Grip-Last: live-7; last-id=41` headers (sent when it asks a
    next link), as sorted (channel, id) pairs; empty when there are none."""
    found: dict[str, int] = {}
    for name, value in headers:
        if name != b"grip-last":
            continue
        for entry in value.decode("latin-1").split(","):
            channel_name, _, params = entry.partition(";")
            for param in params.split(";"):
                key, _, text = param.partition("=")
                number = parse_sequence(text) if key.strip() == "last-id" else None
                if number is not None:
                    found[channel_name.strip()] = number
    return tuple(sorted(found.items()))


def hold_headers(
    feed_id: int, position: int, next_link: str, check_seconds: int
) -> list[tuple[bytes, bytes]]:
    """Response headers telling Pushpin to hold the stream on the feed's channel at `position`.

    Pushpin passes on a published change only when its prev-id is the position it holds, and
    asks `next_link` (with Grip-Last) when one is not, and every `check_seconds` besides: the
    bound on how late a change whose publish was lost arrives when no later one shows the gap.
    """
    keep_alive = base64.b64encode(HEARTBEAT.encode()).decode()
    return [
        (b"grip-hold", b"stream"),
        (b"grip-channel", f"{channel(feed_id)}; prev-id={position}".encode()),
        (b"grip-link", f"<{next_link}>; rel=next; timeout={check_seconds}".encode()),
        (b"grip-keep-alive", f"{keep_alive}; format=base64; timeout={KEEP_ALIVE_SECONDS}".encode()),
    ]


def publish_item(feed_id: int, sequence: int, content: str) -> dict[str, Any]:
    """One change for Pushpin's /publish/: numbers are gapless per feed, so the change before
    `sequence` is always `sequence - 1`, whichever process committed it."""
    return {
        "channel": channel(feed_id),
        "id": str(sequence),
        "prev-id": str(sequence - 1),
        "formats": {"http-stream": {"content": content}},
    }


def publish_body(items: Sequence[dict[str, Any]]) -> bytes:
    return json.dumps({"items": list(items)}, separators=(",", ":")).encode()
