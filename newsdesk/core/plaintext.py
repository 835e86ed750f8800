"""The text of an HTML fragment (rich text), for places that want words, not markup.

Structured data, feed summaries, search snippets, reading time and the narration script all
read the same rich text. Each block element (paragraph, heading, list item, quotation, line
break) ends a line, so "<p>at 6 p.m.</p><p>Expect</p>" reads "at 6 p.m.\\nExpect" and never
"6 p.m.Expect"; inline markup leaves no gap ("<i>today</i>." reads "today."). Scripts and
styles contribute nothing. Pure: no Django import.
"""

import re
from html.parser import HTMLParser

BLOCKS = frozenset(
    {
        "address", "article", "aside", "blockquote", "br", "dd", "div", "dl", "dt",
        "figcaption", "figure", "footer", "h1", "h2", "h3", "h4", "h5", "h6", "header",
        "hr", "li", "ol", "p", "pre", "section", "table", "td", "th", "tr", "ul",
    }
)  # fmt: skip
HIDDEN = frozenset({"script", "style", "template"})
_SPACES = re.compile(r"[ \t\r\f\v\xa0]+")
"""Spaces within a line, no-break spaces included (a reader sees one space)."""


class _Text(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.pieces: list[str] = []
        self.hidden = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in HIDDEN:
            self.hidden += 1
        elif tag in BLOCKS:
            self.pieces.append("\n")

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in BLOCKS:
            self.pieces.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in HIDDEN:
            self.hidden = max(0, self.hidden - 1)
        elif tag in BLOCKS:
            self.pieces.append("\n")

    def handle_data(self, data: str) -> None:
        if not self.hidden:
            # A line break in the source is a space in the text: only blocks end lines.
            self.pieces.append(_SPACES.sub(" ", data.replace("\n", " ")))


def html_to_text(markup: str) -> str:
    """One line per block of `markup`, spaces collapsed, no empty lines."""
    parser = _Text()
    parser.feed(markup or "")
    parser.close()
    lines = (_SPACES.sub(" ", line).strip() for line in "".join(parser.pieces).split("\n"))
    return "\n".join(line for line in lines if line)


def html_to_line(markup: str) -> str:
    """The text of `markup` on one line: blocks separated by a space."""
    return " ".join(html_to_text(markup).split("\n"))
