"""Plain-text page dumps (the reference page of DESIGN §1, copied as text) parsed into data.

Pure: no Django, no I/O. `parse(text, zone)` returns a complete `Article` or raises `DumpError`
with a 1-based line number; it never returns part of a dump.

The shape, top to bottom (blank lines between the header lines are allowed, and ignored):

    <headline>
    by <author>[, <author>…][ and <author>] <Month D, YYYY> <H:MM AM|PM> <N> min read
    [<caption> (<credit>)]
    [This audio is created with AI assistance]
    <paragraph>            ← paragraphs are separated by blank lines; lines of one
                             paragraph are joined with a space
    Author: <name>
    [<H:MM AM|PM>          ← live-feed entries, newest first
     <entry headline>
     <paragraph>…]

Decisions the format leaves open, made here:

- The caption. When the AI-audio line is present, the one line between the byline and it is
  the caption (its credit is optional). Without that line, the first line after the byline is
  a caption only if it stands alone (a blank line or the end follows) and ends in a credit in
  parentheses; otherwise it is the first paragraph. A first paragraph that is a single line
  ending in "(…)" is therefore read as a caption: add the AI-audio line to settle it.
- Authors are split on commas and on the word "and" (lower case), so a desk called
  "Research and Analysis" must be written "Research & Analysis".
- Entry dates follow the issue's rule: the first entry is on the article's date unless its
  time is later than the article's (then the day before); each next entry is on the day of the
  one above it unless its time is later (then it crossed midnight: the day before). A time
  later than the one above by less than an hour is refused as "out of order": it would mean a
  silence of 23 hours or more at the same hour, and is almost always a list pasted oldest
  first.
- Daylight saving time, with the zone given (`zoneinfo`): a time that does not exist (clocks
  jumped over it) is refused with its line, since it means the dump was written in another
  zone. An ambiguous time (clocks went back and the hour repeats) is read as its first
  occurrence (fold=0) for the article; for an entry it is the latest occurrence not after the
  entry above, so a feed that runs through the repeated hour keeps its order.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

HEADLINE_MAX = 255  # wagtail Page.title
ENTRY_HEADLINE_MAX = 200  # LiveUpdate.headline
AUTHOR_MAX = 120  # Author.name
CAPTION_MAX = 500  # ArticlePage.hero_caption
CREDIT_MAX = 255  # ArticlePage.hero_credit
MIN_YEAR, MAX_YEAR = 1900, 2999
MAX_MINUTES = 999
OUT_OF_ORDER_GAP = timedelta(hours=23)
AI_AUDIO_LINE = "this audio is created with ai assistance"
FORMAT_HINT = "by <author> <Month D, YYYY> <H:MM AM|PM> <N> min read"

MONTH_NAMES = (
    "January", "February", "March", "April", "May", "June",
    "July", "August", "September", "October", "November", "December",
)  # fmt: skip
# Full names and the usual abbreviations ("Jan.", "Sept."), lower case.
MONTHS = {name.lower(): number for number, name in enumerate(MONTH_NAMES, start=1)}
MONTHS.update({name.lower()[:3]: number for number, name in enumerate(MONTH_NAMES, start=1)})
MONTHS["sept"] = 9

_CLOCK = r"[0-9]{1,2}:[0-9]{2}\s*[ap]\.?\s?m\.?"
_CLOCK_LINE = re.compile(rf"^{_CLOCK}$", re.IGNORECASE)
_CLOCK_PARTS = re.compile(r"^([0-9]{1,2}):([0-9]{2})\s*([ap])", re.IGNORECASE)
_BYLINE = re.compile(
    r"^by\s+(?P<authors>.+?)\s+(?P<month>[^\W\d_]+)\.?\s+(?P<day>[0-9]{1,2}),?\s+"
    rf"(?P<year>[0-9]{{4}})\s+(?P<clock>{_CLOCK})\s+(?P<minutes>[0-9]+)\s+min(?:ute)?s?\.?"
    r"\s+read\.?$",
    re.IGNORECASE,
)
_AUTHOR_SEPARATOR = re.compile(r"\s*,\s*(?:and\s+)?|\s+and\s+")
_FOOTER = re.compile(r"^authors?:\s*(?P<name>.*)$", re.IGNORECASE)
_CREDIT = re.compile(r"^(?P<caption>.*?)\s*\((?P<credit>[^()]+)\)$")


class DumpError(ValueError):
    """A dump that does not have the expected shape; `line` is 1-based."""

    def __init__(self, line: int, message: str) -> None:
        super().__init__(f"line {line}: {message}")
        self.line = line
        self.message = message


@dataclass(frozen=True)
class Entry:
    """One live-feed entry. `local` is the newsroom's wall clock; `published` is aware."""

    line: int
    local: datetime
    published: datetime
    headline: str
    paragraphs: tuple[str, ...]


