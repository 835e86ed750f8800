"""What a reader typed, turned into plain words a full-text backend cannot misread.

Search boxes get quotes, `*`, `NEAR(`, `-`, NUL bytes, pasted pages and attack strings. SQLite's
FTS5 raises on query syntax it cannot parse and PostgreSQL's tsquery has its own operators, so
nothing a reader types reaches a backend as syntax: only runs of letters and digits do, and
each backend quotes those as literal terms. Search is for words, not operators.

Pure: no Django import.
"""

import re
import unicodedata
from dataclasses import dataclass

MAX_QUERY_CHARS = 200
"""Longer input is cut here before anything else looks at it."""
MAX_TERMS = 8
"""Every term must match (AND), so more than a handful only ever narrows to nothing."""
MAX_TERM_CHARS = 40
"""Longer "words" are pasted junk (hashes, URLs run together); they are dropped."""

_WORD = re.compile(r"[^\W_]+")  # letters and digits, as FTS5's unicode61 tokenizer splits them
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]+")
_SPACE = re.compile(r"\s+")

OPERATORS = frozenset({"AND", "OR", "NOT", "NEAR"})
"""Typed in capitals these are search syntax elsewhere; here they are dropped, not matched."""

STOP_WORDS = frozenset({
    "a", "an", "and", "are", "as", "at", "be", "but", "by", "for", "from", "has", "have", "he",
    "her", "his", "i", "in", "is", "it", "its", "of", "on", "or", "our", "she", "that", "the",
    "their", "them", "they", "this", "to", "was", "were", "will", "with", "you", "your",
})  # fmt: skip
"""Words PostgreSQL's English configuration ignores. SQLite would require them in every hit,
so they are dropped on both backends and a query means the same on each."""


@dataclass(frozen=True)
class Query:
    text: str
    """The cleaned query, at most MAX_QUERY_CHARS: what the search box shows again."""
    terms: tuple[str, ...]
    """Lower-case words to look for, without repeats; empty when nothing is searchable."""

    def __bool__(self) -> bool:
        return bool(self.terms)

    @property
    def backend_query(self) -> str:
        """The terms joined by spaces: the only string a search backend ever sees."""
        return " ".join(self.terms)


def clean_text(raw: str | None) -> str:
    """The input without control characters or runs of spaces, cut to MAX_QUERY_CHARS."""
    if not raw:
        return ""
    text = unicodedata.normalize("NFKC", raw[: MAX_QUERY_CHARS * 4])
    text = _SPACE.sub(" ", _CONTROL.sub(" ", text)).strip()
    return text[:MAX_QUERY_CHARS].strip()


def parse(raw: str | None) -> Query:
    """Plain search terms from anything a reader can type; never raises."""
    text = clean_text(raw)
    terms: list[str] = []
    for word in _WORD.findall(text):
        if word in OPERATORS or len(word) > MAX_TERM_CHARS:
            continue
        term = word.lower()
        if term in STOP_WORDS or (len(term) == 1 and not term.isdigit()) or term in terms:
            continue
        terms.append(term)
        if len(terms) == MAX_TERMS:
            break
    return Query(text=text, terms=tuple(terms))
