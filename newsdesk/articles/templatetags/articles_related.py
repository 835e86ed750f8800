"""{% related_stories page %}: an article's "Related stories" block (articles/related.py)."""

from django import template

from newsdesk.articles import related

register = template.Library()


@register.simple_tag(takes_context=True)
def related_stories(context, page):
    return related.block(context.get("request"), page)