@dataclass(frozen=True)
class Article:
    """A whole dump. `local` is naive wall-clock time in `zone`; `published` is aware."""

    headline: str
    authors: tuple[str, ...]
    local: datetime
    published: datetime
    zone: ZoneInfo
    minutes: int
    caption: str
    credit: str
    paragraphs: tuple[str, ...]
    footer_author: str
    entries: tuple[Entry, ...]


def parse(text: str, zone: ZoneInfo) -> Article:
    """The article (and live-feed entries) in a dump; raises DumpError for anything else."""
    return _Parser(_lines(text), zone).article()


def source_key(article: Article) -> str:
    """A stable identity for a dump: its headline and its date, not its wording."""
    headline = " ".join(article.headline.casefold().split())
    digest = hashlib.sha256(f"{headline}\n{article.local.date().isoformat()}".encode())
    return f"text:{digest.hexdigest()[:40]}"


def _lines(text: str) -> list[str]:
    """Lines with runs of whitespace collapsed; control characters refused."""
    text = text.removeprefix("\ufeff").replace("\r\n", "\n").replace("\r", "\n")
    lines = []
    for number, line in enumerate(text.split("\n"), start=1):
        for char in line:
            if char != "\t" and unicodedata.category(char) in {"Cc", "Cs"}:
                raise DumpError(number, f"contains the control character U+{ord(char):04X}")
        lines.append(" ".join(line.split()))
    if len(lines) > 1 and not lines[-1]:
        lines.pop()  # the final newline ends the last line; it does not start another
    return lines


def _shorten(line: str, width: int = 60) -> str:
    return repr(line if len(line) <= width else line[: width - 1] + "…")


def _check_length(number: int, what: str, value: str, limit: int) -> str:
    if len(value) > limit:
        raise DumpError(number, f"the {what} is {len(value)} characters long; at most {limit}")
    return value


def parse_clock(number: int, text: str) -> time:
    """'3:34 PM' as a time; 12 AM is midnight and 12 PM is noon."""
    match = _CLOCK_PARTS.match(text)
    if match is None:
        raise DumpError(number, f"{_shorten(text)} is not a time like '10:47 AM'")
    hour, minute, half = int(match[1]), int(match[2]), match[3].lower()
    if not (1 <= hour <= 12 and 0 <= minute <= 59):
        shown = text.upper().replace(".", "")
        raise DumpError(
            number, f"'{shown}' is not a time: hours run from 1 to 12, minutes from 00 to 59"
        )
    return time(hour % 12 + (12 if half == "p" else 0), minute)


def _exists(naive: datetime, zone: ZoneInfo) -> bool:
    there_and_back = naive.replace(tzinfo=zone).astimezone(UTC).astimezone(zone)
    return there_and_back.replace(tzinfo=None) == naive


def _is_ambiguous(naive: datetime, zone: ZoneInfo) -> bool:
    first, second = naive.replace(tzinfo=zone, fold=0), naive.replace(tzinfo=zone, fold=1)
    return first.utcoffset() != second.utcoffset()


def _aware(number: int, naive: datetime, zone: ZoneInfo, fold: int = 0) -> datetime:
    if not _exists(naive, zone):
        raise DumpError(
            number,
            f"{_date_text(naive.date())} {_clock_text(naive.time())} does not exist in"
            f" {zone.key} (the clocks jumped over it); is the time zone right?",
        )
    return naive.replace(tzinfo=zone, fold=fold)


def _utc(moment: datetime) -> datetime:
    # Aware datetimes that share a tzinfo compare by wall clock, ignoring fold: compare in UTC.
    return moment.astimezone(UTC)


