"""The listen player: `{% narration_player page %}` on articles, `{% live_briefing_player page %}`
on live feeds, and `{% narration_assets page %}` in <head> for the stylesheet and script.

Each renders nothing until the page has audio: no player, no disclosure, no extra download.
"""

import math
from dataclasses import dataclass

from django import template
from django.core.exceptions import ObjectDoesNotExist
from django.templatetags.static import static
from django.utils.html import format_html

register = template.Library()

SPEEDS = ("0.75", "1", "1.25", "1.5", "1.75", "2")
AUDIO_RELATIONS = ("narration", "briefing")
"""Where a page keeps its audio row: ArticlePage.narration, LiveFeedPage.briefing."""


@dataclass(frozen=True)
class PlayerAudio:
    """What the player needs from a Narration or LiveBriefing row that has audio."""

    url: str
    duration: float
    timings: list
    updated_at: object

    @property
    def read_keys(self):
        """The body block ids the audio reads, for marking them in the page."""
        return frozenset(timing["key"] for timing in self.timings)

    @property
    def minutes(self):
        return max(1, round(self.duration / 60))

    @property
    def seconds(self):
        """The duration as the player's data attribute wants it: never localized."""
        return f"{self.duration:.3f}"

    @property
    def clock(self):
        """The duration as the player shows it: 4:12, or 1:02:03 past the hour."""
        return clock(self.duration)


def clock(seconds):
    whole = int(math.floor(seconds))
    hours, rest = divmod(whole, 3600)
    minutes, seconds = divmod(rest, 60)
    return f"{hours}:{minutes:02}:{seconds:02}" if hours else f"{minutes}:{seconds:02}"


def audio_of(page):
    """The page's audio (article narration or live briefing), or None while there is none.

    The reverse one-to-one raises when no row exists yet; that is the common case for new
    pages, so it is caught here rather than in every template.
    """
    for relation in AUDIO_RELATIONS:
        if not hasattr(type(page), relation):
            continue
        try:
            row = getattr(page, relation)
        except ObjectDoesNotExist:
            return None
        if not row.has_audio or not row.duration:
            return None
        return PlayerAudio(
            url=row.audio_url,
            duration=row.duration,
            timings=list(row.timings or []),
            updated_at=row.audio_updated_at,
        )
    return None


@register.simple_tag
def narration_audio(page):
    """`{% narration_audio page as audio %}`: the audio, to mark read-aloud blocks with."""
    return audio_of(page)


@register.simple_tag
def narration_assets(page):
    """The player's stylesheet and script, only on pages that have a player."""
    if audio_of(page) is None:
        return ""
    return format_html(
        '<link rel="stylesheet" href="{}">\n  <script type="module" src="{}"></script>',
        static("narration/narration.css"),
        static("narration/player.js"),
    )


def _player_context(page, audio, **options):
    return {
        "audio": audio,
        "page": page,
        "speeds": SPEEDS,
        "player_id": f"listen-{page.pk}",
        "timings_id": f"listen-{page.pk}-timings",
        "storage_key": f"newsdesk:listen:{page.pk}",
        **options,
    }


@register.inclusion_tag("narration/player.html")
def narration_player(page):
    audio = audio_of(page)
    if audio is None:
        return {"audio": None}
    return _player_context(page, audio, kind="article", highlight="data-audio-key")


@register.inclusion_tag("narration/player.html")
def live_briefing_player(page):
    audio = audio_of(page)
    if audio is None:
        return {"audio": None}
    return _player_context(page, audio, kind="briefing", highlight="data-key-for")
