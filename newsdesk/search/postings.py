"""Postings of the impact-ordered index: which words an entry holds, and how much each weighs.

The reader search on SQLite reads each word's postings (entry id, impact, whether the title
holds it) from a table of its own and scores every match at once (newsdesk/search/impact.py),
instead of asking FTS5 to score entries one by one. This module turns an entry's title and body
into those postings, and holds the scoring formula, so the order kept in the table and the
score given at search time are the same arithmetic.

The score is FTS5's BM25 as `bm25()` computes it over the lean tables (title and body
columns, weight 1 each, k1 = 1.2, b = 0.75), split into its two factors:

    bm25(entry) = sum over terms of idf(term) × impact(term, entry)

idf depends on the whole table (how many entries hold the word) and is computed at search
time; impact depends on the entry alone (how often it names the word, against its length
relative to the average) and is stored, with a flag saying whether the title holds the word:
the search multiplies by HEADLINE_BOOST when the title holds every term.

Words are split and folded as FTS5's unicode61 tokenizer does (letters and digits, lower
case, accents removed from Latin letters), so a posting exists exactly where the lean FTS5
table would match the word.

Pure: no Django import.
"""

import math
import re
import unicodedata
from collections import Counter
from dataclasses import dataclass

K1 = 1.2
B = 0.75
HEADLINE_BOOST = 10.0
"""Score factor for a match whose title (an article's headline, a live update's) holds every
term of the query. BM25 divides by the length of the whole entry, title and body together, so
an article's long body buried its own headline under short live updates that named the same
words in passing (3x was not enough on the demo's storm coverage). At 10x a headline naming
every term comes ahead of body-only matches in practice, which is what a reader typing a
story's words expects; PostgreSQL's ts_rank weights titles itself."""

_WORD = re.compile(r"[^\W_]+")
_LATIN_END = 0x250
"""Code points below this are Basic Latin to Latin Extended-B: the letters whose accents
unicode61 removes (Latin Extended Additional too, below)."""


def _is_latin(char: str) -> bool:
    point = ord(char)
    return point < _LATIN_END or 0x1E00 <= point <= 0x1EFF


def fold(word: str) -> str:
    """A word as the index stores it: lower case, Latin letters without accents."""
    word = word.lower()
    if word.isascii():
        return word
    kept: list[str] = []
    for char in unicodedata.normalize("NFD", word):
        if unicodedata.combining(char) and kept and _is_latin(kept[-1]):
            continue
        kept.append(char)
    return unicodedata.normalize("NFC", "".join(kept))


def words(text: str) -> list[str]:
    """Every word of the text, folded, in order."""
    return [fold(word) for word in _WORD.findall(text)]


@dataclass(frozen=True)
class Posting:
    term: str
    impact: float
    """The term's BM25 share, without idf."""
    in_title: bool


def length(title: str, body: str) -> int:
    """The entry's length in words, as BM25 normalises by it."""
    return len(words(title)) + len(words(body))


def impact(frequency: int, entry_length: int, average_length: float) -> float:
    """BM25's term-frequency part: rises with the count, saturates, falls with length."""
    norm = 1 - B + B * entry_length / (average_length or 1.0)
    return frequency * (K1 + 1) / (frequency + K1 * norm)


def postings(title: str, body: str, average_length: float) -> list[Posting]:
    """One posting per distinct word of the entry."""
    in_title = set(words(title))
    counts = Counter(words(title))
    counts.update(words(body))
    entry_length = sum(counts.values())
    return [
        Posting(term, impact(frequency, entry_length, average_length), term in in_title)
        for term, frequency in counts.items()
    ]


def idf(entries: int, holding: int) -> float:
    """BM25's inverse document frequency as FTS5 computes it: words held by more than half
    the entries would go negative and count a millionth instead."""
    value = math.log((entries - holding + 0.5) / (holding + 0.5))
    return value if value > 0 else 1e-6