class _Parser:
    def __init__(self, lines: list[str], zone: ZoneInfo) -> None:
        self.lines = lines
        self.zone = zone
        self.position = 0  # index of the next line to read

    # --- reading lines -----------------------------------------------------------------
    def skip_blank(self) -> None:
        while self.position < len(self.lines) and not self.lines[self.position]:
            self.position += 1

    def at_end(self) -> bool:
        return self.position >= len(self.lines)

    def peek(self) -> tuple[int, str]:
        return self.position + 1, self.lines[self.position]

    def take(self) -> tuple[int, str]:
        line = self.peek()
        self.position += 1
        return line

    def last_number(self) -> int:
        """The last line that is not blank: where a file that ends too early ends."""
        return max((i for i, line in enumerate(self.lines, start=1) if line), default=1)

    # --- the parts -------------------------------------------------------------------------
    def article(self) -> Article:
        headline = self.headline()
        authors, local, minutes, byline_number = self.byline()
        caption, credit = self.caption()
        paragraphs, footer = self.body()
        published = _aware(byline_number, local, self.zone)
        entries = self.entries(local, published)
        return Article(
            headline=headline,
            authors=authors,
            local=local,
            published=published,
            zone=self.zone,
            minutes=minutes,
            caption=caption,
            credit=credit,
            paragraphs=paragraphs,
            footer_author=footer,
            entries=entries,
        )

    def headline(self) -> str:
        number, line = self.take()
        if not line:
            raise DumpError(number, "the first line must be the headline, but it is empty")
        if _BYLINE.match(line):
            raise DumpError(number, "the first line is a byline; the headline must come first")
        return _check_length(number, "headline", line, HEADLINE_MAX)

    def byline(self) -> tuple[tuple[str, ...], datetime, int, int]:
        self.skip_blank()
        if self.at_end():
            raise DumpError(self.last_number(), f"the byline is missing ('{FORMAT_HINT}')")
        number, line = self.take()
        if not line.lower().startswith("by "):
            raise DumpError(
                number, f"expected the byline ('{FORMAT_HINT}'), found {_shorten(line)}"
            )
        match = _BYLINE.match(line)
        if match is None:
            raise DumpError(number, f"the byline does not read '{FORMAT_HINT}'")
        month = MONTHS.get(match["month"].lower())
        if month is None:
            raise DumpError(number, f"{match['month']!r} is not the name of a month")
        day, year = int(match["day"]), int(match["year"])
        written = f"{match['month']} {day}, {year}"
        if not MIN_YEAR <= year <= MAX_YEAR:
            raise DumpError(number, f"{written}: the year must be from {MIN_YEAR} to {MAX_YEAR}")
        try:
            day_of = date(year, month, day)
        except ValueError:
            raise DumpError(number, f"{written!r} is not a date") from None
        clock = parse_clock(number, match["clock"])
        minutes = int(match["minutes"])
        if not 1 <= minutes <= MAX_MINUTES:
            raise DumpError(number, f"a reading time of {minutes} min is not possible")
        authors = self.authors(number, match["authors"])
        return authors, datetime.combine(day_of, clock), minutes, number

    @staticmethod
    def authors(number: int, text: str) -> tuple[str, ...]:
        names = tuple(name.strip() for name in _AUTHOR_SEPARATOR.split(text))
        if not all(names):
            raise DumpError(number, f"an author's name is empty in {_shorten(text)}")
        for name in names:
            _check_length(number, "author's name", name, AUTHOR_MAX)
        return names

    def caption(self) -> tuple[str, str]:
        self.skip_blank()
        if self.at_end():
            return "", ""
        number, line = self.peek()
        if _is_ai_line(line):
            self.take()
            return "", ""
        following = self.lines[self.position + 1] if number < len(self.lines) else ""
        after_blank = self.next_nonblank(self.position + 1)
        if after_blank is not None and _is_ai_line(after_blank[1]):
            self.position = after_blank[0]  # past the audio line
            return self.split_credit(number, line, required=False)
        if following or _FOOTER.match(line) or not _CREDIT.match(line):
            return "", ""  # the body starts here
        self.take()
        return self.split_credit(number, line, required=True)

    def next_nonblank(self, index: int) -> tuple[int, str] | None:
        while index < len(self.lines):
            if self.lines[index]:
                return index + 1, self.lines[index]
            index += 1
        return None

    @staticmethod
    def split_credit(number: int, line: str, *, required: bool) -> tuple[str, str]:
        match = _CREDIT.match(line)
        if match is None:
            if required:  # pragma: no cover - the caller checked
                raise DumpError(number, "the caption has no credit in parentheses")
            caption, credit = line, ""
        else:
            caption, credit = match["caption"], match["credit"].strip()
        _check_length(number, "caption", caption, CAPTION_MAX)
        _check_length(number, "photo credit", credit, CREDIT_MAX)
        return caption, credit

    def body(self) -> tuple[tuple[str, ...], str]:
        paragraphs: list[str] = []
        current: list[str] = []
        while not self.at_end():
            number, line = self.take()
            footer = _FOOTER.match(line)
            if footer:
                if current:
                    paragraphs.append(" ".join(current))
                name = footer["name"].strip()
                if not name:
                    raise DumpError(number, "the 'Author:' line names no one")
                if not paragraphs:
                    raise DumpError(number, "the article has no paragraphs before 'Author:'")
                return tuple(paragraphs), _check_length(number, "author's name", name, 500)
            if line and not (_is_ai_line(line) and not current):
                current.append(line)
            elif current:
                paragraphs.append(" ".join(current))
                current = []
        raise DumpError(self.last_number(), "the 'Author: <name>' line after the body is missing")

    def entries(self, article_local: datetime, article_published: datetime) -> tuple[Entry, ...]:
        entries: list[Entry] = []
        above_local, above = article_local, article_published
        self.skip_blank()
        while not self.at_end():
            number, line = self.take()
            if not _CLOCK_LINE.match(line):
                raise DumpError(
                    number,
                    f"expected the time of a live-feed entry (like '10:47 AM'), "
                    f"found {_shorten(line)}",
                )
            clock = parse_clock(number, line)
            local, published = self.date_entry(number, clock, above_local, above, bool(entries))
            headline = self.entry_headline(number)
            paragraphs = self.entry_body(number)
            entries.append(Entry(number, local, published, headline, paragraphs))
            above_local, above = local, published
        return tuple(entries)

    def date_entry(
        self, number: int, clock: time, above_local: datetime, above: datetime, check_gap: bool
    ) -> tuple[datetime, datetime]:
        zone, day = self.zone, above_local.date()
        same_day = datetime.combine(day, clock)
        repeated_hour = (
            above.fold == 1
            and _is_ambiguous(above_local, zone)
            and _is_ambiguous(same_day, zone)
            and _utc(same_day.replace(tzinfo=zone, fold=0)) <= _utc(above)
        )
        if clock <= above_local.time() or repeated_hour:
            local = same_day
        else:
            local = datetime.combine(day - timedelta(days=1), clock)
            if check_gap and above_local - local > OUT_OF_ORDER_GAP:
                raise DumpError(
                    number,
                    f"entries out of order: {_clock_text(clock)} is later than the entry above"
                    f" ({_clock_text(above_local.time())}) by less than an hour; entries run"
                    " newest first",
                )
        folds = (1, 0) if _is_ambiguous(local, zone) else (0,)
        for fold in folds:  # the latest occurrence that is not after the entry above
            moment = _aware(number, local, zone, fold)
            if _utc(moment) <= _utc(above):
                return local, moment
        raise AssertionError("unreachable: an earlier wall-clock time is an earlier moment")

    def entry_headline(self, time_number: int) -> str:
        self.skip_blank()
        if self.at_end() or _CLOCK_LINE.match(self.peek()[1]):
            raise DumpError(time_number, "this live-feed entry has no headline")
        number, line = self.take()
        return _check_length(number, "entry headline", line, ENTRY_HEADLINE_MAX)

    def entry_body(self, time_number: int) -> tuple[str, ...]:
        paragraphs: list[str] = []
        current: list[str] = []
        while not self.at_end() and not _CLOCK_LINE.match(self.peek()[1]):
            _, line = self.take()
            if line:
                current.append(line)
            elif current:
                paragraphs.append(" ".join(current))
                current = []
        if current:
            paragraphs.append(" ".join(current))
        if not paragraphs:
            raise DumpError(time_number, "this live-feed entry has a headline but no text")
        return tuple(paragraphs)


def _is_ai_line(line: str) -> bool:
    return line.lower().rstrip(".") == AI_AUDIO_LINE


def _date_text(day: date) -> str:
    return f"{MONTH_NAMES[day.month - 1]} {day.day}, {day.year}"


def _clock_text(clock: time) -> str:
    return f"{(clock.hour - 1) % 12 + 1}:{clock.minute:02d} {'PM' if clock.hour >= 12 else 'AM'}"
