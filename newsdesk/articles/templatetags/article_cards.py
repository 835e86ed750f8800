"""An article's card, stored once for every listing that shows it, and the photos of a
listing's cards read together.

`card_kind` and `card_heading`: /news/ and topic pages show a card's headline as <h2>,
author pages, the front page and Related stories as <h3>. A card was stored per heading
level, so the mirror built each article's card twice (about 2.4 ms of CPU each, cold); it
is stored once per kind (with the standfirst, as listings show it, or without, as the front
page and Related stories do) with an <h2>, which `card_heading` turns into the level the
listing asks for. The card's text is escaped (our template), so its only </h2> is the
headline's.

`{% card_photos articles with_standfirst %}`: before a listing shows its cards, the photos
of those not stored, in two queries. A card built anew read its photo (one query) and then
its two renditions (Wagtail's rendition cache, or one more query), card by card: on a cold
listing page, twenty times. Here the photos of the cards that are not stored, and all their
renditions, are read at once and put on the articles, as `select_related` and
`prefetch_related` would; a card's part takes its tags from them (parts/store.py `attached`:
the image, and its renditions as the image's tag), as it did when the card loaded them
itself. A listing whose cards are all stored reads nothing here.
"""

from django import template
from django.db.models import Prefetch, prefetch_related_objects
from django.utils.safestring import mark_safe

from newsdesk.images.models import NewsImage
from newsdesk.parts import store

register = template.Library()

STORED_HEADING = ('<h2 class="card__title">', "</h2>")


@register.filter
def card_kind(with_standfirst):
    """The card's variant in its part key: what it shows, whatever its headline's level."""
    return "standfirst" if with_standfirst else "plain"


@register.filter(is_safe=True)
def card_heading(html, level):
    """The stored card (its headline an <h2>) with its headline at `level` (2, else 3)."""
    if level == 2:
        return html
    opening, closing = STORED_HEADING
    html = str(html).replace(opening, '<h3 class="card__title">', 1).replace(closing, "</h3>", 1)
    return mark_safe(html)  # noqa: S308 - our template's escaped HTML, one tag renamed


@register.simple_tag
def card_photos(articles, with_standfirst):
    if not store.in_request():
        return ""  # no stored parts: the cards are built without them, as before
    articles = list(articles)
    kind = card_kind(with_standfirst)
    missing = [
        article
        for article in articles
        if article.hero_image_id is not None
        and store.get(store.key("card", article, kind), store.subject("card", article)) is None
    ]
    if missing:
        photos = NewsImage.objects.prefetch_related("renditions")
        prefetch_related_objects(missing, Prefetch("hero_image", queryset=photos))
    return ""
