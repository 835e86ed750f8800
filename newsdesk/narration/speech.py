"""Speech-ready text: news copy rewritten the way a careful American narrator reads it aloud.

Piper's espeak-ng front end reads "$61 billion" as "dollar sixty-one billion", "1994" as
"nineteen hundred ninety-four", and ends a sentence at every period followed by a capital or a
digit, so "Gen. Smith", "Jan. 27" and "9 a.m. Monday" each get a full stop and a falling tone.
`speech_text` spells such things out in words; what espeak already reads well is left alone.
Pure Python (no Django): the word lists live in `speech_rules`.

The rules run in this order, and the order matters:

1. Clean-up of Unicode spaces, minus signs and emoji, so the patterns below see plain text.
2. The editors' lexicon, then URLs and e-mail addresses. Each is replaced by a placeholder
   character that no later rule matches, and restored at the very end, so its spoken form is
   never touched again (a URL's dots and digits would otherwise meet the abbreviation and
   number rules).
3. Quotes, datelines, hashtags and @handles, which only change punctuation and case.
4. Patterns made of several numbers - phone numbers, "24/7", dates, clock times, scores -
   before any single number is read; otherwise "Jan. 27" would become "January" and
   "twenty-seven".
5. Abbreviations with a period (and party tags such as "(R-La.)"). Each period is dropped, or
   kept when it really ends the sentence, before the numbers after it are read, so "No. 2"
   still sees its digit.
6. Numbers that carry a meaning: money, temperatures, percentages, measures, scaled numbers,
   ordinals, decades, designations such as F-16, year ranges, number ranges, years, fractions
   and signs; what is left is read as a plain cardinal or decimal, so no digit survives.
7. Roman numerals, then all-caps initialisms and acronyms: after the numbers, and Roman
   numerals first, so the "II" of "World War II" is not spelled as two letters.
8. Symbols and dashes, spacing, and finally the placeholders are put back.
"""

import re
import unicodedata
from collections.abc import Callable, Iterable, Mapping

from newsdesk.narration import speech_rules as rules

Reader = Callable[[re.Match[str]], str]

# A number as written in news copy: "381,370", "3.7", "2024".
NUM = r"\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?"
# A second number after a hyphen or en dash, for ranges: "10-15", "5–10%".
RANGE = rf"(?:\s?[-–]\s?(?P<num2>{NUM}))?"
# A leading sign only counts at the start of a word: "-5°C", not "F-16".
SIGN = r"(?:(?<![\w%.,)\]])(?P<sign>[-+]))?"
# No digit, letter or decimal separator right before a number.
NUM_START = r"(?<![\w.,])"
PLACEHOLDER_BASE = 0xE000
PLACEHOLDER = "[\ue000-\uf8ff]"
PLACEHOLDER_COUNT = 0xF8FF - PLACEHOLDER_BASE + 1


def _alternation(words: Iterable[str]) -> str:
    """A regex alternation that tries longer words first."""
    return "|".join(re.escape(word) for word in sorted(words, key=len, reverse=True))


# --- Reading numbers -----------------------------------------------------------------------------


def read_cardinal(n: int) -> str:
    """381370 -> "three hundred eighty-one thousand three hundred seventy" (no "and")."""
    if n < 0:
        return "minus " + read_cardinal(-n)
    if n < 20:
        return rules.ONES[n]
    if n < 100:
        tens, ones = divmod(n, 10)
        return rules.TENS[tens] + (f"-{rules.ONES[ones]}" if ones else "")
    if n < 1000:
        hundreds, rest = divmod(n, 100)
        return f"{rules.ONES[hundreds]} hundred" + (f" {read_cardinal(rest)}" if rest else "")
    for value, name in rules.SCALES:
        if n >= value:
            high, rest = divmod(n, value)
            return f"{read_cardinal(high)} {name}" + (f" {read_cardinal(rest)}" if rest else "")
    raise AssertionError("unreachable")


def read_digits(digits: str) -> str:
    """Read "0143" as "zero one four three"."""
    return " ".join(rules.ONES[int(digit)] for digit in digits if digit.isdigit())


def read_number(token: str) -> str:
    """A written number: "1,200" -> "one thousand two hundred", "67.4" -> "sixty-seven point
    four"; a leading zero or more than fifteen digits is read digit by digit."""
    whole, _, decimals = token.replace(",", "").partition(".")
    if (len(whole) > 1 and whole.startswith("0")) or len(whole) > 15:
        spoken = read_digits(whole)
    else:
        spoken = read_cardinal(int(whole))
    return f"{spoken} point {read_digits(decimals)}" if decimals else spoken


def ordinal_words(cardinal: str) -> str:
    """Read "forty-seven" as "forty-seventh", "one hundred three" -> "one hundred third"."""
    head, sep, last = cardinal.rpartition("-") if "-" in cardinal else cardinal.rpartition(" ")
    if last in rules.IRREGULAR_ORDINALS:
        last = rules.IRREGULAR_ORDINALS[last]
    elif last.endswith("y"):
        last = last[:-1] + "ieth"
    else:
        last += "th"
    return head + sep + last


def read_ordinal(n: int) -> str:
    return ordinal_words(read_cardinal(n))


def plural_words(words: str) -> str:
    """Read "nineteen ninety" as "nineteen nineties", "sixteen" -> "sixteens"."""
    if words.endswith("y"):
        return words[:-1] + "ies"
    if words.endswith(("x", "s")):
        return words + "es"
    return words + "s"


def read_year(year: int) -> str:
    """1994 -> "nineteen ninety-four", 2008 -> "two thousand eight", 2024 -> "twenty
    twenty-four", 1905 -> "nineteen oh five", 1900 -> "nineteen hundred"."""
    if 2000 <= year <= 2009:
        return read_cardinal(year)
    century, rest = divmod(year, 100)
    if rest == 0:
        return f"{read_cardinal(century)} hundred"
    if rest < 10:
        return f"{read_cardinal(century)} oh {read_cardinal(rest)}"
    return f"{read_cardinal(century)} {read_cardinal(rest)}"


