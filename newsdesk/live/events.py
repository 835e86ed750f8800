"""Server-Sent Events framing. Pure: no Django, no I/O.

The wire format is the WHATWG HTML "server-sent events" format: fields are `id`, `event`,
`data` and `retry`, one per line, and a blank line ends an event; lines starting with ":" are
comments, which browsers ignore and proxies see as traffic.
"""

RETRY_MILLISECONDS = 2000


def sse_event(data: str, *, event: str | None = None, event_id: int | None = None) -> str:
    """One event. Multi-line data is sent as several `data:` lines, as the format requires."""
    lines = []
    if event_id is not None:
        lines.append(f"id: {event_id}")
    if event:
        if "\n" in event or "\r" in event:
            raise ValueError("an event name cannot contain a line break")
        lines.append(f"event: {event}")
    lines.extend(f"data: {line}" for line in data.splitlines() or [""])
    return "\n".join(lines) + "\n\n"


def sse_comment(text: str = "") -> str:
    """A comment line: keeps idle connections open through proxies (a heartbeat)."""
    return f": {text}\n\n"


def sse_retry(milliseconds: int = RETRY_MILLISECONDS) -> str:
    """Tell the browser how long to wait before reconnecting after a dropped connection."""
    return f"retry: {milliseconds}\n\n"


def parse_sequence(value: str | None) -> int | None:
    """A Last-Event-ID header or ?after= value as a sequence number; None when absent or junk.

    The value comes from readers, so anything that is not a small non-negative integer is
    treated as "no position" rather than trusted.
    """
    if value is None:
        return None
    value = value.strip()
    if not value.isdigit() or len(value) > 18:
        return None
    return int(value)
