"""Just enough HTML tokenising to edit attribute values in place.

The mirror rewrites URLs inside pages that Newsdesk itself rendered, so it does not need a
full parser, and must not use one that re-serialises the document: every byte it does not
mean to change stays as Django wrote it, so an unchanged page is byte-identical from one run
to the next. Comments and the content of raw-text elements (script, style, textarea, title)
are never mistaken for tags. No Django here.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterator
from dataclasses import dataclass

_TOKEN = re.compile(
    r"<!--.*?-->"
    r"|<!\[CDATA\[.*?\]\]>"
    # Possessive: a run of plain characters is taken whole (one step, not one per character),
    # and nothing is given back, which could only stop the tag at a character that is not ">".
    r"|<(?P<name>[A-Za-z][A-Za-z0-9:-]*)(?P<attrs>(?:[^>\"']++|\"[^\"]*+\"|'[^']*+')*+)>",
    re.S,
)
_ATTRIBUTE = re.compile(
    r"""(?P<name>[^\s"'>/=]+)(?:\s*=\s*(?P<value>"[^"]*"|'[^']*'|[^\s"'=<>`]+))?"""
)
RAW_TEXT = frozenset({"script", "style", "textarea", "title"})
"""Elements whose content is text, not markup: a "<a href" inside them is not a link."""


# slots, not frozen: a page has some 140 tags and 560 attributes, and a frozen dataclass's
# __init__ (object.__setattr__ per field) cost as much as finding them.
@dataclass(slots=True)
class Attribute:
    name: str
    """Lower-cased, as HTML compares attribute names."""
    value: str | None
    """Unescaped; None for a bare attribute such as `defer`."""
    start: int
    """Where the attribute starts, as an offset into the document."""
    end: int
    value_start: int
    """Where the value (with its quotes) starts; equal to `end` for a bare attribute."""


@dataclass(slots=True)
class Tag:
    name: str
    """Lower-cased."""
    start: int
    end: int
    attrs_start: int
    """Where the attribute text starts: just after the tag name."""
    attributes: tuple[Attribute, ...]

    def get(self, name: str) -> str | None:
        for attribute in self.attributes:
            if attribute.name == name:
                return attribute.value
        return None

    def has(self, name: str) -> bool:
        return any(attribute.name == name for attribute in self.attributes)


@dataclass(slots=True)
class RawText:
    """The content of a raw-text element, e.g. the CSS inside <style>."""

    element: str
    start: int
    end: int


def tokens(document: str, wanted: re.Pattern[str] | None = None) -> Iterator[Tag | RawText]:
    """Start tags and raw-text contents, in document order.

    `wanted`: a pattern that every attribute the caller reads matches somewhere in the tag's
    attribute text (e.g. its name). A tag whose text it does not match comes with no
    attributes: splitting them is most of the tokenising, and most tags (a paragraph, a
    span with a class) hold nothing a caller looks for."""
    position = 0
    while (match := _TOKEN.search(document, position)) is not None:
        position = match.end()
        name = match.group("name")
        if name is None:
            continue  # a comment or CDATA section
        if wanted is None or wanted.search(document, match.start("attrs"), position):
            tag = _tag(match)
        else:
            tag = Tag(name.lower(), match.start(), position, match.start("attrs"), ())
        yield tag
        if tag.name in RAW_TEXT:
            close = re.compile(rf"</{tag.name}\s*>", re.I).search(document, position)
            end = close.start() if close else len(document)
            yield RawText(tag.name, position, end)
            position = close.end() if close else end


def _tag(match: re.Match[str]) -> Tag:
    offset = match.start("attrs")
    attributes = []
    for found in _ATTRIBUTE.finditer(match.group("attrs")):
        raw = found.group("value")
        start, end = found.span()
        if raw is None:
            value, value_start = None, end
        else:
            value = raw[1:-1] if raw[0] in "\"'" else raw
            if "&" in value:
                value = html.unescape(value)
            value_start = found.start("value")
        name = found.group("name").lower()
        attributes.append(
            Attribute(name, value, offset + start, offset + end, offset + value_start)
        )
    return Tag(
        name=match.group("name").lower(),
        start=match.start(),
        end=match.end(),
        attrs_start=offset,
        attributes=tuple(attributes),
    )


def quoted(value: str) -> str:
    """An attribute value as it goes back into the document: escaped, in double quotes."""
    return '"' + html.escape(value, quote=True) + '"'


def splice(document: str, edits: list[tuple[int, int, str]]) -> str:
    """The document with each (start, end) span replaced by its text. Spans must not overlap."""
    if not edits:
        return document
    pieces = []
    position = 0
    for start, end, text in sorted(edits):
        pieces.append(document[position:start])
        pieces.append(text)
        position = end
    pieces.append(document[position:])
    return "".join(pieces)
