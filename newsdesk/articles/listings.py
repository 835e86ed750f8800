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

A page is built from the list's ordered ids, read in one query and kept in the process for
the current invalidation count (Generation, the number every change's invalidation counts up
in its own transaction, which every part's store checks): a new article drops every page of
its lists at once, and a mirror refresh then rebuilt each one with a COUNT and a deep OFFSET
over the whole list (5 to 34 ms a page at 10,000 articles). Now page N is a slice of the
ids, its count their number, and its twenty cards come from one query by id and their stored
parts. Any change anywhere counts the generation up, so ids kept under an older count are
never read again, in this process or another (each reads the count from the database).
Ids are kept only outside a transaction, where the count read is a committed one: inside
one (a change being made, a test) a rolled-back count could come back with other rows.
"""

from dataclasses import dataclass

from django.core.paginator import Paginator
from django.db import connection
from django.template.loader import render_to_string
from django.utils.safestring import mark_safe

from newsdesk.articles.models import PAGE_SIZE, paginate
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

    def build(page):
        html = render_to_string(template, {**context, "articles": page}, request)
        return page.number, html

    number = requested_page(request)
    if number is None or not store.usable(request):
        return Listing(*build(paginate(request, articles())))
    part_key = store.key("listing", owner, number)
    part_subject = store.subject("listing", owner)
    html = store.stored(part_key, part_subject)
    if html is not None:
        return Listing(number, mark_safe(html))  # noqa: S308 - HTML a template rendered
    started = store.current_generation()
    (built, html), tags, _ = store.recorded_build(
        lambda: build(page_of_ids(request, articles, part_subject, started)),
        [owner],
        [list_tag],
        started=started,
    )
    if built == number:
        store.keep(part_key, part_subject, html, tags, started)
    return Listing(built, html)


def page_of_ids(request, articles, list_key, generation):
    """The paginator's page the request asks for, its objects the page's articles (what
    `articles()` loads, in the list's order), counted and sliced from the list's ids."""
    page = Paginator(list_ids(articles, list_key, generation), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    ids = list(page.object_list)
    loaded = articles().filter(pk__in=ids).in_bulk() if ids else {}
    page.object_list = [loaded[pk] for pk in ids if pk in loaded]
    return page


_kept: tuple[int, dict] | None = None
"""(generation, {list: ids}): one generation's lists, replaced whole when the count moves."""


def list_ids(articles, list_key, generation):
    """The ids of `articles()` in its order (ties broken as the queryset breaks them), kept
    for `generation` when it is a committed count (see the module's docstring)."""
    global _kept  # one process-wide memo, replaced whole: no lock needed
    keep = generation is not None and not connection.in_atomic_block
    kept = _kept
    if keep and kept is not None and kept[0] == generation and list_key in kept[1]:
        return kept[1][list_key]
    ids = [row[0] for row in articles().values_list("pk", "first_published_at")]
    if keep:
        if kept is None or kept[0] != generation:
            kept = _kept = (generation, {})
        kept[1][list_key] = ids
    return ids