def read_model_number(digits: str) -> str:
    """The number in a designation, said the way crews say it: "16" -> "sixteen",
    "300" -> "three hundred", "136" -> "one thirty-six", "101" -> "one oh one"."""
    if len(digits) <= 2:
        return read_number(digits)
    if len(digits) == 3 and digits[0] != "0":
        if digits.endswith("00"):
            return read_cardinal(int(digits))
        pair = digits[1:]
        tail = f"oh {read_cardinal(int(pair))}" if pair.startswith("0") else read_number(pair)
        return f"{rules.ONES[int(digits[0])]} {tail}"
    if len(digits) == 4 and digits[0] != "0":
        return f"{read_number(digits[:2])} {read_model_number(digits[2:])}"
    return read_digits(digits)


def _is_one(number: str) -> bool:
    return number == "1"


# --- Regex plumbing ------------------------------------------------------------------------------


def _at_sentence_start(text: str, position: int) -> bool:
    before = text[:position].rstrip(" \"'“‘([")
    return not before or before.endswith((".", "!", "?"))


def _apply(pattern: re.Pattern[str], reader: Reader, text: str) -> str:
    """Replace every match by what `reader` says, capitalised where a sentence starts."""

    def replace(match: re.Match[str]) -> str:
        spoken = reader(match)
        original = match.group(0)
        if (
            spoken
            and spoken != original
            and spoken[0].islower()
            and not original[0].islower()
            and _at_sentence_start(match.string, match.start())
        ):
            spoken = spoken[0].upper() + spoken[1:]
        return spoken

    return pattern.sub(replace, text)


def _next_word(text: str, position: int) -> str | None:
    """The word right after `position`, if only spaces come between; None otherwise."""
    following = re.match(r"\s+([\w\ue000-\uf8ff][\w'’\ue000-\uf8ff-]*)", text[position:])
    return following.group(1) if following else None


def _previous_word(text: str, position: int) -> str | None:
    preceding = re.search(r"([\w'’]+)[.,]?\s+$", text[:position])
    return preceding.group(1) if preceding else None


def _keeps_period(text: str, position: int, policy: rules.PeriodPolicy) -> bool:
    """Whether the period of an abbreviation ending at `position` also ends the sentence."""
    if re.fullmatch(r"[\s\"'”’)\]]*", text[position:]):
        return policy != "never"
    word = _next_word(text, position)
    if word is None or not word[0].isupper():
        return False
    if policy == "starter":
        return word in rules.SENTENCE_STARTERS
    if policy == "time":
        return word not in rules.TIME_FOLLOWERS
    return False


# --- 1. Clean-up ---------------------------------------------------------------------------------

_EMOJI = re.compile(rf"[{rules.EMOJI_RANGES}]+")
# Control characters and line separators count as spaces: they have no spoken form, and Piper
# refuses text with a NUL in it ("embedded null character").
_SPACES = re.compile(r"[\u00a0\u2000-\u200a\u202f\u205f\u3000\x00-\x1f\x7f-\x9f\u2028\u2029]+")


def normalize(text: str) -> str:
    """NFC, plain spaces and hyphen-minus, no emoji, no private-use or control characters."""
    text = unicodedata.normalize("NFC", text)
    text = re.sub("[\ue000-\uf8ff\u00ad\u200b\u2060\ufeff]", "", text)
    text = text.replace("\u2212", "-").replace("\u2011", "-").replace("№", "No. ")
    text = re.sub(r"(?<=\w)[’‘](?=\w)", "'", text)
    text = _EMOJI.sub("", text)
    return _SPACES.sub(" ", text)


# --- 2. Protected spans: lexicon, URLs, e-mail ------------------------------------------------


class _Protected:
    """Spoken forms swapped for placeholder characters until the end of `speech_text`."""

    def __init__(self) -> None:
        self.spans: list[str] = []
        self.marks: dict[str, str] = {}

    def hold(self, spoken: str) -> str:
        """The placeholder for `spoken`, shared by every span that says the same. Once all
        6,400 are taken (thousands of different links in one paragraph), the words themselves:
        later rules may touch them, but no placeholder is left in the output."""
        if spoken not in self.marks:
            if len(self.spans) == PLACEHOLDER_COUNT:
                return spoken
            self.marks[spoken] = chr(PLACEHOLDER_BASE + len(self.spans))
            self.spans.append(spoken)
        return self.marks[spoken]

    def restore(self, text: str) -> str:
        pattern = re.compile(rf"(?P<mark>{PLACEHOLDER})(?P<poss>['’]s\b)?(?P<punct>[.,;:!?]+)?")
        return pattern.sub(self._restore_one, text)

    def _restore_one(self, match: re.Match[str]) -> str:
        spoken = self.spans[ord(match.group("mark")) - PLACEHOLDER_BASE]
        possessive, punctuation = match.group("poss") or "", match.group("punct") or ""
        if is_phoneme_block(spoken):
            return phoneme_block(spoken, possessive, punctuation)
        return spoken + possessive + punctuation


def is_phoneme_block(spoken: str) -> bool:
    return spoken.startswith("[[") and spoken.endswith("]]")


def phoneme_block(block: str, possessive: str, punctuation: str) -> str:
    """Raw phonemes for Piper, with a following "'s" and punctuation moved inside.

    Piper 1.8 phonemizes the text after a [[ ]] block on its own, which drops a comma or
    period right after the block (and with it the pause) and reads "'s" as the letter "S".
    """
    phonemes = block[2:-2].strip()
    if possessive:
        last = phonemes.rstrip("ˈˌːˑ")[-1:]
        phonemes += "ɪz" if last in "szʃʒ" else "s" if last in "ptkfθ" else "z"
    return f"[[ {phonemes}{punctuation} ]]"


_PHONEME_BLOCK = re.compile(r"\[\[.*?\]\]")


