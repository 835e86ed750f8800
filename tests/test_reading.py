import pytest

from newsdesk.articles.reading import WORDS_PER_MINUTE, count_words, reading_minutes


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("", 0),
        ("One two three.", 3),
        ("An F-16 flew 3.5 km; officials didn't comment.", 8),
        ("<- dashes — and   spaces\n\nacross lines ->", 5),
        ("Київ, Харків і Суми", 4),
    ],
)
def test_count_words(text, words):
    assert count_words(text) == words


@pytest.mark.parametrize(
    ("words", "minutes"),
    [(0, 1), (1, 1), (238, 1), (239, 2), (476, 2), (477, 3), (2380, 10)],
)
def test_reading_minutes_rounds_up_and_is_at_least_one(words, minutes):
    assert WORDS_PER_MINUTE == 238
    assert reading_minutes(words) == minutes


def test_negative_word_count_is_refused():
    with pytest.raises(ValueError, match="negative"):
        reading_minutes(-1)
