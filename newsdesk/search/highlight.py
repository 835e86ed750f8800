"""Search snippets: a window of text around the first match, escaped, with matches in <mark>.

Everything is escaped first, piece by piece, and only the <mark> tags are added as markup, so
nothing from an article or from the query can become HTML. Matching is by word start, with a
crude English stem ("floods" and "flooding" light up for "flood"; PostgreSQL stems the same
way when it matches), case-insensitive in every script.

Pure: no Django import. Callers mark the returned strings safe.
"""

import html
import re
from collections.abc import Iterable

SNIPPET_CHARS = 240
_LEAD_CHARS = 60  # how much text to keep before the first match
_SUFFIXES = ("ing", "ed", "es", "s")
_SPACE = re.compile(r"\s+")


def stem(term: str) -> str:
    for suffix in _SUFFIXES:
        if term.endswith(suffix) and len(term) - len(suffix) >= 3:
            return term[: -len(suffix)]
    return term


def matcher(terms: Iterable[str]) -> re.Pattern[str] | None:
    """A pattern for words that start with any term's stem, longest first."""
    stems = sorted({stem(term) for term in terms if term}, key=len, reverse=True)
    if not stems:
        return None
    alternatives = "|".join(re.escape(word) for word in stems)
    return re.compile(rf"(?<!\w)(?:{alternatives})\w*", re.IGNORECASE)


def highlight(text: str, pattern: re.Pattern[str] | None) -> str:
    """Escaped text with each match wrapped in <mark>."""
    if pattern is None:
        return html.escape(text)
    parts, position = [], 0
    for match in pattern.finditer(text):
        parts.append(html.escape(text[position : match.start()]))
        parts.append(f"<mark>{html.escape(match.group())}</mark>")
        position = match.end()
    parts.append(html.escape(text[position:]))
    return "".join(parts)


def window(text: str, pattern: re.Pattern[str] | None, size: int = SNIPPET_CHARS) -> str:
    """About `size` characters of text around the first match, cut at spaces, with "…"
    where text was left out. Without a match in the text, its beginning."""
    text = _SPACE.sub(" ", text).strip()
    if len(text) <= size:
        return text
    found = pattern.search(text) if pattern else None
    start = 0
    if found:
        # Some words of lead-in, a whole window where possible, and never a cut word.
        start = min(max(0, found.start() - _LEAD_CHARS), len(text) - size)
        space = text.find(" ", start, found.start())
        if start > 0 and text[start - 1] != " " and space >= 0:
            start = space + 1
    end = start + size
    if end < len(text):
        space = text.rfind(" ", start, end)
        end = space if space > start else end
    return ("… " if start > 0 else "") + text[start:end].strip() + (" …" if end < len(text) else "")


def snippet(text: str, terms: Iterable[str], size: int = SNIPPET_CHARS) -> str:
    """Escaped HTML: the window around the first match, matches marked."""
    pattern = matcher(terms)
    return highlight(window(text, pattern, size), pattern)