def apply_lexicon(text: str, lexicon: Mapping[str, str], protected: _Protected) -> str:
    """Editors' terms: whole words, case-sensitive, longest term first. Raw phonemes typed
    into the text itself ("[[ kˈiːv ]]") are kept as they are, too."""
    text = _PHONEME_BLOCK.sub(lambda match: protected.hold(match.group(0)), text)
    terms = [term for term in lexicon if term.strip()]
    if not terms:
        return text
    pattern = re.compile(rf"(?<!\w)(?:{_alternation(terms)})(?!\w)")
    return pattern.sub(lambda match: protected.hold(lexicon[match.group(0)]), text)


_EMAIL = re.compile(r"(?<![\w.])[\w.+-]+@[A-Za-z\d-]+(?:\.[A-Za-z\d-]+)+(?<![.-])")
_URL = re.compile(
    rf"""(?<![\w@/.-])
    (?:https?://|(?=www\.))?
    (?:[A-Za-z\d-]+\.)+(?:{"|".join(rules.URL_TLDS)})\b
    (?:/[^\s"'”’)\]]*)?""",
    re.VERBOSE,
)


def read_link_part(part: str) -> str:
    """Link text piece by piece: symbols by name, numbers as numbers, words as they are."""
    spoken = []
    for piece in re.findall(r"[A-Za-z]+|\d+|[^\w\s]|_", part):
        if piece.isdigit():
            spoken.append(read_number(piece) if len(piece) <= 4 else read_digits(piece))
        else:
            spoken.append(rules.URL_SYMBOLS.get(piece, piece))
    return " ".join(spoken)


def read_url(match: re.Match[str]) -> str:
    """Read "https://www.example.org/path" as "W W W dot example dot org slash path"."""
    url = re.sub(r"^https?://", "", match.group(0)).rstrip(".,;:!?/")
    url = re.sub(r"[?#].*$", "", url)
    www = url.lower().startswith("www.")
    spoken = read_link_part(url[4:] if www else url)
    return f"W W W dot {spoken}" if www else spoken


def read_email(match: re.Match[str]) -> str:
    return read_link_part(match.group(0))


def protect_links(text: str, protected: _Protected) -> str:
    text = _EMAIL.sub(lambda match: protected.hold(read_email(match)), text)
    return _URL.sub(lambda match: trailing_dot_kept(match, protected), text)


def trailing_dot_kept(match: re.Match[str], protected: _Protected) -> str:
    """A URL ending a sentence keeps that sentence's period outside the placeholder."""
    trail = re.search(r"[.,;:!?]+$", match.group(0))
    return protected.hold(read_url(match)) + (trail.group(0) if trail else "")


# --- 3. Quotes, datelines, handles ------------------------------------------------------------

_QUOTES = re.compile(rf"[{rules.QUOTE_MARKS}]")
_SINGLE_QUOTE = re.compile(r"(?<![\w\ue000-\uf8ff])[‘'](?![\d]{2}s)|[’'](?![\w\ue000-\uf8ff])")
_DATELINE = re.compile(
    r"^(?P<place>[A-Z][A-Z'’.-]+(?: [A-Z][A-Z'’.-]+)*)(?=(?:, [A-Z][\w.]+)? ?(?:\(|[—–]))"
)
_HASHTAG = re.compile(r"(?<![\w&])(?P<sign>[#@])(?P<name>[A-Za-z]\w*)")


def drop_quotes(text: str) -> str:
    """Quotation marks are not read; apostrophes inside words ("Ukraine's") stay."""
    text = _QUOTES.sub("", text)
    text = re.sub(r"(?<=[\w\ue000-\uf8ff])[’‘](?=\w)", "'", text)
    return _SINGLE_QUOTE.sub("", text)


def read_dateline(match: re.Match[str]) -> str:
    """Write "KYIV (AP) —" as "Kyiv (AP) —": the place name is not an initialism."""
    return match.group("place").title()


def read_hashtag(match: re.Match[str]) -> str:
    """Read "#StandWithUkraine" as "hashtag Stand With Ukraine", "@Name" -> "at Name"."""
    words = re.sub(r"(?<=[a-z])(?=[A-Z\d])", " ", match.group("name")).replace("_", " ")
    return ("hashtag " if match.group("sign") == "#" else "at ") + words


# --- 4. Several numbers together: phones, dates, times ------------------------------------------

_PHONE = re.compile(
    r"""(?<![\w+])(?:
        \+\d{1,3}[\s.-]?(?:\(\d{1,4}\)[\s.-]?)?\d{1,4}(?:[\s.-]\d{1,4}){1,4}
      | \(\d{3}\)\s?\d{3}[\s.-]\d{4}
      | \d{3}-\d{3}-\d{4}
      | \d{7,}
    )(?![\w])""",
    re.VERBOSE,
)


def read_phone(match: re.Match[str]) -> str:
    """Read "+380 44 123 4567" as "plus three eight zero, four four, one two three, ..."."""
    groups = re.findall(r"\d+", match.group(0))
    spoken = ", ".join(read_digits(group) for group in groups)
    return ("plus " if match.group(0).startswith("+") else "") + spoken


_NUMBER_PHRASE = re.compile(rf"(?<![\d/])(?:{_alternation(rules.NUMBER_PHRASES)})(?![\d/])")


def read_number_phrase(match: re.Match[str]) -> str:
    return rules.NUMBER_PHRASES[match.group(0)]


_MONTH_ABBREVIATIONS = [short for short, name in rules.MONTHS.items() if short != name]
_MONTH = rf"""(?:{_alternation(rules.MONTH_NAMES)}|(?:{_alternation(_MONTH_ABBREVIATIONS)})\.?)
    (?![a-z])"""
