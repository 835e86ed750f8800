"""{% card_photos articles heading_level with_standfirst %}: before a listing shows its cards,
the photos of those not stored, in two queries.

A card built anew read its photo (one query) and then its two renditions (Wagtail's
rendition cache, or one more query), card by card: on a cold listing page, twenty times.
Here the photos of the cards that are not stored, and all their renditions, are read at
once and put on the articles, as `select_related` and `prefetch_related` would; a card's
part takes its tags from them (parts/store.py `attached`: the image, and its renditions as
the image's tag), as it did when the card loaded them itself. A listing whose cards are all
stored reads nothing here.
"""

from django import template
from django.db.models import Prefetch, prefetch_related_objects

from newsdesk.images.models import NewsImage
from newsdesk.parts import store

register = template.Library()


@register.simple_tag
def card_photos(articles, heading_level, with_standfirst):
    if not store.in_request():
        return ""  # no stored parts: the cards are built without them, as before
    articles = list(articles)
    missing = [
        article
        for article in articles
        if article.hero_image_id is not None
        and store.get(
            store.key("card", article, heading_level, with_standfirst),
            store.subject("card", article),
        )
        is None
    ]
    if missing:
        photos = NewsImage.objects.prefetch_related("renditions")
        prefetch_related_objects(missing, Prefetch("hero_image", queryset=photos))
    return ""
