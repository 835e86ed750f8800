from django.conf import settings
from django.core.checks import Error, register

from newsdesk.narration.engine import VoiceError, check_voice, resolve_voice


@register()
def voice_is_usable(app_configs, **kwargs):
    """A missing or broken voice is reported when the site starts, not when audio is due."""
    try:
        check_voice(resolve_voice(settings.NEWSDESK_VOICE or None))
    except VoiceError as error:
        return [Error(str(error), id="newsdesk.E010")]
    return []