_YEAR_AFTER = r"(?:,?\s+(?P<year>(?:1[1-9]|20)\d\d)(?![\w%°]|[.,]\d))?"
_MONTH_DAY = re.compile(
    rf"""\b(?P<month>{_MONTH})\s+(?P<day>\d{{1,2}})(?:st|nd|rd|th)?
    (?:\s?[-–]\s?(?P<day2>\d{{1,2}})(?:st|nd|rd|th)?)?(?![\w:%°]|[.,]\d){_YEAR_AFTER}""",
    re.VERBOSE,
)
_DAY_MONTH = re.compile(
    rf"""(?P<the>\b[Tt]he\s+)?\b(?P<day>\d{{1,2}})(?:st|nd|rd|th)?\s+(?:of\s+)?
    (?P<month>{_MONTH}){_YEAR_AFTER}""",
    re.VERBOSE,
)
_ISO_DATE = re.compile(r"\b(?P<year>(?:1[1-9]|20)\d\d)-(?P<month>0[1-9]|1[0-2])-(?P<day>\d\d)\b")
_NUMERIC_DATE = re.compile(
    r"\b(?P<first>\d{1,2})(?P<sep>[/.])(?P<second>\d{1,2})(?P=sep)(?P<year>(?:1[1-9]|20)\d\d)\b"
)


def month_name(token: str) -> str:
    return rules.MONTHS[token.rstrip(".")]


def read_date_words(month: str, day: int, year: str | None) -> str:
    """Say "January", 27, "2024" as "January twenty-seventh, twenty twenty-four"."""
    spoken = f"{month} {read_ordinal(day)}"
    return f"{spoken}, {read_year(int(year))}" if year else spoken


def read_month_day(match: re.Match[str]) -> str:
    """Read "Jan. 27" as "January twenty-seventh", "Feb. 24, 2022", "June 3-4"."""
    day = int(match.group("day"))
    if not 1 <= day <= 31:
        return match.group(0)
    spoken = f"{month_name(match.group('month'))} {read_ordinal(day)}"
    if match.group("day2"):
        spoken += f" to {read_ordinal(int(match.group('day2')))}"
    year = match.group("year")
    return f"{spoken}, {read_year(int(year))}" if year else spoken


def read_day_month(match: re.Match[str]) -> str:
    """Read "27 January" as "the twenty-seventh of January"."""
    day = int(match.group("day"))
    if not 1 <= day <= 31:
        return match.group(0)
    the = match.group("the") or "the "
    spoken = f"{the}{read_ordinal(day)} of {month_name(match.group('month'))}"
    year = match.group("year")
    if year:
        return f"{spoken}, {read_year(int(year))}"
    if match.group("month").endswith(".") and _keeps_period(match.string, match.end(), "starter"):
        return spoken + "."
    return spoken


def read_iso_date(match: re.Match[str]) -> str:
    """Read "2022-02-24" as "February twenty-fourth, twenty twenty-two"."""
    month = rules.MONTH_NAMES[int(match.group("month")) - 1]
    return read_date_words(month, int(match.group("day")), match.group("year"))


def read_numeric_date(match: re.Match[str]) -> str:
    """Read "12/03/2024" as month/day (American) unless the first number cannot be a month;
    "24.02.2022" is day.month.year."""
    first, second = int(match.group("first")), int(match.group("second"))
    month, day = (first, second) if match.group("sep") == "/" and first <= 12 else (second, first)
    if not (1 <= month <= 12 and 1 <= day <= 31):
        return match.group(0)
    return read_date_words(rules.MONTH_NAMES[month - 1], day, match.group("year"))


_AM_PM = r"(?P<ampm>[AaPp])(?:\.\s?[Mm]\b(?P<dot>\.)?|[Mm]\b(?P<dot2>\.)?)"
_RATIO = re.compile(r"(?<![\w:.,])(?P<num>\d{1,2}):(?P<num2>\d{1,2})(?![\w:]|[.,]\d)")
_CLOCK = re.compile(rf"\b(?P<hour>[01]?\d|2[0-3]):(?P<minute>[0-5]\d)(?:\s?{_AM_PM})?")
_HOUR_AM_PM = re.compile(rf"\b(?P<hour>1[0-2]|0?[1-9])\s?{_AM_PM}")


def read_minutes(minute: int) -> str:
    return f"oh {read_cardinal(minute)}" if minute < 10 else read_cardinal(minute)


def read_am_pm(match: re.Match[str]) -> str:
    """Read "a.m." as "A.M", with a final period only if it ends the sentence."""
    spoken = f"{match.group('ampm').upper()}.M"
    if match.group("dot") or match.group("dot2"):
        spoken += "." if _keeps_period(match.string, match.end(), "time") else ""
    return spoken


def read_clock(match: re.Match[str]) -> str:
    """Read "10:47 AM" as "ten forty-seven A.M", "17:30" -> "seventeen thirty"."""
    hour, minute = int(match.group("hour")), int(match.group("minute"))
    if match.group("ampm"):
        time = read_cardinal(hour) + (f" {read_minutes(minute)}" if minute else "")
        return f"{time} {read_am_pm(match)}"
    if minute == 0:
        return read_cardinal(hour) + (" hundred" if hour > 12 else " o'clock")
    return f"{read_cardinal(hour)} {read_minutes(minute)}"


def read_ratio(match: re.Match[str]) -> str:
    """Read a score or ratio that is not a clock time: "2:1" as "two to one"."""
    return read_amount(match)


def read_hour(match: re.Match[str]) -> str:
    """Read "5 p.m." as "five P.M"."""
    return f"{read_cardinal(int(match.group('hour')))} {read_am_pm(match)}"


# --- 5. Abbreviations with a period --------------------------------------------------------------

_PARTY_TAG = re.compile(r"\s?\((?P<party>[RDI])-(?P<state>[A-Z][A-Za-z.]*?)\.?\)")


def read_party_tag(match: re.Match[str]) -> str:
    """Read "Rep. Mike Johnson (R-La.)" as "..., Republican of Louisiana,"."""
    state = rules.US_STATES.get(match.group("state"))
    if state is None:
        return match.group(0)
    return f", {rules.PARTIES[match.group('party')]} of {state},"


