"""What the site shows, summarised as signatures the mirror compares from one run to the next.

For each URL the mirror knows how to reason about there are two short hashes:

- its *signature*: everything that shapes the page itself (the published revision, the
  article's narration and hero image, the articles a listing page holds, in order, the
  articles its "Related stories" can draw from, a live feed's sequence number...). A page
  whose signature changed is rendered again.
- its *card*: what other pages show of it (an article's headline, standfirst, image, date
  and reading time; an author's or topic's fields). When a card changes, every page that
  links to it is rendered again, because a link in a Newsdesk page always sits in something
  that shows the linked page.

A URL the state does not know (a feed, robots.txt, the home page) has no signature: the
builder fetches it again whenever anything changed. A URL the state recognises as one of its
kinds but cannot find (an unpublished article, a listing page past the end) has VANISHED.

Everything is read with a handful of bulk queries (no per-page query), so deciding what to
render costs milliseconds for ten thousand articles. What a listing holds is worked out
here with the listing's own queryset methods and page size; see ArticlePage.related_articles
for why RELATED_DEPTH is enough.
"""

from __future__ import annotations

import hashlib
import math
import re
from collections import defaultdict
from dataclasses import dataclass, field
from urllib.parse import unquote

from django.contrib.contenttypes.models import ContentType
from django.db.models import CharField
from django.db.models.functions import Cast
from django.urls import Resolver404, resolve
from wagtail.models import Page, Site

from newsdesk.articles.models import PAGE_SIZE, ArticleAuthor, ArticlePage, Author, Topic
from newsdesk.images.models import NewsImage
from newsdesk.live.models import FeedSequence, LiveUpdate
from newsdesk.narration.models import LiveBriefing, Narration

VANISHED = "vanished"
RELATED_DEPTH = 8
"""related_articles() shows 3, after up to 3 editors' picks and the article itself are left
out; the first 7 articles of each of its topics therefore decide what it shows."""
VANISHING_ROUTES = frozenset({"author", "topic", "live-update", "wagtail_serve"})
"""Routes whose URLs the state lists completely: a URL on them it does not list is gone."""
_UPDATE = re.compile(r"updates/(\d+)/")


def digest(*parts: object) -> str:
    return hashlib.blake2b(repr(parts).encode(), digest_size=10).hexdigest()


def text(field: str) -> Cast:
    """A date column read as text: it is only ever compared, and converting tens of thousands
    of values to aware datetimes would cost more than everything else here."""
    return Cast(field, output_field=CharField())


@dataclass
class LiveFeedState:
    signature: str
    updates: dict[int, str]
    """update id -> signature of its own page."""


@dataclass
class SiteState:
    signatures: dict[str, str | None] = field(default_factory=dict)
    cards: dict[str, str] = field(default_factory=dict)
    listings: set[str] = field(default_factory=set)
    """URLs whose ?page=N variants are the pages of one listing."""
    live_feeds: dict[str, LiveFeedState] = field(default_factory=dict)

    def signature(self, url: str) -> str | None:
        """The URL's signature, None when it is not known, VANISHED when it is gone."""
        if url in self.signatures:
            return self.signatures[url]
        path, _, query = url.partition("?")
        for feed_url, feed in self.live_feeds.items():
            if path == feed_url and query.startswith("older="):
                return feed.signature
            if path.startswith(feed_url) and (found := _UPDATE.fullmatch(path[len(feed_url) :])):
                return feed.updates.get(int(found.group(1)), VANISHED)
        if query:
            return VANISHED if path in self.listings else None
        return VANISHED if _route(path) in VANISHING_ROUTES else None

    def card(self, url: str) -> str | None:
        return self.cards.get(url)

    @property
    def digest(self) -> str:
        """One hash of everything: equal digests mean nothing the mirror shows has changed."""
        lines = [f"s {url} {signature}" for url, signature in self.signatures.items()]
        lines += [f"c {url} {card}" for url, card in self.cards.items()]
        for url, feed in self.live_feeds.items():
            lines += [f"u {url} {pk} {signature}" for pk, signature in feed.updates.items()]
        lines.sort()
        return hashlib.blake2b("\n".join(lines).encode(), digest_size=16).hexdigest()


def _route(path: str) -> str | None:
    try:
        return resolve(path).url_name
    except Resolver404:
        return None


def load() -> SiteState:
    """The state of the default site's public content, from the database."""
    state = SiteState()
    site = Site.objects.filter(is_default_site=True).select_related("root_page").first()
    if site is None:
        return state
    pages = _pages(site.root_page)
    articles = list(
        ArticlePage.objects.published()
        .annotate(first_published=text("first_published_at"), published=text("last_published_at"))
        .values_list(
            "pk",
            "url_path",
            "live_revision_id",
            "published",
            "title",
            "standfirst",
            "hero_image_id",
            "first_published",
            "reading_minutes",
            "live_feed_id",
        )
    )
    order = [row[0] for row in articles]
    by_author = _members(ArticleAuthor.objects.values_list("article_id", "author_id"), order)
    topics_through = ArticlePage.topics.through.objects.values_list("articlepage_id", "topic_id")
    by_topic = _members(topics_through, order)
    images = {
        row[0]: digest(*row)
        for row in NewsImage.objects.values_list(
            "pk",
            "file",
            "credit",
            "width",
            "height",
            "focal_point_x",
            "focal_point_y",
            "focal_point_width",
            "focal_point_height",
            "file_hash",
        )
    }
    article_urls = _articles(state, site.root_page.url_path, articles, images, by_topic)
    feed_urls = {pk: url for pk, (kind, url, _) in pages.items() if kind == "live.livefeedpage"}
    for _, url, page_signature in pages.values():
        state.signatures.setdefault(url, None)
        state.cards.setdefault(url, page_signature)
    news = pages_of_type(pages, "articles.newsindexpage")
    for url, page_signature in news:
        _listing(state, url, page_signature, order)
    _people(state, Author, by_author)
    _people(state, Topic, by_topic)
    _live(state, pages, images)
    for pk, *_, feed in articles:  # an article showing a live feed changes with the feed
        if feed in feed_urls and pk in article_urls:
            url = article_urls[pk]
            state.signatures[url] = digest(state.signatures[url], state.signatures[feed_urls[feed]])
    return state


