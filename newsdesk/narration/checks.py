from django.conf import settings
from django.core.checks import Warning, register

from newsdesk.narration.engine import VoiceError, check_voice, resolve_voice


@register()
def voice_is_usable(app_configs, **kwargs):
    """A missing or broken voice is reported when the site starts, not when audio is due.

    A warning, not an error: the site must still serve and publish without its narrator.
    """
    try:
        check_voice(resolve_voice(settings.NEWSDESK_VOICE or None))
    except VoiceError as error:
        return [
            Warning(
                f"Narration is off: {error}",
                hint="Articles publish without audio until the voice is fixed.",
                id="newsdesk.W010",
            )
        ]
    return []