def _abbreviation_table() -> dict[str, tuple[str, rules.PeriodPolicy]]:
    table: dict[str, tuple[str, rules.PeriodPolicy]] = {}
    for short, long in rules.TITLES.items():
        table[short] = (long, "never")
    for short, long in rules.LATIN.items():
        table[short] = (long, "never")
        if len(short) > 1:  # "V." would be an initial: "Vladimir V. Putin"
            table[short[0].upper() + short[1:]] = (long, "never")
    for short, long in rules.OTHER_ABBREVIATIONS.items():
        table[short] = (long, "starter")
    for short, long in rules.MONTHS.items():
        if short != long:
            table[short] = (long, "starter")
    return table


ABBREVIATIONS = _abbreviation_table()
_ABBREVIATION = re.compile(rf"(?<![\w.])(?P<abbr>{_alternation(ABBREVIATIONS)})\.")
_NAME_OR_PLACE = re.compile(rf"(?<![\w.])(?P<abbr>{_alternation(rules.NAME_OR_PLACE)})\.")
_NUMBER_SIGN = re.compile(r"(?<![\w.])(?:No\.|#)\s?(?=\d)")
_DOTTED_LETTERS = re.compile(r"(?<![\w.])(?P<letters>(?:[A-Z]\.)+[A-Z])(?P<dot>\.)?(?![\w])")
_INITIAL = re.compile(r"(?<![\w.'’])(?P<letter>[A-Z])\.(?=\s+[A-Z])")


def read_abbreviation(match: re.Match[str]) -> str:
    """Read "Gen." as "General", "e.g." -> "for example", "etc." -> "et cetera" (+ "." at the
    end of a sentence)."""
    spoken, policy = ABBREVIATIONS[match.group("abbr")]
    return spoken + ("." if _keeps_period(match.string, match.end(), policy) else "")


def read_name_or_place(match: re.Match[str]) -> str:
    """Read "St." as Street after a name or number ("Downing St. today", "5th St.") and as
    Saint otherwise ("in St. Petersburg", "Russia's St. Petersburg"); "Dr." likewise as Drive
    or Doctor. A capitalised first word of a sentence is no name when a name follows:
    "In St. Petersburg" but "Downing St. is closed"."""
    name, place = rules.NAME_OR_PLACE[match.group("abbr")]
    previous = _previous_word(match.string, match.start())
    if previous is None or previous.endswith("'s") or previous[0].islower():
        return name
    following = _next_word(match.string, match.end())
    name_follows = bool(following and following[0].isupper())
    if name_follows and following not in rules.SENTENCE_STARTERS and _follows_first_word(match):
        return name
    return place + ("." if _keeps_period(match.string, match.end(), "starter") else "")


def _follows_first_word(match: re.Match[str]) -> bool:
    """Whether the word before the match is the first word of its sentence."""
    before = re.sub(r"[\w'’]+[.,]?\s+$", "", match.string[: match.start()])
    return _at_sentence_start(before, len(before))


def read_number_sign(match: re.Match[str]) -> str:
    """Read "No. 2" and "#2" as "number 2" (the digit is read later)."""
    return "number "


def read_dotted_letters(match: re.Match[str]) -> str:
    """Write "U.S." as "U.S": espeak spells it and sees no sentence end, unless it ends one."""
    spoken = match.group("letters")
    if match.group("dot") and _keeps_period(match.string, match.end(), "starter"):
        spoken += "."
    return spoken


def read_initial(match: re.Match[str]) -> str:
    """Drop the period of "John F. Kennedy"; "Plan B. The ..." keeps it."""
    keep = _keeps_period(match.string, match.end(), "starter")
    return match.group("letter") + ("." if keep else "")


# --- 6. Numbers with a meaning -------------------------------------------------------------------

_CURRENCY = _alternation(rules.CURRENCIES)
_SCALE = rf"(?:{_alternation(rules.SCALE_SUFFIXES)})(?![\w])"
_MONEY_BEFORE = re.compile(
    rf"""(?<![\w$€£₴₽])(?P<cur>{_CURRENCY})\s?(?P<num>{NUM})
    (?:\s?[-–]\s?(?:{_CURRENCY})?\s?(?P<num2>{NUM}))?(?:\s?(?P<scale>{_SCALE}))?""",
    re.VERBOSE,
)
_MONEY_AFTER = re.compile(
    rf"""{NUM_START}(?P<num>{NUM}){RANGE}(?:\s?(?P<scale>{_SCALE}))?\s?
    (?P<cur>UAH|RUB|USD|EUR|GBP|[₴₽€$])(?![\w])""",
    re.VERBOSE,
)


def read_amount(match: re.Match[str]) -> str:
    """The number, or "five to ten" for a range."""
    spoken = read_number(match.group("num"))
    if match.group("num2"):
        spoken += f" to {read_number(match.group('num2'))}"
    return spoken


def read_money(match: re.Match[str]) -> str:
    """Read "$61 billion" as "sixty-one billion dollars", "£2.5bn" -> "two point five billion
    pounds", "$61.35" -> "sixty-one dollars and thirty-five cents", "$1" -> "one dollar"."""
    currency = rules.CURRENCIES[match.group("cur")]
    if match.group("scale"):
        scale = rules.SCALE_SUFFIXES[match.group("scale")]
        return f"{read_amount(match)} {scale} {currency.many}"
    whole, _, cents = match.group("num").partition(".")
    if len(cents) == 2 and not match.group("num2"):
        return read_dollars_and_cents(whole, int(cents), currency)
    unit = currency.one if _is_one(match.group("num")) and not match.group("num2") else None
    return f"{read_amount(match)} {unit or currency.many}"


def read_dollars_and_cents(whole: str, cents: int, currency: rules.Currency) -> str:
    main = f"{read_number(whole)} {currency.one if _is_one(whole) else currency.many}"
    change = f"{read_cardinal(cents)} {currency.cent if cents == 1 else currency.cents}"
    if cents == 0:
        return main
    return change if whole == "0" else f"{main} and {change}"


_TEMPERATURE = re.compile(rf"{SIGN}(?P<num>{NUM}){RANGE}\s?°\s?(?P<scale>[CF])?(?![A-Za-z])")
_PERCENT = re.compile(rf"{SIGN}{NUM_START}(?P<num>{NUM})%?{RANGE}\s?%")


