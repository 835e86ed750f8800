"""Plain text typed by editors, scripts and bots, turned into the rich text updates store."""

import html


def paragraphs(text: str) -> str:
    """Escaped text, one <p> per paragraph; blank lines separate paragraphs."""
    blocks = [block.strip() for block in text.replace("\r\n", "\n").split("\n\n")]
    return "".join(f"<p>{html.escape(block)}</p>" for block in blocks if block)
