"""Wagtail's view restrictions (private pages), read once per page served instead of per use.

Wagtail reads PageViewRestriction on every use: the check before serving a page (two queries:
the page's ancestors, then their restrictions) and every `.public()` queryset (one query each:
an article's related stories, its live feed, the home page's two lists). Almost every newsroom
has no private page at all, so an uncached render spent three or four queries learning that
the table is empty.

Here they are read once per page served, by the first use, and kept while that page is
checked and its context built (`serving()`, opened by the outermost `on_serve_page` hook in
core/wagtail_hooks.py, around Wagtail's own check): a restriction added in any process is
seen by the next page served, as before, so nothing is served publicly once it is private.
Saving or deleting a restriction also drops what was read. Outside a page being served (other
views, commands, the worker, tests calling querysets) nothing is kept: each use reads anew.

- `PublicPageQuerySet.public()` excludes the same subtrees as Wagtail's, from that one read.
- `RestrictionsOnceMixin.get_view_restrictions()` answers "none" without a query when the
  site has no restriction; when it has one, Wagtail's own check runs (aliases included).
"""

import contextvars
from contextlib import contextmanager

from django.db.models import Q
from django.db.models.signals import post_delete, post_save
from wagtail.models import PageQuerySet, PageViewRestriction

from newsdesk.core.prepared import PreparedQuery

_serving: contextvars.ContextVar[dict | None] = contextvars.ContextVar(
    "newsdesk_view_restrictions", default=None
)


@contextmanager
def serving():
    """Read the restrictions at most once inside this block (one page served)."""
    token = _serving.set({})
    try:
        yield
    finally:
        _serving.reset(token)


# Most sites have none: asking whether there is any costs a prepared query (core/prepared.py,
# no SQL compiled per request); only a site that has some reads them with their pages.
ANY_RESTRICTION = PreparedQuery(PageViewRestriction, lambda model: model.objects.order_by()[:1])


def _read_restrictions():
    if not ANY_RESTRICTION.all():
        return []
    return list(PageViewRestriction.objects.select_related("page"))


def all_restrictions():
    """Every view restriction with its page: read once while a page is served, every time
    otherwise."""
    memo = _serving.get()
    if memo is None:
        return _read_restrictions()
    if "restrictions" not in memo:
        memo["restrictions"] = _read_restrictions()
    return memo["restrictions"]


class PublicPageQuerySet(PageQuerySet):
    def private_q(self):
        q = Q()
        for restriction in all_restrictions():
            q |= self.descendant_of_q(restriction.page, inclusive=True)
        return q if q else Q(pk__in=[])


class RestrictionsOnceMixin:
    """For page models: no restriction query before serving when the site has none."""

    def get_view_restrictions(self):
        if not all_restrictions():
            return PageViewRestriction.objects.none()
        return super().get_view_restrictions()


def is_public(page):
    """What `.public()` says of one page already loaded, without a query of its own."""
    return not any(page.path.startswith(r.page.path) for r in all_restrictions())


def _changed(**kwargs):
    memo = _serving.get()
    if memo is not None:
        memo.clear()


def connect():
    for signal in (post_save, post_delete):
        signal.connect(_changed, sender=PageViewRestriction, dispatch_uid="newsdesk-restrictions")