def signed(match: re.Match[str], spoken: str) -> str:
    sign = match.group("sign")
    return {"-": "minus ", "+": "plus "}.get(sign or "", "") + spoken


def read_temperature(match: re.Match[str]) -> str:
    """Read "-20°C" as "minus twenty degrees Celsius"."""
    single = _is_one(match.group("num")) and not match.group("num2")
    spoken = f"{read_amount(match)} {'degree' if single else 'degrees'}"
    if match.group("scale"):
        spoken += " " + rules.TEMPERATURE_SCALES[match.group("scale")]
    return signed(match, spoken)


def read_percent(match: re.Match[str]) -> str:
    """Read "67.4%" as "sixty-seven point four percent", "5-10%" -> "five to ten percent"."""
    return signed(match, f"{read_amount(match)} percent")


_UNIT = re.compile(
    rf"""{SIGN}{NUM_START}(?P<num>{NUM}){RANGE}(?P<gap>\s|-)?
    (?P<unit>{_alternation(rules.UNITS)})(?![\w/²])""",
    re.VERBOSE,
)
_SCALED = re.compile(rf"{NUM_START}(?P<num>{NUM})\s?(?P<scale>bn|mn|mln|tn|trn|[kK])(?![\w])")


def read_measure(match: re.Match[str]) -> str:
    """Read "12 km" as "twelve kilometers", "1,200-km front" -> "one thousand two hundred
    kilometer front", "155mm shells" -> "one hundred fifty-five millimeter shells"."""
    unit, gap = match.group("unit"), match.group("gap")
    if unit in rules.SPACED_ONLY_UNITS and gap != " ":
        return match.group(0)
    if unit == "m" and not gap and _means_million(match):
        return signed(match, f"{read_amount(match)} million")
    one, many = rules.UNITS[unit]
    return signed(match, f"{read_amount(match)} {one if _singular_unit(match) else many}")


def _means_million(match: re.Match[str]) -> bool:
    """Whether a glued "m" means million: before a plural noun or "of" ("4m drones")."""
    word = _next_word(match.string, match.end())
    return word is not None and (word in rules.MILLION_FOLLOWERS or word.endswith("s"))


def _singular_unit(match: re.Match[str]) -> bool:
    """One, or a unit used as an adjective: "1 km", "a 12-km front", "the 155mm shells"."""
    if match.group("gap") == "-":
        return True
    if _is_one(match.group("num")) and not match.group("num2"):
        return True
    following = _next_word(match.string, match.end())
    if match.group("unit") == "mm" and not match.group("gap"):
        return following != "of"
    before = match.string[: match.start()]
    return bool(re.search(r"\b(?:[Aa]n?|[Tt]he)\s+$", before)) and bool(
        following and following[0].islower() and following not in ("of", "per")
    )


def read_scaled(match: re.Match[str]) -> str:
    """Read "5bn" as "five billion", "10k" -> "ten thousand"."""
    return f"{read_number(match.group('num'))} {rules.SCALE_SUFFIXES[match.group('scale')]}"


_ORDINAL = re.compile(rf"{NUM_START}(?P<num>\d{{1,3}}(?:,\d{{3}})+|\d+)(?:st|nd|rd|th)\b")
_DECADE = re.compile(r"(?<![\w.,-])(?P<apos>['’])?(?P<num>(?:1[1-9]|20)\d0|[2-9]0)s\b")


def read_ordinal_token(match: re.Match[str]) -> str:
    """Read "47th" as "forty-seventh", "1,000th" -> "one thousandth"."""
    return read_ordinal(int(match.group("num").replace(",", "")))


def read_decade(match: re.Match[str]) -> str:
    """Read "1990s" as "nineteen nineties", "'90s" and "90s" -> "nineties"."""
    number = int(match.group("num"))
    return plural_words(read_year(number) if number >= 1000 else read_cardinal(number))


_DESIGNATION = re.compile(
    rf"""(?<![\w-])(?P<prefix>{_alternation(rules.DESIGNATION_PREFIXES)}|[A-Z]{{1,5}})
    -(?P<num>\d+)(?P<tail>[A-Za-z\d]*?)(?P<plural>s)?(?![\w])""",
    re.VERBOSE,
)
_SPACED_DESIGNATION = re.compile(
    rf"\b(?P<name>{_alternation(rules.SPACED_DESIGNATIONS)})\s(?P<code>\d+[A-Z][A-Z\d]*|\d+)\b"
)
_ALPHANUMERIC = re.compile(r"\b(?=[A-Za-z]*\d)(?=\d*[A-Za-z])[A-Za-z\d]+\b")


def read_letters(letters: str) -> str:
    """Letters inside a code: a known acronym as a word, capitals spelled ("S.U")."""
    if letters in rules.DESIGNATION_PREFIXES:
        return rules.DESIGNATION_PREFIXES[letters]
    if letters in rules.ACRONYM_WORDS:
        return rules.ACRONYM_WORDS[letters]
    if len(letters) > 1 and letters.isupper():
        return ".".join(letters)
    return letters


def read_code(code: str) -> str:
    """A glued letter-number code: "2A6" -> "two A-six", "TB2" -> "T.B two", "G7" -> "G
    seven". A lone "A" is joined to the next word, or espeak says the article "uh"."""
    parts = re.findall(r"\d+|[A-Za-z]+", code)
    spoken = [read_model_number(part) if part.isdigit() else read_letters(part) for part in parts]
    text = " ".join(spoken)
    return re.sub(r"(?<![\w.])A (?=\w)", "A-", text)


def read_designation(match: re.Match[str]) -> str:
    """Read "F-16s" as "F sixteens", "Su-34" -> "S.U thirty-four", "S-300" -> "S three hundred",
    "Shahed-136" -> "Shahed one thirty-six", "COVID-19" -> "Co-vid nineteen"."""
    spoken = read_code(match.group("prefix") + match.group("num") + match.group("tail"))
    return plural_words(spoken) if match.group("plural") else spoken


