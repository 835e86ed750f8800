"""Reading time, from words. Pure: no Django, so it is trivial to test and reuse."""

import math
import re

WORDS_PER_MINUTE = 238
"""Average silent reading speed of adults for non-fiction (Brysbaert, 2019)."""

_WORD = re.compile(r"[^\W_]+(?:['’.\-][^\W_]+)*", re.UNICODE)


def count_words(text: str) -> int:
    """Words as a reader sees them: "F-16", "don't" and "3.5" are one word each."""
    return len(_WORD.findall(text))


def reading_minutes(word_count: int) -> int:
    """Minutes to read word_count words: rounded up, and never less than one."""
    if word_count < 0:
        raise ValueError("word_count cannot be negative")
    return max(1, math.ceil(word_count / WORDS_PER_MINUTE))
