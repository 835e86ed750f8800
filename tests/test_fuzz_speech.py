"""Property-based tests of speech text (narration/speech.py): what the module promises for
one example holds for generated news copy and for any characters at all. No database; Piper's
phonemizer only in the last test.

The promises (module docstring and test_speech_text.py): it never fails on any text; no digit
survives, since every number is read out; a second pass changes nothing; lexicon terms are
replaced once, their spoken forms never read again. And what Piper needs: no control or
placeholder characters, and output in proportion to the input.
"""

import re
import string

from hypothesis import example, given, settings
from hypothesis import strategies as st

from newsdesk.narration import speech_rules as rules
from newsdesk.narration.speech import speech_text
from tests.fuzzing import FUZZ

# Pieces of news copy that the rules read, so the generated text meets them often.
NEWS_PIECES = [
    "$61 billion", "€3.5m", "£1,200", "¥500", "12%", "5–10%", "-5°C", "41°F", "3.7", "381,370",
    "0.25", "1994", "2024", "1990s", "'90s", "1914-18", "2010–2015", "10-15", "½", "1/3",
    "3 1/2", "Jan. 27", "27 January 2025", "2025-05-01", "05/01/2025", "9 a.m.", "14:30",
    "10:05 PM", "3-2", "24/7", "No. 2", "#1", "F-16", "MH17", "Su-27", "COVID-19", "G7", "4K",
    "21st", "3rd", "102nd", "World War II", "Louis XIV", "Pope Leo XIV", "Gen.", "Sgt.", "Dr.",
    "Mr.", "U.S.", "U.N.", "Sen. Smith (R-La.)", "Mass.", "St. Louis", "NATO", "IAEA's",
    "UAVs", "BREAKING", "KYIV —", "(AP) —", "#Kyiv", "@Reuters", "https://www.example.org/a/1",
    "example.com", "desk@example.org", "+1 202-555-0143", "(044) 123-4567", "1,000-strong",
    "5km", "12 kg", "300mm", "2.5 million", "10k", "3bn", "1e9", "~40", "≈5", "±2", ">50",
    "< 3", "&", "+", "=", "and/or", "—", "--", " - ", "…", '"quoted"', "‘single’", "n't",
    "[[ kˈiːv ]]", "(", ")", ",", ".", ";", ":", "!", "?", "\n", "\t", "\u00a0", "\u2212",
    "\u00ad", "\ufeff", "🙂", "Ⅻ", "²", "٣", "３", "𝟑",
]  # fmt: skip
WORDS = ["the", "Kyiv", "troops", "said", "on", "Monday", "a", "I", "IV", "MIX", "OK", "Smith"]

news_copy = st.lists(
    st.one_of(st.sampled_from(NEWS_PIECES), st.sampled_from(WORDS), st.text(max_size=6)),
    max_size=25,
).map(" ".join)
any_text = st.text(st.characters(codec=None), max_size=200)  # lone surrogates included
texts = st.one_of(news_copy, any_text)

DIGIT = re.compile(r"\d")
# What Piper should never see: C0 and C1 controls, line and paragraph separators,
# private-use characters (speech_text's own placeholders), byte-order marks.
UNSPEAKABLE = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029\ue000-\uf8ff\ufeff]")


@FUZZ
@given(text=texts)
@example(text="a\x00b\x1bc\x85d\u2028e\u2029f\x0bg\x0ch")
def test_any_text_is_read_without_digits_or_unspeakable_characters(text):
    spoken = speech_text(text)
    assert UNSPEAKABLE.search(spoken) is None, spoken
    if "[[" not in text:  # raw phonemes typed into the text are kept as they are
        assert DIGIT.search(spoken) is None, spoken


@FUZZ
@given(text=news_copy)
def test_a_second_pass_changes_nothing(text):
    spoken = speech_text(text)
    assert speech_text(spoken) == spoken


@FUZZ
@given(text=texts)
def test_spoken_text_is_in_proportion_to_the_input(text):
    """The longest reading of one character is a digit in a long number ("seven hundred
    seventy-seven quadrillion ..."); about 25 characters of speech per character written."""
    assert len(speech_text(text)) <= 25 * len(text) + 40


@settings(FUZZ, max_examples=5)
@given(count=st.integers(6000, 7000))
def test_more_links_than_placeholders_still_reads_them(count):
    """Each URL, e-mail address and lexicon term takes a private-use placeholder while the
    rules run; a paragraph can hold more of them than there are placeholders."""
    spoken = speech_text(" ".join(["example.com"] * count))
    assert spoken.count("example dot com") == count
    different = speech_text(" ".join(f"desk{'x' * (n % 7)}{n}@example.org" for n in range(count)))
    assert different.count(" at example dot org") == count
    assert UNSPEAKABLE.search(spoken + different) is None
    assert DIGIT.search(different) is None


terms = st.text(string.ascii_letters, min_size=2, max_size=8)


@FUZZ
@given(data=st.data())
def test_lexicon_terms_are_replaced_once_and_never_again(data):
    """A spoken form that holds its own term (or another term) is not read again."""
    vocabulary = data.draw(st.lists(terms, min_size=1, max_size=5, unique=True))
    spoken_forms = st.lists(st.sampled_from(vocabulary), min_size=1, max_size=3).map(" ".join)
    lexicon = {term: data.draw(spoken_forms) for term in vocabulary}
    said = data.draw(st.lists(st.sampled_from(vocabulary), min_size=1, max_size=8))
    assert speech_text(" ".join(said), lexicon) == " ".join(lexicon[term] for term in said)


def test_the_generated_copy_meets_the_rules():
    """The pieces exercise the rule tables, not only the fallbacks."""
    assert any(piece.startswith(tuple(rules.CURRENCIES)) for piece in NEWS_PIECES)
    assert speech_text(" ".join(NEWS_PIECES[:12])).count("percent") == 2


def test_piper_reads_text_that_held_control_characters():
    """Piper refused the whole paragraph ("embedded null character") when a NUL got through."""
    from piper.phonemize_espeak import EspeakPhonemizer

    spoken = speech_text("Troops crossed\x00 the river\x1b at dawn.\u2028Then\x85 rain.")
    assert spoken == "Troops crossed the river at dawn. Then rain."
    assert EspeakPhonemizer().phonemize("en-us", spoken)