def _pages(root: Page) -> dict[int, tuple[str, str, str]]:
    """pk -> (content type, URL, signature) for every live, public page of the site but the
    articles, which are read with what else the mirror needs of them."""
    rows = (
        Page.objects.live()
        .public()
        .filter(path__startswith=root.path)
        .exclude(content_type=ContentType.objects.get_for_model(ArticlePage))
        .annotate(published=text("last_published_at"))
        .values_list(
            "pk",
            "url_path",
            "content_type__app_label",
            "content_type__model",
            "live_revision_id",
            "published",
        )
    )
    prefix = len(root.url_path) - 1
    return {
        pk: (f"{app}.{model}", url_path[prefix:], digest(revision, published))
        for pk, url_path, app, model, revision, published in rows
    }


def pages_of_type(pages: dict[int, tuple[str, str, str]], kind: str) -> list[tuple[str, str]]:
    return [(url, signature) for page_kind, url, signature in pages.values() if page_kind == kind]


def _members(pairs, order: list[int]) -> dict[int, list[int]]:
    """owner -> the published articles it holds, in the listings' order, each once."""
    position = {article: number for number, article in enumerate(order)}
    members: dict[int, list[int]] = defaultdict(list)
    for article, owner in pairs:
        if article in position:
            members[owner].append(article)
    for owner, articles in members.items():
        members[owner] = sorted(set(articles), key=position.__getitem__)
    return members


def _articles(state, root_path, articles, images, by_topic) -> dict[int, str]:
    """Sets the articles' signatures and cards; returns pk -> URL."""
    topics_of = defaultdict(list)
    related = {}  # topic -> digest of the articles "Related stories" can draw from it
    for topic, members in by_topic.items():
        related[topic] = digest(members[:RELATED_DEPTH])
        for article in members:
            topics_of[article].append(topic)
    narration = {
        row[0]: digest(*row)
        for row in Narration.objects.annotate(changed=text("audio_updated_at")).values_list(
            "article_id", "audio", "duration", "changed"
        )
    }
    prefix = len(root_path) - 1
    urls = {}
    for pk, url_path, revision, published, title, standfirst, image, first, minutes, _ in articles:
        if not url_path.startswith(root_path):
            continue  # on another site
        url = urls[pk] = url_path[prefix:]
        page_signature = digest(revision, published)
        picture = images.get(image)
        heads = [related[topic] for topic in sorted(topics_of[pk])]
        state.signatures[url] = digest(page_signature, picture, narration.get(pk), heads)
        state.cards[url] = digest(title, standfirst, image, picture, first, minutes)
    return urls


def _listing(state: SiteState, url: str, signature: str, members: list[int]) -> None:
    state.listings.add(url)
    state.cards[url] = signature
    for number in range(1, max(1, math.ceil(len(members) / PAGE_SIZE)) + 1):
        held = members[(number - 1) * PAGE_SIZE : number * PAGE_SIZE]
        state.signatures[url if number == 1 else f"{url}?page={number}"] = digest(signature, held)


def _people(state: SiteState, model, members: dict[int, list[int]]) -> None:
    """Author or topic pages: the snippet's own fields, and the articles on each page."""
    for row in model.objects.values():
        instance = model(**row)
        url = unquote(instance.get_absolute_url())
        _listing(state, url, digest(sorted(row.items())), members.get(row["id"], []))


def _live(state: SiteState, pages: dict[int, tuple[str, str, str]], images: dict) -> None:
    feeds = {
        pk: (url, signature)
        for pk, (kind, url, signature) in pages.items()
        if kind == "live.livefeedpage"
    }
    sequences = dict(FeedSequence.objects.filter(feed_id__in=feeds).values_list("feed_id", "last"))
    briefings = {
        row[0]: digest(*row)
        for row in LiveBriefing.objects.annotate(changed=text("audio_updated_at")).values_list(
            "feed_id", "audio", "duration", "changed"
        )
    }
    updates: dict[int, dict[int, str]] = defaultdict(dict)
    visible = LiveUpdate.objects.filter(feed_id__in=feeds).visible()
    rows = visible.annotate(changed=text("updated_at"))
    # An update's picture is an image of the library: a new file or credit there changes
    # the update and the feed's pages without a new sequence number.
    pictures: dict[int, list[str]] = defaultdict(list)
    for pk, feed, sequence, updated, image in rows.values_list(
        "pk", "feed_id", "sequence", "changed", "image_id"
    ):
        picture = images.get(image) if image else None
        updates[feed][pk] = digest(sequence, updated, feeds[feed][1], picture)
        if picture:
            pictures[feed].append(picture)
    for pk, (url, page_signature) in feeds.items():
        signature = digest(
            page_signature, sequences.get(pk), briefings.get(pk), sorted(pictures[pk])
        )
        state.signatures[url] = signature
        state.live_feeds[url] = LiveFeedState(signature, updates[pk])
        pages.pop(pk, None)
