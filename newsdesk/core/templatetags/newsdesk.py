import json

from django import template
from django.conf import settings
from django.utils.html import format_html
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _

register = template.Library()

# Characters that could end a <script> element or start HTML inside it.
_JSON_SCRIPT_ESCAPES = {ord("<"): "\\u003C", ord(">"): "\\u003E", ord("&"): "\\u0026"}


@register.simple_tag
def json_ld(data):
    """A <script type="application/ld+json"> block, safe against "</script>" in the data.

    JSON-LD is data, not script, so the page's Content-Security-Policy does not block it.
    """
    payload = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
    return format_html(
        '<script type="application/ld+json">{}</script>',
        mark_safe(payload.translate(_JSON_SCRIPT_ESCAPES)),  # noqa: S308 - escaped above
    )


@register.simple_tag
def json_ld_text(text):
    """json_ld() for data already written as JSON text (a live page's, joined from its
    updates' stored entries): the same escaping, the same block."""
    return format_html(
        '<script type="application/ld+json">{}</script>',
        mark_safe(text.translate(_JSON_SCRIPT_ESCAPES)),  # noqa: S308 - escaped here
    )


@register.filter
def absolute(path):
    """The public URL of a site path, from NEWSDESK_BASE_URL (never from the Host header)."""
    if not path:
        return ""
    if path.startswith(("http://", "https://")):
        return path
    return settings.NEWSDESK_BASE_URL + path


@register.filter
def join_names(people):
    """ "A", "A and B", "A, B and C": names joined the way a byline reads."""
    names = [str(person) for person in people]
    if len(names) <= 1:
        return "".join(names)
    return _("%(names)s and %(last)s") % {"names": ", ".join(names[:-1]), "last": names[-1]}
