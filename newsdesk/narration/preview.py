"""A word or phrase as the narrator says it, for the lexicon entry's preview in the admin."""

import base64

from newsdesk.narration import audio
from newsdesk.narration.speech import speech_text
from newsdesk.narration.voice import cache_dir, current_voice, length_scale


def listen(text, lexicon=None):
    """A short MP3 of `text` as the narrator reads it, as a data: URL for the preview."""
    voice = current_voice()
    spoken = speech_text(text, lexicon)
    rendering = audio.render(
        [audio.Segment(spoken, pause_after=0.2)], voice, length_scale(), cache_dir()
    )
    return "data:audio/mpeg;base64," + base64.b64encode(rendering.mp3).decode()
