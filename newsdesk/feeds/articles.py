"""Feed entries for articles: the site feed and the topic and author feeds.

An entry's id is `urn:uuid:<translation key>`: Wagtail gives every page a random UUID when it
is created and never changes it, so neither an edit, nor a new slug, nor a move to another
domain makes feed readers show a story twice.
"""

from collections import defaultdict
from datetime import datetime

from django.core.exceptions import ObjectDoesNotExist
from django.template.defaultfilters import linebreaksbr
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.html import format_html, format_html_join
from django.utils.text import Truncator
from django.utils.translation import gettext as _

from newsdesk.articles.models import ArticleAuthor, ArticleCorrection, ArticlePage
from newsdesk.core.plaintext import html_to_text
from newsdesk.core.prepared import PreparedRows
from newsdesk.core.restrictions import all_restrictions
from newsdesk.core.templatetags.newsdesk import absolute
from newsdesk.feeds import content
from newsdesk.feeds.entries import Attachment, Entry, Person
from newsdesk.feeds.html import clean
from newsdesk.parts import store as parts

FEED_LENGTH = 50
SUMMARY_WORDS = 60


def for_feed(ids):
    """The articles with these ids, in this order, with everything an entry shows loaded in a
    fixed number of queries.

    The ids come from `version_rows`, which has already sorted and cut the feed's queryset:
    sorting whole rows (bodies included) of thousands of articles to keep 50 is what made
    a topic feed slow on a large site.
    """
    found = (
        ArticlePage.objects.live()
        .filter(pk__in=ids)
        .order_by()  # put in the feed's order below
        .select_related("hero_image", "narration")
        .prefetch_related(content.rendition_prefetch("hero_image", content.HERO_SPEC))
    )
    by_id = {article.pk: article for article in found}
    return [by_id[pk] for pk in ids if pk in by_id]


def version_rows(queryset):
    """What changes whenever the feed's bytes would: which articles are in it (the first
    value of each row is the id), when each was last published, and when its narration last
    changed. One query, nothing rendered."""
    return list(queryset.prefetch_related(None).values_list(*VERSION_COLUMNS)[:FEED_LENGTH])


VERSION_COLUMNS = ("pk", "last_published_at", "narration__audio_updated_at")

SITE_VERSION_ROWS = PreparedRows(
    ArticlePage,
    lambda model: (
        model.objects.live()
        .order_by("-first_published_at", "-pk")
        .values_list(*VERSION_COLUMNS)[:FEED_LENGTH]
    ),
)
"""The site feed's version_rows, compiled once per process (core/prepared.py): the same
rows as version_rows(ArticlePage.objects.published()) when the site has no view
restriction (most have none); with one, the queryset excludes the private pages."""


def site_version_rows():
    if all_restrictions():
        return version_rows(ArticlePage.objects.published())
    return SITE_VERSION_ROWS.all()


def entry_id(article):
    return f"urn:uuid:{article.translation_key}"


def entries(articles, *, full):
    batch = Batch(articles, full=full)
    return [batch.entry(article) for article in articles]


class Batch:
    """What the entries of these articles show besides their own rows, read for all of them
    at once; `entry(article)` then builds one (feeds/stored.py keeps each one built)."""

    def __init__(self, articles, *, full):
        self.related = _Related([article.pk for article in articles], corrections=full)
        self.bodies = _StoredBodies(articles, self.related) if full else None
        self.urls = content.PageUrls()

    def entry(self, article):
        return _entry(article, self.bodies, self.related, self.urls)

    def shown(self, article):
        """The tags of what the article's entry shows that it holds only as values (names of
        its authors and topics), and the body's photos loaded for the whole batch."""
        tags = {f"articles.author:{pk}" for pk in self.related.author_ids[article.pk]}
        tags |= {f"articles.topic:{pk}" for pk in self.related.topic_ids[article.pk]}
        if self.bodies is not None and self.bodies.built is not None:
            tags |= {f"image:{image.pk}" for image in self.bodies.built.images_of(article)}
        return tags


class _StoredBodies:
    """Each entry's full text as a stored part (parts/store.py), read for the whole feed in
    one query; the bodies not stored are built together, as before, the first time one is
    missing. The same text for every feed and format an article appears in."""

    def __init__(self, articles, related):
        self.articles = articles
        self.related = related
        self.built = None
        parts.prefetch("feed-content", articles)

    def html(self, article, link, hero):
        shown = [article]

        def build():
            if self.built is None:
                self.built = _Bodies(self.articles, self.related)
            # The body's photos, loaded for the whole feed by the first build: this part's
            # tags must name them even when another entry's build loaded them.
            shown.extend(self.built.images_of(article))
            return self.built.html(article, link, hero)

        return parts.use(
            parts.key("feed-content", article),
            parts.subject("feed-content", article),
            build,
            objects=shown,
        )


def _entry(article, bodies, related, urls):
    link = urls.absolute(article)
    published = timezone.localtime(article.first_published_at)
    hero = None
    if article.hero_image:
        hero = content.rendition(
            article.hero_image, content.HERO_SPEC, alt=article.hero_alt, credit=article.credit
        )
    return Entry(
        id=entry_id(article),
        title=article.title,
        link=link,
        published=published,
        updated=updated_at(article, published),
        summary=summary(article),
        content_html=bodies.html(article, link, hero) if bodies else "",
        authors=related.bylines[article.pk],
        categories=related.topics[article.pk],
        image=hero,
        attachments=_narration(article),
    )


def updated_at(article, published):
    """The last change the newsroom calls substantive: typo fixes do not re-surface a story."""
    if article.last_substantive_update and article.last_substantive_update > published:
        return timezone.localtime(article.last_substantive_update)
    return published


