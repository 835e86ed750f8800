"""Imported HTML made safe, as article body blocks. An explicit allow-list, not a deny-list.

Only what an article paragraph may hold survives: text, <b>/<strong>, <i>/<em>, <br>, lists and
links whose URL is http(s), mailto or tel (Wagtail's own `check_url` decides, which also sees
through "jav&#9;ascript:" tricks). Every attribute but a link's href is dropped, so event
handlers (onclick, onerror…) and styles never survive. <script>, <style>, <iframe>, forms and
similar go with their content; any other unknown element is unwrapped and keeps its text.
Headings become heading blocks and <blockquote> a quote block, both plain text.
"""

from __future__ import annotations

import html
import re
import warnings

from bs4 import BeautifulSoup, Comment, MarkupResemblesLocatorWarning, NavigableString, Tag
from wagtail.whitelist import check_url

Block = tuple[str, object]

DROPPED = {
    "script", "style", "template", "noscript", "iframe", "frame", "frameset", "object",
    "embed", "applet", "svg", "math", "head", "title", "meta", "link", "base", "form",
    "input", "button", "select", "textarea", "option", "canvas", "audio", "video", "source",
    "track", "picture", "img", "figure", "nav", "aside", "footer", "dialog", "map", "area",
}  # fmt: skip
"""Elements removed with everything inside them: code, media and page furniture."""

HEADINGS = {"h1": "h2", "h2": "h2", "h3": "h3", "h4": "h3", "h5": "h3", "h6": "h3"}
CONTAINERS = {
    "html", "body", "main", "article", "section", "div", "header", "center", "details",
    "summary", "table", "thead", "tbody", "tfoot", "tr", "td", "th", "dl", "dd", "dt",
}  # fmt: skip
INLINE_TAGS = {"b": "b", "strong": "b", "i": "i", "em": "i"}
SAFE_SCHEMES = ("http:", "https:", "mailto:", "tel:")
_PARAGRAPH_BREAK = re.compile(r"\n[ \t\r\f\v]*\n")
_SPACES = re.compile(r"\s+")


def blocks_from_html(markup: str) -> list[Block]:
    """Body blocks (paragraph, heading, quote) from an HTML fragment or page."""
    soup = BeautifulSoup(_without_nul(markup), "html.parser")
    return _Blocks().walk(soup).done()


def _without_nul(markup: str) -> str:
    """Browsers drop NUL characters from HTML, and PostgreSQL cannot store them."""
    return markup.replace("\x00", "")


def plain_text(markup: str) -> str:
    """Text only, whitespace collapsed: for headlines, captions, names."""
    markup = _without_nul(markup)
    if "<" not in markup and "&" not in markup:
        return _SPACES.sub(" ", markup).strip()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", MarkupResemblesLocatorWarning)
        soup = BeautifulSoup(markup, "html.parser")
    for tag in soup.find_all(DROPPED):
        tag.decompose()
    return _SPACES.sub(" ", soup.get_text(" ")).strip()


def safe_href(url: str) -> str | None:
    """The URL if a reader may follow it: absolute http(s), mailto or tel; None otherwise."""
    url = url.strip()
    if check_url(url) is None:
        return None
    squashed = re.sub(r"[\x00-\x20\x7f-\xa0]+", "", url).lower()
    if not squashed.startswith(SAFE_SCHEMES):
        return None  # relative links would point into the old site; keep their text only
    return url


def _inline(node: Tag | NavigableString) -> str:
    if isinstance(node, Comment):
        return ""
    if isinstance(node, NavigableString):
        return html.escape(_SPACES.sub(" ", str(node)), quote=False)
    if node.name in DROPPED:
        return ""
    inner = "".join(_inline(child) for child in node.children)
    if node.name in INLINE_TAGS and inner.strip():
        tag = INLINE_TAGS[node.name]
        return f"<{tag}>{inner}</{tag}>"
    if node.name == "br":
        return "<br/>"
    if node.name == "a":
        href = safe_href(str(node.get("href") or ""))
        if href and inner.strip():
            return f'<a href="{html.escape(href, quote=True)}">{inner}</a>'
    return inner


def _list_html(node: Tag) -> str:
    items = []
    for item in node.find_all("li"):
        # Nested lists are flattened: their items come one after another.
        text = "".join(
            _inline(child)
            for child in item.children
            if getattr(child, "name", None) not in {"ul", "ol"}
        ).strip()
        if text:
            items.append(f"<li>{text}</li>")
    tag = "ol" if node.name == "ol" else "ul"
    return f"<{tag}>{''.join(items)}</{tag}>" if items else ""


class _Blocks:
    def __init__(self) -> None:
        self.blocks: list[Block] = []
        self.pending: list[str] = []  # inline HTML waiting to become a paragraph

    def done(self) -> list[Block]:
        self.flush()
        return self.blocks

    def flush(self) -> None:
        text = "".join(self.pending).strip()
        text = re.sub(r"^(?:<br/>\s*)+|(?:\s*<br/>)+$", "", text).strip()
        self.pending = []
        if text:
            self.blocks.append(("paragraph", f"<p>{text}</p>"))

    def walk(self, node: Tag) -> _Blocks:
        for child in node.children:
            if isinstance(child, Comment):
                continue
            if isinstance(child, NavigableString):
                self.text(str(child))
            elif isinstance(child, Tag):
                self.tag(child)
        return self

    def text(self, text: str) -> None:
        # Text straight inside a container, as WordPress stores it: blank lines part paragraphs.
        parts = _PARAGRAPH_BREAK.split(text)
        for index, part in enumerate(parts):
            if index:
                self.flush()
            self.pending.append(html.escape(_SPACES.sub(" ", part), quote=False))

    def tag(self, node: Tag) -> None:
        name = node.name
        if name in DROPPED:
            return
        if name in CONTAINERS:
            self.flush()
            self.walk(node)
            self.flush()
        elif name == "p":
            self.flush()
            self.pending.append(_inline(node))
            self.flush()
        elif name in HEADINGS:
            self.flush()
            text = plain_text(str(node))
            if text:
                self.blocks.append(("heading", {"text": text[:200], "level": HEADINGS[name]}))
        elif name == "blockquote":
            self.flush()
            text = plain_text(str(node))
            if text:
                self.blocks.append(("quote", {"text": text, "attribution": ""}))
        elif name in {"ul", "ol"}:
            self.flush()
            listed = _list_html(node)
            if listed:
                self.blocks.append(("paragraph", listed))
        elif name == "hr":
            self.flush()
        elif name == "br" and self.pending and self.pending[-1] == "<br/>":
            self.pending.pop()  # two line breaks in a row end a paragraph
            self.flush()
        else:
            self.pending.append(_inline(node))
