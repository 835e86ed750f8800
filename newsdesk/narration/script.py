"""What the narrator reads, as a list of keyed parts: the input to synthesis.

An article is read as: headline, "By <authors>.", the body blocks that are read aloud (not
images, embeds, captions or blocks the editor excluded), then a spoken AI disclosure. Each
part keeps a key (the body block's id) so the player can highlight the paragraph being read and
start playing from a paragraph a reader clicks.
"""

import hashlib
import json
import re
from dataclasses import dataclass

from django.utils import timezone
from django.utils.formats import time_format
from django.utils.translation import gettext as _

from newsdesk.articles.blocks import READ_ALOUD_BLOCKS
from newsdesk.core.plaintext import html_to_text
from newsdesk.narration.audio import PAUSE_HEADING, PAUSE_PARAGRAPH, PAUSE_QUOTE, Segment
from newsdesk.narration.speech import speech_text

SPOKEN_DISCLOSURE = "This audio was created with AI assistance."
BRIEFING_UPDATES = 8
"""How many of the latest key events the rolling live briefing reads."""

_SPACE = re.compile(r"\s+")
_ENDS_SENTENCE = re.compile(r"[.!?:;…][\"'”’)]*$")


@dataclass(frozen=True)
class Part:
    key: str
    segment: Segment


def spoken_sentence(text):
    """Plain text that ends as a sentence, so list items and headings get their own cadence."""
    text = _SPACE.sub(" ", text).strip()
    if text and not _ENDS_SENTENCE.search(text):
        text += "."
    return text


def rich_text_to_plain(markup):
    """Text of a rich-text fragment, each paragraph and list item as its own sentence."""
    return " ".join(spoken_sentence(line) for line in html_to_text(markup).split("\n"))


def join_names(names):
    if len(names) <= 1:
        return "".join(names)
    return _("%(names)s and %(last)s") % {"names": ", ".join(names[:-1]), "last": names[-1]}


def _part(key, text, lexicon, pause=PAUSE_PARAGRAPH):
    spoken = speech_text(spoken_sentence(text), lexicon)
    return Part(key, Segment(text=spoken, pause_after=pause)) if spoken.strip() else None


def article_script(article, lexicon):
    authors = [author.name for author in article.authors]
    parts = [_part("headline", article.title, lexicon, PAUSE_HEADING)]
    if authors:
        parts.append(_part("byline", f"By {join_names(authors)}.", lexicon, PAUSE_HEADING))
    parts.extend(body_parts(article.body, lexicon))
    parts.append(_part("disclosure", SPOKEN_DISCLOSURE, lexicon))
    return [part for part in parts if part is not None]


def body_parts(body, lexicon):
    parts = []
    for block in body:
        if block.block_type not in READ_ALOUD_BLOCKS or block.value.get("exclude_from_audio"):
            continue
        if block.block_type == "paragraph":
            part = _part(block.id, rich_text_to_plain(block.value["text"].source), lexicon)
        elif block.block_type == "heading":
            part = _part(block.id, block.value["text"], lexicon, PAUSE_HEADING)
        else:
            part = _part(block.id, block.value["text"], lexicon, PAUSE_QUOTE)
            if parts:  # a breath before the quotation too, not only after it
                before = parts[-1]
                parts[-1] = Part(before.key, Segment(before.segment.text, PAUSE_QUOTE))
        if part is not None:
            parts.append(part)
    return parts


def briefing_script(feed, updates, lexicon):
    """The live briefing: the latest key events, oldest first, each with its local time."""
    # "As of" the newest event, not the clock: the same events must give the same script.
    latest = time_format(timezone.localtime(updates[-1].published_at), "TIME_FORMAT")
    intro = f"{feed.title}. The latest key events, as of {latest}."
    parts = [_part("intro", intro, lexicon, PAUSE_HEADING)]
    for update in updates:
        when = time_format(timezone.localtime(update.published_at), "TIME_FORMAT")
        parts.append(_part(f"update-{update.pk}-time", f"At {when}.", lexicon, 0.2))
        parts.append(_part(f"update-{update.pk}", update.headline, lexicon, 0.3))
        parts.append(_part(f"update-{update.pk}-body", rich_text_to_plain(update.body), lexicon))
    parts.append(_part("disclosure", SPOKEN_DISCLOSURE, lexicon))
    return [part for part in parts if part is not None]


def script_hash(parts, voice_identity, length_scale):
    """Changes exactly when the audio would: the words, the pauses, the voice or the pace."""
    spec = {
        "parts": [[p.key, p.segment.text, p.segment.pause_after] for p in parts],
        "voice": voice_identity,
        "length_scale": round(length_scale, 4),
    }
    return hashlib.sha256(json.dumps(spec, ensure_ascii=False).encode()).hexdigest()
