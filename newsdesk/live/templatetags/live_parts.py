"""{% live_update update 3 %}: one live update's element, stored per version (live/parts.py)."""

from django import template
from django.utils.safestring import mark_safe

from newsdesk.live import parts

register = template.Library()


@register.simple_tag(takes_context=True)
def live_update(context, update, level=3):
    """The update's <article>, as live/update.html renders it, kept per version."""

    def build():
        with context.push(update=update, headline_level=level):
            return context.template.engine.get_template("live/update.html").render(context)

    html = parts.element(context.get("request"), update, level, build)
    return mark_safe(html)  # noqa: S308 - HTML the template rendered and escaped


@register.simple_tag(takes_context=True)
def live_page_update(context, update):
    """The update's element on its feed page, read or built with the page's other parts in
    LiveFeedPage.get_context (`elements`, by pk)."""
    return mark_safe(context["elements"][update.pk])  # noqa: S308 - rendered and escaped


class KeyEventsNode(template.Node):
    def __init__(self, nodelist):
        self.nodelist = nodelist

    def render(self, context):
        html = parts.key_events(
            context.get("request"),
            context["page"],
            context.get("key_events") or [],
            lambda: self.nodelist.render(context),
        )
        return mark_safe(html)  # noqa: S308 - HTML the template rendered and escaped


@register.tag("live_key_events")
def do_live_key_events(parser, token):
    """{% live_key_events %}...{% endlive_key_events %}: the feed page's key events list
    (`key_events` in the context), stored per version of the list (live/parts.py)."""
    nodelist = parser.parse(("endlive_key_events",))
    parser.delete_first_token()
    return KeyEventsNode(nodelist)