def read_spaced_designation(match: re.Match[str]) -> str:
    """Read "Boeing 737" as "Boeing seven thirty-seven", "Leopard 2A6" -> "Leopard two A-six"."""
    return f"{match.group('name')} {read_code(match.group('code'))}"


def read_alphanumeric(match: re.Match[str]) -> str:
    return read_code(match.group(0))


_YEAR = r"(?:1[1-9]|20)\d\d"
_YEAR_RANGE = re.compile(
    rf"(?<![\w.,$€£₴₽])(?P<first>{_YEAR})\s?[-–]\s?(?P<second>{_YEAR}|\d\d)(?![\w%°]|[.,]\d)"
)
_NUMBER_RANGE = re.compile(rf"{NUM_START}(?P<num>{NUM})\s?[-–]\s?(?P<num2>{NUM})(?![\w])")
_YEAR_ALONE = re.compile(rf"(?<![\w.,$€£₴₽])(?P<year>{_YEAR})(?![\w%°]|[.,]\d)")


def read_year_range(match: re.Match[str]) -> str:
    """Read "2024-2026" and "2024–26" -> "twenty twenty-four to twenty twenty-six"."""
    first, second = match.group("first"), match.group("second")
    if len(second) == 2:
        second = first[:2] + second
    if int(second) <= int(first):
        return match.group(0)
    return f"{read_year(int(first))} to {read_year(int(second))}"


def read_number_range(match: re.Match[str]) -> str:
    """Read "10-15" as "ten to fifteen"; a vote or score "3-2" -> "three to two"."""
    return read_amount(match)


def read_year_token(match: re.Match[str]) -> str:
    """A bare four-digit number from 1100 to 2099 is a year ("in 1994", "the 2022
    invasion") unless a quantity word comes first ("some 1500 troops")."""
    previous = _previous_word(match.string, match.start())
    number = int(match.group("year"))
    if previous is not None and previous.lower() in rules.QUANTITY_WORDS:
        return read_cardinal(number)
    return read_year(number)


_FRACTION = re.compile(r"(?<![\w/.,])(?P<num>\d+)/(?P<den>\d+)(?![\w/]|[.,]\d)")
_VULGAR_CHARS = "".join(rules.VULGAR_FRACTIONS)
_VULGAR = re.compile(
    rf"""(?:(?P<whole>\d+)\s?)?(?P<frac>[{_VULGAR_CHARS}])
    (?:\s?(?P<scale>{_SCALE})|\s?(?P<unit>{_alternation(rules.UNITS)})(?![\w/²]))?""",
    re.VERBOSE,
)
_PLUS_AFTER = re.compile(rf"(?P<num>{NUM})\+(?![\d])")
_APPROX = re.compile(r"[~≈]\s?(?=\d)")
_COMPARE = re.compile(r"(?P<sign>[<>≤≥])\s?(?=\d)")
_SIGNED = re.compile(r"(?<![\w%.,)\]])(?P<sign>[-+])(?=\d)")
_ANY_NUMBER = re.compile(rf"(?P<num>{NUM})")


def read_fraction(match: re.Match[str]) -> str:
    """Read "1/5" as "one fifth", "2/3" -> "two thirds"; "12/3" -> "twelve slash three"."""
    numerator, denominator = int(match.group("num")), int(match.group("den"))
    if not 0 < numerator < denominator <= 100:
        return f"{read_number(match.group('num'))} slash {read_number(match.group('den'))}"
    one, many = rules.FRACTION_DENOMINATORS.get(denominator, (None, None))
    if one is None or many is None:
        one = read_ordinal(denominator)
        many = plural_words(one)
    return f"{read_cardinal(numerator)} {one if numerator == 1 else many}"


def read_vulgar_fraction(match: re.Match[str]) -> str:
    """Read "½" as "one half", "2½" as "two and a half", "1½ million" as "one and a half
    million", "2½ km" as "two and a half kilometers"."""
    alone, after_whole = rules.VULGAR_FRACTIONS[match.group("frac")]
    whole = match.group("whole")
    spoken = f"{read_number(whole)} {after_whole}" if whole else alone
    if match.group("scale"):
        return f"{spoken} {rules.SCALE_SUFFIXES[match.group('scale')]}"
    if match.group("unit"):
        return f"{spoken} {rules.UNITS[match.group('unit')][1]}"
    return spoken


def read_plus_after(match: re.Match[str]) -> str:
    """Read "15,000+ drones" as "more than 15,000 drones"; after "over" the plus is dropped."""
    previous = _previous_word(match.string, match.start())
    lead = "" if previous and previous.lower() in {"over", "than", "above"} else "more than "
    return lead + match.group("num")


def read_approx(match: re.Match[str]) -> str:
    return "about "


def read_compare(match: re.Match[str]) -> str:
    return rules.SYMBOL_WORDS[match.group("sign")] + " "


def read_sign(match: re.Match[str]) -> str:
    return "minus " if match.group("sign") == "-" else "plus "


def read_any_number(match: re.Match[str]) -> str:
    return read_number(match.group("num"))


# --- 7. Roman numerals, initialisms, acronyms ----------------------------------------------------

_ROMAN = re.compile(r"\b(?P<word>[A-Z][a-z]+)(?P<space>\s+)(?P<roman>[IVXLCDM]+)\b")
_VALID_ROMAN = re.compile(r"M{0,3}(?:CM|CD|D?C{0,3})(?:XC|XL|L?X{0,3})(?:IX|IV|V?I{0,3})")
_CAPITALS = re.compile(r"(?<![\w.'’])(?P<word>[A-Z]{2,})(?P<tail>s|['’]s)?\b")


def roman_value(numeral: str) -> int | None:
    if not numeral or not _VALID_ROMAN.fullmatch(numeral):
        return None
    values = [rules.ROMAN_VALUES[char] for char in numeral]
    return sum(-v if v < nxt else v for v, nxt in zip(values, [*values[1:], 0], strict=True))


def title_words(words: str) -> str:
    return re.sub(r"(?<![\w'])[a-z]", lambda letter: letter.group(0).upper(), words)