def summary(article):
    """The standfirst; failing that, the search description or the opening words."""
    text = article.standfirst or article.search_description
    if not text:
        text = " ".join(_paragraph_text(block) for block in _blocks(article)).strip()
    return Truncator(" ".join(text.split())).words(SUMMARY_WORDS)


def _paragraph_text(block):
    return html_to_text(_rich_text_source(block)) if block["type"] == "paragraph" else ""


def _blocks(article):
    return list(article.body.raw_data)


def _rich_text_source(block):
    value = block["value"]
    return value.get("text", "") if isinstance(value, dict) else str(value)


def _narration(article):
    try:
        narration = article.narration
    except ObjectDoesNotExist:
        return []
    if not narration.has_audio:
        return []
    return [
        Attachment(
            url=absolute(narration.audio_url),
            mime_type="audio/mpeg",
            size=narration.audio_bytes,
            duration=narration.duration,
            title=_("Listen to this article (AI-narrated audio)"),
        )
    ]


class _Related:
    """Bylines, topics and corrections of many articles, as plain values: one query each.

    (Model instances of these would cost more to build than the entries they go into.)
    """

    def __init__(self, ids, *, corrections):
        self.bylines = defaultdict(list)
        self.author_ids = defaultdict(list)
        people = {}
        rows = (
            ArticleAuthor.objects.filter(article_id__in=ids)
            .order_by("article_id", "sort_order", "pk")
            .values_list("article_id", "author__name", "author__slug", "author_id")
        )
        for article_id, name, slug, author_id in rows:
            if slug not in people:
                people[slug] = Person(name, absolute(reverse("author", kwargs={"slug": slug})))
            self.bylines[article_id].append(people[slug])
            self.author_ids[article_id].append(author_id)
        self.topics = defaultdict(list)
        self.topic_ids = defaultdict(list)
        rows = (
            ArticlePage.topics.through.objects.filter(articlepage_id__in=ids)
            .order_by("topic__name", "topic_id")
            .values_list("articlepage_id", "topic__name", "topic_id")
        )
        for article_id, name, topic_id in rows:
            self.topics[article_id].append(name)
            self.topic_ids[article_id].append(topic_id)
        self.corrections = defaultdict(list)
        if corrections:
            rows = (
                ArticleCorrection.objects.filter(article_id__in=ids)
                .order_by("article_id", "sort_order", "pk")
                .values_list("article_id", "published_at", "text")
            )
            for article_id, published_at, text in rows:
                self.corrections[article_id].append((published_at, text))


class _Bodies:
    """The full text of many articles, with their links and images looked up together."""

    def __init__(self, articles, related):
        self.related = related
        self.blocks = {article.pk: _blocks(article) for article in articles}
        sources, owners, image_ids = [], [], []
        for pk, blocks in self.blocks.items():
            for block in blocks:
                if block["type"] == "paragraph":
                    sources.append(_rich_text_source(block))
                    owners.append(pk)
                elif block["type"] == "image" and block["value"].get("image"):
                    image_ids.append(block["value"]["image"])
        # Each article's own paragraphs: html() is called only for the entries whose stored
        # part is missing, in any order, so one stream for all of them in the batch's order
        # gave an entry the paragraphs of the articles before it (a feed with some entries
        # stored, e.g. after an edit, or two processes building a feed's entries at once).
        self.rich_texts = defaultdict(list)
        for pk, text in zip(owners, content.expand_rich_texts(sources), strict=True):
            self.rich_texts[pk].append(text)
        self.images = content.images_with_renditions(image_ids, content.INLINE_SPEC)

    def html(self, article, link, hero):
        parts = [content.figure(hero, article.hero_caption)] if hero else []
        texts = iter(self.rich_texts[article.pk])
        parts += [self._block(block, texts) for block in self.blocks[article.pk]]
        parts.append(_corrections(self.related.corrections[article.pk]))
        return clean("\n".join(part for part in parts if part), base=link)

    def images_of(self, article):
        wanted = [
            block["value"].get("image")
            for block in self.blocks[article.pk]
            if block["type"] == "image" and isinstance(block["value"], dict)
        ]
        return [self.images[pk] for pk in wanted if pk in self.images]

    def _block(self, block, texts):
        kind, value = block["type"], block["value"]
        if kind == "paragraph":
            return next(texts)
        if kind == "heading":
            level = "h3" if value.get("level") == "h3" else "h2"
            return format_html("<{}>{}</{}>", level, value.get("text", ""), level)
        if kind == "quote":
            return _quote(value)
        if kind == "image":
            return self._image(value)
        if kind == "embed":
            url = value.get("embed") or ""
            return format_html('<p><a href="{}">{}</a></p>', url, value.get("caption") or url)
        return ""

    def _image(self, value):
        image = self.images.get(value.get("image"))
        if image is None:
            return ""
        credit = value.get("credit") or image.credit
        made = content.rendition(image, content.INLINE_SPEC, value.get("alt", ""), credit)
        return content.figure(made, value.get("caption", ""))


def _quote(value):
    attribution = value.get("attribution")
    return format_html(
        "<figure><blockquote><p>{}</p></blockquote>{}</figure>",
        linebreaksbr(value.get("text", ""), autoescape=True),
        format_html("<figcaption>{}</figcaption>", attribution) if attribution else "",
    )


def _corrections(corrections):
    if not corrections:
        return ""
    items = format_html_join(
        "",
        "<li>{}: {}</li>",
        ((_local(published_at), text) for published_at, text in corrections),
    )
    return format_html("<h2>{}</h2><ul>{}</ul>", _("Corrections"), items)


def _local(moment: datetime):
    return date_format(timezone.localtime(moment), "DATETIME_FORMAT")
