"""A page of a listing (/news/, a topic's, an author's) as one stored part.

A listing's miss used to count its articles (the paginator's COUNT over a join), read one
page of them at an OFFSET and join twenty stored cards: five or six queries, most of the
render (docs/caching.md "Listings and the front page"). What one page shows changes only when
an article joins or leaves the list, or a card's article, topic, author or photo changes: the
same changes that drop the cached page. So the page's content (its header and its cards with
the pagination) is kept as one part (parts/store.py), keyed by the list and the page number,
and tagged by everything it loaded plus the list's tag (`articles`, `topic-list:<id>`,
`author-list:<id>`), which every publish and unpublish of an article in the list deletes.

Only a page that exists is kept: a number past the end (or not a number) shows the nearest
page, as before, built each time, so made-up numbers store nothing.
"""

from dataclasses import dataclass

from django.template.loader import render_to_string
from django.utils.safestring import mark_safe

from newsdesk.articles.models import paginate
from newsdesk.parts import store


@dataclass
class Listing:
    """What a listing's template shows: the page number (for the canonical link) and the
    content's HTML."""

    number: int
    html: str


def requested_page(request):
    """The page number asked for (?page=, 1 without one), or None when it is not a number
    from 1 up (the paginator then shows the nearest page)."""
    raw = request.GET.get("page")
    if raw is None:
        return 1
    try:
        number = int(raw)
    except ValueError:
        return None
    return number if number >= 1 else None


def listing(request, owner, articles, template, context, list_tag):
    """The page of `articles()` (a queryset: made only when the page is built, as even making
    one reads the view restrictions) the request asks for, rendered with
    `template` and `context` (plus `articles`: the paginator's page); stored as a part of
    `owner` (the news index page, a topic, an author) tagged with `list_tag`."""

    def build():
        page = paginate(request, articles())
        html = render_to_string(template, {**context, "articles": page}, request)
        return page.number, html

    number = requested_page(request)
    if number is None or not store.usable(request):
        return Listing(*build())
    part_key = store.key("listing", owner, number)
    part_subject = store.subject("listing", owner)
    html = store.stored(part_key, part_subject)
    if html is not None:
        return Listing(number, mark_safe(html))  # noqa: S308 - HTML a template rendered
    (built, html), tags, started = store.recorded_build(build, [owner], [list_tag])
    if built == number:
        store.keep(part_key, part_subject, html, tags, started)
    return Listing(built, html)
