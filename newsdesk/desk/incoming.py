"""The desk's Incoming column: items from sources (newsdesk/sources/), and what the desk does
with them: use one in a live update, start an article from one, dismiss one.

Plain functions over the models, so the views stay thin and the stream
(desk/incoming_stream.py) renders the same card the page does.
"""

from django.db import transaction
from django.db.models import Prefetch, Q
from django.utils import timezone
from django.utils.html import escape
from django.utils.text import slugify
from django.utils.translation import gettext as _

from newsdesk.articles.models import ArticlePage, NewsIndexPage
from newsdesk.desk.forms import body_text
from newsdesk.live.models import LiveUpdate
from newsdesk.sources.models import AlertRule, Item, ItemUse, ItemVersion, Kind, matching_alerts

LISTED = 50
EXCERPT_CHARACTERS = 400


def incoming_items(source_id=None, text="", limit=LISTED):
    """The newest items not dismissed (a changed item counts as new again), each with
    `latest` (its latest version) and its uses, filtered by source and by text."""
    items = Item.objects.incoming()
    if source_id:
        items = items.filter(source_id=source_id)
    text = text.strip()
    if text:
        # The latest version's text is what the card shows; earlier versions' words match too,
        # which errs on the side of showing an item.
        items = items.filter(Q(headline__icontains=text) | Q(versions__body__icontains=text))
        items = items.distinct()
    items = items.order_by("-updated_at", "-pk").prefetch_related(
        Prefetch("versions", ItemVersion.objects.order_by("-number"), to_attr="newest_first"),
        Prefetch(
            "uses",
            ItemUse.objects.select_related("user", "update__feed", "article"),
            to_attr="use_list",
        ),
    )[:limit]
    found = []
    for item in items:
        if item.newest_first:
            item.latest = item.newest_first[0]
            found.append(item)
    return found


def card_context(item, version, rules, uses=None):
    """What desk/incoming_item.html needs for one item at one version."""
    text = body_text(version.body)[0]
    if len(text) > EXCERPT_CHARACTERS:
        text = text[:EXCERPT_CHARACTERS].rsplit(" ", 1)[0] + "…"
    return {
        "item": item,
        "version": version,
        "excerpt": text,
        "when": version.source_time or item.first_seen_at,
        "alerts": matching_alerts(rules, version.headline, body_text(version.body)[0]),
        "uses": uses
        if uses is not None
        else list(item.uses.select_related("user", "update__feed")),
    }


def cards(items):
    rules = list(AlertRule.objects.filter(enabled=True))
    return [card_context(item, item.latest, rules, uses=item.use_list) for item in items]


def latest_version(item):
    return item.versions.order_by("-number").first()


def channel_for(source):
    return "Telegram" if source.kind == Kind.TELEGRAM else ""


def update_initial(item, version):
    """The desk form's fields for a live update taken from this version."""
    return {
        "headline": version.headline[: LiveUpdate._meta.get_field("headline").max_length],
        "body": body_text(version.body)[0],
        "source_name": item.source.name[: LiveUpdate._meta.get_field("source_name").max_length],
        "source_channel": channel_for(item.source),
        "source_url": version.link,
        "verification": item.source.verification,
    }


def record_use(item, version, user, update=None, article=None):
    return ItemUse.objects.create(
        item=item, version=version, user=user, update=update, article=article
    )


def dismiss(item, user):
    """Hide the item from Incoming for everyone. True if it was not dismissed already."""
    return bool(
        Item.objects.filter(pk=item.pk, dismissed_at__isnull=True).update(
            dismissed_at=timezone.now(), dismissed_by=user
        )
    )


def attribution_html(item, version):
    """ "Source: Name (link), 14:05" as a paragraph of the article's body."""
    name = escape(item.source.name)
    if version.link:
        name = f'<a href="{escape(version.link)}">{name}</a>'
    when = version.source_time or item.first_seen_at
    stamp = timezone.localtime(when).strftime("%Y-%m-%d %H:%M")
    return "<p>" + _("Source: %(name)s, %(time)s") % {"name": name, "time": stamp} + "</p>"


def start_article(item, version, user):
    """A draft ArticlePage under the news index, with the item's text and its attribution."""
    news = NewsIndexPage.objects.first()
    if news is None:
        raise LookupError(_("There is no news section (/news/) to put an article in."))
    base = slugify(version.headline, allow_unicode=True)[:70].strip("-") or "article"
    taken = set(news.get_children().filter(slug__startswith=base).values_list("slug", flat=True))
    slug, number = base, 1
    while slug in taken:
        number += 1
        slug = f"{base}-{number}"
    body = [("paragraph", version.body)] if version.body else []
    body.append(("paragraph", attribution_html(item, version)))
    page = ArticlePage(
        title=version.headline[:255] or item.source.name,
        slug=slug,
        body=body,
        live=False,
        owner=user,
    )
    with transaction.atomic():
        news.add_child(instance=page)
        page.save_revision(user=user)
        record_use(item, version, user, article=page)
    return page


def permissions(user):
    news = NewsIndexPage.objects.first()
    return {
        "can_use": user.has_perm("live.add_liveupdate"),
        "can_article": bool(news and news.permissions_for_user(user).can_add_subpage()),
    }
