"""Live feed pages as snapshots: a copy of a live page must say that it is one, and stay still.

A live page's script (static/newsdesk/live.js) keeps the page current through the feed's
event stream, falling back to polling. A mirror has neither endpoint, so a live page copied
as it is would retry forever against files that do not exist. The page already knows how to
stand still: with `data-static` (set for ended feeds and pages of older updates) the script
only offers local times and never connects. The snapshot sets it, drops the two endpoint
URLs, and puts a note at the top of the feed page (not of a feed embedded under an article,
whose "All updates" link leads to the page with the note). No Django here.
"""

from __future__ import annotations

from newsdesk.mirror import markup

LIVE_ROOT = "data-live-feed"
ENDPOINTS = ("data-events-url", "data-poll-url")


def freeze(document: str, note: str) -> str | None:
    """The page with every live feed on it marked static (the front page follows several) and
    `note` (HTML) inserted at the top of a feed page's own, or None when the page has none.
    Most pages show no live feed: they are not tokenised at all (a third of the mirror's own
    work on a page was this search)."""
    if LIVE_ROOT not in document:
        return None
    edits = []
    for token in markup.tokens(document):
        if isinstance(token, markup.Tag) and token.has(LIVE_ROOT):
            previous_end = token.attrs_start
            for attribute in token.attributes:
                if attribute.name in ENDPOINTS:
                    edits.append((previous_end, attribute.end, ""))  # with its leading space
                previous_end = attribute.end
            if not token.has("data-static"):
                edits.append((token.attrs_start, token.attrs_start, " data-static"))
            if not token.has("data-embed"):  # an embedded feed needs no note
                edits.append((token.end, token.end, "\n  " + note))
    return markup.splice(document, edits) if edits else None
