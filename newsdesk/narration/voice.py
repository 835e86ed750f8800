"""The configured voice and pace, loaded once per process."""

import threading
from pathlib import Path

from django.conf import settings

from newsdesk.narration.engine import Voice, length_scale_for, resolve_voice

_voice = None
_lock = threading.Lock()


def current_voice():
    """The Piper voice NEWSDESK_VOICE names (the bundled one by default). VoiceError if unusable."""
    global _voice
    with _lock:
        path = resolve_voice(settings.NEWSDESK_VOICE or None)
        if _voice is None or _voice.path != path:
            _voice = Voice(path)
        return _voice


def length_scale():
    return length_scale_for(settings.NEWSDESK_NARRATION_WPM)


def cache_dir():
    """The paragraph synthesis cache: per host even when media is in a bucket (a cache)."""
    return Path(settings.DATA_DIR) / "cache" / "narration"
