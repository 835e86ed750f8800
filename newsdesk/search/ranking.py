"""How search results are ordered: relevance from the backend, then a boost for recent news.

    score = relevance × (1 + RECENCY_WEIGHT × 0.5 ^ (age in hours / HALF_LIFE_HOURS))

- relevance is the backend's own score (SQLite FTS5's BM25, PostgreSQL's ts_rank with
  Wagtail's title weighting), divided by the best score among the candidates, so it runs from
  0 to 1 whatever the backend. BM25 is negative (more negative is better) and ts_rank
  positive, so the magnitude is what counts.
- the boost halves every HALF_LIFE_HOURS: something published just now scores up to
  1 + RECENCY_WEIGHT (1.5×) its relevance, three days old 1.25×, a month old about 1×.

So between two equally relevant results the newer wins, and an older result stays ahead of a
brand-new one as long as it is more than 1.5 times as relevant. The weight is modest because
BM25 saturates: a story about a place rarely scores more than two or three times one that
names it in passing, and a 2× boost let passing mentions from this morning bury last week's
reporting. The formula is applied in Python to a bounded candidate set (the most relevant
results of each kind, see searcher.py); a result outside that set cannot be lifted into it by
recency.

Pure: no Django import.
"""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

HALF_LIFE_HOURS = 72.0
RECENCY_WEIGHT = 0.5


@dataclass
class Candidate:
    kind: str
    pk: int
    raw_score: float | None
    published: datetime | None
    score: float = 0.0


def recency_boost(age_hours: float) -> float:
    """1 + RECENCY_WEIGHT for brand-new items, falling to 1 with a half-life."""
    decay: float = 0.5 ** (max(age_hours, 0.0) / HALF_LIFE_HOURS)
    return 1.0 + RECENCY_WEIGHT * decay


def rank(candidates: Iterable[Candidate], now: datetime) -> list[Candidate]:
    """The candidates, best first, each with its combined score set."""
    ranked = list(candidates)
    best = max((abs(c.raw_score or 0.0) for c in ranked), default=0.0) or 1.0
    for candidate in ranked:
        relevance = abs(candidate.raw_score or 0.0) / best
        published = candidate.published or now
        age_hours = (now - published).total_seconds() / 3600
        candidate.score = relevance * recency_boost(age_hours)
    # Ties (identical text, same hour) go to the newer item, then to the higher id.
    ranked.sort(
        key=lambda c: (c.score, c.published or now, c.pk),
        reverse=True,
    )
    return ranked