def read_roman(match: re.Match[str]) -> str:
    """Read "World War II" as "World War Two", "Charles III" -> "Charles the Third",
    "Pope Leo XIV" -> "Pope Leo the Fourteenth". Unknown context stays as written."""
    word, numeral = match.group("word"), match.group("roman")
    value = roman_value(numeral)
    head = f"{word}{match.group('space')}"
    if value is None:
        return match.group(0)
    if word in rules.ROMAN_CARDINAL_CONTEXT:
        return head + title_words(read_cardinal(value))
    if _is_regnal(match, numeral):
        return head + "the " + title_words(read_ordinal(value))
    if numeral in ("II", "III"):
        return head + title_words(read_cardinal(value))
    return match.group(0)


def _is_regnal(match: re.Match[str], numeral: str) -> bool:
    """After a title and a name, or (except the pronoun-like "I") after a regnal name."""
    before = match.string[: match.start()]
    titled = re.search(rf"\b(?:{'|'.join(rules.REGNAL_TITLES)})\s+(?:[A-Z][a-z]+\s+)?$", before)
    if titled:
        return True
    return numeral != "I" and match.group("word") in rules.REGNAL_NAMES


def is_shouting(text: str) -> bool:
    """An all-caps headline: most of at least three words in capitals."""
    words = re.findall(r"[A-Za-z]{2,}", text)
    capitals = [word for word in words if word.isupper()]
    return len(capitals) >= 3 and len(capitals) * 2 > len(words)


def read_capitals(match: re.Match[str], shouting: bool) -> str:
    """Read "NATO" as "Nato", "IAEA's" -> "I.A.E.A's", "UAVs" -> "U.A.V's", "BREAKING" ->
    "Breaking". Unknown short all-caps words are spelled: espeak reads some as words."""
    word, tail = match.group("word"), match.group("tail") or ""
    tail = "'s" if tail else ""
    if word in rules.ACRONYM_WORDS:
        return rules.ACRONYM_WORDS[word] + tail
    spelled = word in rules.KNOWN_INITIALISMS
    if not spelled and (shouting or len(word) > rules.MAX_SPELLED_LETTERS):
        return word.capitalize() + tail
    return ".".join(word) + tail


# --- 8. Symbols, dashes, spacing -----------------------------------------------------------------

_DASH = re.compile(r"\s*(?:—|–|--)\s*|\s+-\s+")
_SYMBOL = re.compile(r"\s*(?P<symbol>[&%+=@°~≈±])\s*")
_AND_OR = re.compile(r"\b(and|or)/(or|and)\b")


def read_symbol(match: re.Match[str]) -> str:
    return f" {rules.SYMBOL_WORDS[match.group('symbol')]} "


def tidy(text: str) -> str:
    """One space between words, none before punctuation, no doubled commas."""
    text = re.sub(r"\s+", " ", text)
    text = re.sub(r"\s+([,.;:!?)\]])", r"\1", text)
    text = re.sub(r"([(\[])\s+", r"\1", text)
    text = re.sub(r",(?:\s*,)+", ",", text)
    text = re.sub(r",\s*([.;:!?)])", r"\1", text)
    text = re.sub(r"\(\s*,\s*", "(", text)
    return re.sub(r"^[\s,;:]+", "", text).strip()


# --- The pipeline --------------------------------------------------------------------------------

# Steps 3 to 7 of the module docstring (up to the Roman numerals), in the order they run.
RULES: list[tuple[re.Pattern[str], Reader]] = [
    (_DATELINE, read_dateline),
    (_HASHTAG, read_hashtag),
    (_PHONE, read_phone),
    (_NUMBER_PHRASE, read_number_phrase),
    (_ISO_DATE, read_iso_date),
    (_NUMERIC_DATE, read_numeric_date),
    (_MONTH_DAY, read_month_day),
    (_DAY_MONTH, read_day_month),
    (_CLOCK, read_clock),
    (_HOUR_AM_PM, read_hour),
    (_RATIO, read_ratio),
    (_PARTY_TAG, read_party_tag),
    (_NUMBER_SIGN, read_number_sign),
    (_ABBREVIATION, read_abbreviation),
    (_NAME_OR_PLACE, read_name_or_place),
    (_DOTTED_LETTERS, read_dotted_letters),
    (_INITIAL, read_initial),
    (_MONEY_BEFORE, read_money),
    (_MONEY_AFTER, read_money),
    (_TEMPERATURE, read_temperature),
    (_PERCENT, read_percent),
    (_VULGAR, read_vulgar_fraction),
    (_UNIT, read_measure),
    (_SCALED, read_scaled),
    (_ORDINAL, read_ordinal_token),
    (_DECADE, read_decade),
    (_DESIGNATION, read_designation),
    (_SPACED_DESIGNATION, read_spaced_designation),
    (_ALPHANUMERIC, read_alphanumeric),
    (_YEAR_RANGE, read_year_range),
    (_NUMBER_RANGE, read_number_range),
    (_YEAR_ALONE, read_year_token),
    (_FRACTION, read_fraction),
    (_PLUS_AFTER, read_plus_after),
    (_APPROX, read_approx),
    (_COMPARE, read_compare),
    (_SIGNED, read_sign),
    (_ANY_NUMBER, read_any_number),
    (_ROMAN, read_roman),
]


def speech_text(text: str, lexicon: Mapping[str, str] | None = None) -> str:
    """One paragraph (or heading, or quote) of plain news text -> what a careful narrator says."""
    protected = _Protected()
    text = normalize(text)
    text = apply_lexicon(text, lexicon or {}, protected)
    text = protect_links(text, protected)
    text = drop_quotes(text)
    for pattern, reader in RULES:
        text = _apply(pattern, reader, text)
    shouting = is_shouting(text)
    text = _CAPITALS.sub(lambda match: read_capitals(match, shouting), text)
    text = _AND_OR.sub(r"\1 \2", text)
    text = _DASH.sub(", ", text)
    text = _SYMBOL.sub(read_symbol, text)
    return protected.restore(tidy(text))
