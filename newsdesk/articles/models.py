"""Authors, topics and articles: what a reader of a Newsdesk site reads."""

import logging

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db import models
from django.urls import reverse
from django.utils.functional import SimpleLazyObject, cached_property
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from modelcluster.fields import ParentalKey, ParentalManyToManyField
from wagtail.admin.panels import FieldPanel, FieldRowPanel, MultiFieldPanel, TitleFieldPanel
from wagtail.fields import StreamField
from wagtail.models import Orderable, Page, PageManager
from wagtail.search import index

from newsdesk.articles.blocks import ArticleBodyBlock, readable_text
from newsdesk.articles.reading import count_words, reading_minutes
from newsdesk.articles.structured_data import news_article
from newsdesk.core.forms import NewsdeskPageForm
from newsdesk.core.panels import DraftInlinePanel
from newsdesk.core.prepared import PreparedQuery, page_at_url_path
from newsdesk.core.restrictions import PublicPageQuerySet, RestrictionsOnceMixin, is_public
from newsdesk.live import parts as live_parts
from newsdesk.live.feed import timeline
from newsdesk.live.models import FeedSequence, LiveFeedPage, live_feed_at

PAGE_SIZE = 20

logger = logging.getLogger(__name__)


class Author(index.Indexed, models.Model):
    """A byline: a person, or a collective such as "News Desk"."""

    class Kind(models.TextChoices):
        PERSON = "person", _("Person")
        DESK = "desk", _("Desk (collective author)")

    name = models.CharField(pgettext_lazy("person", "name"), max_length=120)
    slug = models.SlugField(_("slug"), max_length=120, unique=True, allow_unicode=True)
    kind = models.CharField(_("kind"), max_length=10, choices=Kind, default=Kind.PERSON)
    role = models.CharField(
        _("role"), max_length=120, blank=True, help_text=_("e.g. 'Reporter' or 'Kyiv bureau'.")
    )
    bio = models.TextField(_("short bio"), max_length=600, blank=True)
    photo = models.ForeignKey(
        settings.WAGTAILIMAGES_IMAGE_MODEL,
        verbose_name=_("photo"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    panels = [
        FieldPanel("name"),
        FieldPanel("slug"),
        FieldPanel("kind"),
        FieldPanel("role"),
        FieldPanel("bio"),
        FieldPanel("photo"),
    ]
    search_fields = [index.SearchField("name"), index.AutocompleteField("name")]

    class Meta:
        ordering = ["name"]
        verbose_name = _("author")
        verbose_name_plural = _("authors")

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return reverse("author", kwargs={"slug": self.slug})

    @property
    def is_desk(self):
        return self.kind == self.Kind.DESK


class Topic(index.Indexed, models.Model):
    """A subject readers follow, e.g. "Energy" or "Sumy Oblast"."""

    name = models.CharField(pgettext_lazy("topic", "name"), max_length=120)
    slug = models.SlugField(_("slug"), max_length=120, unique=True, allow_unicode=True)
    description = models.TextField(_("description"), max_length=600, blank=True)

    panels = [FieldPanel("name"), FieldPanel("slug"), FieldPanel("description")]
    search_fields = [index.SearchField("name"), index.AutocompleteField("name")]

    class Meta:
        ordering = ["name"]
        verbose_name = _("topic")
        verbose_name_plural = _("topics")

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return reverse("topic", kwargs={"slug": self.slug})


CARD_FIELDS = (
    "id",
    "title",
    "slug",
    "path",
    "depth",
    "url_path",
    "live",
    "locale",
    "content_type",
    "first_published_at",
    "standfirst",
    "reading_minutes",
    "hero_image",
)


class ArticleQuerySet(PublicPageQuerySet):
    def for_readers(self):
        """Articles a reader may open: published and not behind a view restriction."""
        return self.live().public()

    def published(self):
        """Live articles, newest first, with what a listing card shows (the card shows no
        byline, so none is fetched)."""
        return (
            self.for_readers().order_by("-first_published_at", "-pk").select_related("hero_image")
        )

    def cards(self):
        """Live articles for a listing of cards: only the columns a card shows, no body and
        no image row. With the cards stored (parts/store.py) only the ids are used; a card
        built anew reads its photo then (one query, once per article and change)."""
        return self.published().as_cards()

    def by_author(self, author):
        return self.published().filter(byline__author=author).distinct()

    def on_topic(self, topic):
        return self.published().filter(topics=topic)

    def as_cards(self):
        """This listing with only what a card shows (see cards())."""
        return self.select_related(None).only(*CARD_FIELDS)


ArticleManager = PageManager.from_queryset(ArticleQuerySet)


def paginate(request, queryset, per_page=PAGE_SIZE):
    """A page of results; a missing, malformed or out-of-range ?page= gives the nearest page."""
    return Paginator(queryset, per_page).get_page(request.GET.get("page"))


class HomePage(RestrictionsOnceMixin, Page):
    """The front page: the lead story and a few more, the latest news, running live feeds
    with their newest updates, and topic sections (articles/front.py reads each)."""

    lead_article = models.ForeignKey(
        "articles.ArticlePage",
        verbose_name=_("lead story"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text=_("Leave empty to lead with the most recent article."),
    )

    content_panels = [*Page.content_panels, FieldPanel("lead_article")]
    subpage_types = ["articles.NewsIndexPage", "live.LiveIndexPage"]
    max_count = 1

    class Meta:
        verbose_name = _("home page")

    def route(self, request, path_components):
        """/news/<slug>/ in two small prepared queries instead of four compiled ones (two tree
        levels, each a child look-up and its specific row): the article whose URL path, which
        Wagtail keeps in step with the tree, is this one, then its narration, which every
        article page shows. Any other path walks the tree."""
        if len(path_components) == 1 and path_components[0] not in _NOT_NEWS_INDEX:
            return self.route_news_index(request, path_components[0])
        if len(path_components) == 2:
            article = ARTICLE_AT_URL_PATH.first(
                path_components[1],
                self.depth + 2,
                f"{self.url_path}{path_components[0]}/{path_components[1]}/",
            )
            if article is not None:
                narration = NARRATION_OF_ARTICLE.first(article.pk)
                # As select_related would: page.narration is the row, or raises when None.
                ArticlePage.narration.related.set_cached_value(article, narration)
                if narration is not None:
                    narration.article = article
                return article.route(request, [])
            feed = live_feed_at(self, path_components)
            if feed is not None:
                return feed.route(request, [])
        return super().route(request, path_components)

    def route_news_index(self, request, slug):
        """/news/ in one prepared query, instead of a child look-up and its specific row
        compiled on every request. Another page found at that slug by the tree (/live/) is
        remembered, in this process, as not the news index, and routed by the tree from then
        on without the look-up: as it would be anyway, so the memo never routes wrongly."""
        index = NEWS_INDEX_AT_URL_PATH.first(slug, self.depth + 1, f"{self.url_path}{slug}/")
        if index is not None:
            return index.route(request, [])
        found = super().route(request, [slug])
        if len(_NOT_NEWS_INDEX) < 100:
            _NOT_NEWS_INDEX.add(slug)
        return found

    def get_context(self, request, *args, **kwargs):
        from newsdesk.articles.front import regions

        context = super().get_context(request, *args, **kwargs)
        context.update(regions(self))
        return context


class NewsIndexPage(RestrictionsOnceMixin, Page):
    """/news/: every article, newest first, twenty a page."""

    intro = models.TextField(_("introduction"), blank=True)

    content_panels = [*Page.content_panels, FieldPanel("intro")]
    parent_page_types = ["articles.HomePage"]
    subpage_types = ["articles.ArticlePage"]
    max_count = 1

    class Meta:
        verbose_name = _("news index")

    def get_context(self, request, *args, **kwargs):
        from newsdesk.articles.listings import listing

        context = super().get_context(request, *args, **kwargs)
        context["listing"] = listing(
            request,
            self,
            ArticlePage.objects.cards,
            "articles/news_listing.html",
            {"page": self},
            "articles",
        )
        return context


ARTICLE_LIVE_UPDATES = 4
"""How many of an embedded live feed's updates an article shows (and keeps showing as new ones
arrive); the feed page has the rest. Four, as on the reference page: enough to run back past
midnight, short enough not to bury the article (ten ran past 5,000 px on a phone)."""


class ArticlePage(RestrictionsOnceMixin, Page):
    """A news article, with every element of the reference page (docs/architecture.md)."""

    base_form_class = NewsdeskPageForm

    standfirst = models.TextField(
        _("standfirst"),
        max_length=400,
        blank=True,
        help_text=_("One or two sentences under the headline that sum the story up."),
    )
    hero_image = models.ForeignKey(
        settings.WAGTAILIMAGES_IMAGE_MODEL,
        verbose_name=_("hero image"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    hero_alt = models.CharField(
        _("alt text"),
        max_length=300,
        blank=True,
        help_text=_("What the photo shows, for readers who cannot see it. Required with a photo."),
    )
    hero_caption = models.CharField(_("caption"), max_length=500, blank=True)
    hero_credit = models.CharField(
        _("credit"),
        max_length=255,
        blank=True,
        help_text=_("Leave empty to use the image's own credit."),
    )
    body = StreamField(ArticleBodyBlock(), verbose_name=_("body"), blank=True)
    topics = ParentalManyToManyField(Topic, verbose_name=_("topics"), blank=True)
    last_substantive_update = models.DateTimeField(
        _("last substantive update"),
        null=True,
        blank=True,
        help_text=_(
            "Set when the story changed in substance (new facts, not a typo fix); "
            "readers see 'Updated' with this time."
        ),
    )
    live_feed = models.ForeignKey(
        "live.LiveFeedPage",
        verbose_name=_("live feed"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text=_("Show this live feed's latest updates under the article."),
    )
    reading_minutes_override = models.PositiveSmallIntegerField(
        _("reading time (minutes)"),
        null=True,
        blank=True,
        help_text=_(
            "Leave empty to count it from the text. Imported articles keep the time their "
            "source showed; clear it after rewriting one."
        ),
    )
    word_count = models.PositiveIntegerField(default=0, editable=False)
    reading_minutes = models.PositiveSmallIntegerField(default=1, editable=False)

    objects = ArticleManager()

    content_panels = [
        # TitleFieldPanel, not FieldPanel: it fills the slug (on the Promote tab) from the
        # headline until the article is first published, so a first Publish needs no slug typed.
        TitleFieldPanel("title", heading=_("Headline")),
        FieldPanel("standfirst"),
        DraftInlinePanel("byline", label=_("Author"), min_num=1, heading=_("Byline")),
        MultiFieldPanel(
            [
                FieldPanel("hero_image"),
                FieldPanel("hero_alt"),
                FieldRowPanel([FieldPanel("hero_caption"), FieldPanel("hero_credit")]),
            ],
            heading=_("Hero image"),
        ),
        FieldPanel("body"),
        FieldPanel("topics"),
        FieldPanel("live_feed"),
        DraftInlinePanel("corrections", label=_("Correction"), heading=_("Corrections")),
        DraftInlinePanel("related_links", label=_("Related story"), heading=_("Related stories")),
    ]
    settings_panels = [
        MultiFieldPanel(
            [FieldPanel("first_published_at"), FieldPanel("last_substantive_update")],
            heading=_("Dates shown to readers"),
        ),
        FieldPanel("reading_minutes_override"),
        *Page.settings_panels,
    ]
    search_fields = [
        *Page.search_fields,
        index.SearchField("standfirst"),
        index.SearchField("body"),
    ]
    parent_page_types = ["articles.NewsIndexPage"]
    subpage_types = []

    class Meta:
        verbose_name = _("article")
        verbose_name_plural = _("articles")

    def clean(self):
        super().clean()
        if self.hero_image_id and not self.hero_alt.strip():
            raise ValidationError(
                {"hero_alt": _("Describe the photo for readers who cannot see it.")}
            )

    def save(self, *args, **kwargs):
        # Derived from the body unless an editor (or an import, keeping its source's figure)
        # set it: a typed figure would go stale as the text changes, so it is the exception.
        self.word_count = count_words(readable_text(self.body))
        self.reading_minutes = self.reading_minutes_override or reading_minutes(self.word_count)
        if self.pk and self.live and kwargs.get("update_fields") is None:
            # A publish (not a draft's save, which names its fields): the lists the article
            # is in before the new revision's topics and byline are written, which it may
            # leave; the stored pages of those lists are dropped with it (listed_in).
            self._listed_before = self.lists_in_database()
        return super().save(*args, **kwargs)

    def lists_in_database(self):
        """The list tags of the topics and authors the database links this article to."""
        topics = ArticlePage.topics.through.objects.filter(articlepage_id=self.pk)
        authors = ArticleAuthor.objects.filter(article_id=self.pk)
        return {
            *(f"topic-list:{pk}" for pk in topics.values_list("topic_id", flat=True)),
            *(f"author-list:{pk}" for pk in authors.values_list("author_id", flat=True)),
        }

    @cached_property
    def authors(self):
        # Through the inline relation, not a fresh query, so previews show unsaved bylines.
        return [link.author for link in self.byline.select_related("author__photo")]

    @cached_property
    def topic_list(self):
        if self.pk and "topics" not in getattr(self, "_cluster_related_objects", {}):
            # The rows in the database (not a draft's topics held in memory, as a preview's
            # are): the same query, compiled once per process.
            return TOPICS_OF_ARTICLE.all(self.pk)
        return list(self.topics.all())

    @cached_property
    def correction_list(self):
        if self.pk and "corrections" not in getattr(self, "_cluster_related_objects", {}):
            # As topic_list: the published rows, by a query compiled once per process (it
            # was compiled anew on every cold article page, ~0.6 ms of ORM work for a query
            # that usually finds nothing); a preview's draft corrections come from memory.
            return CORRECTIONS_OF_ARTICLE.all(self.pk)
        return list(self.corrections.all())

    @property
    def credit(self):
        if self.hero_credit:
            return self.hero_credit
        return self.hero_image.credit if self.hero_image else ""

    def listed_in(self):
        """The cache tags of the lists this article can join or leave: every article
        listing, its topics' and its authors' (pagecache/actions.py)."""
        tags = {"articles"}
        tags.update(f"topic-list:{topic.pk}" for topic in self.topics.all())
        tags.update(f"author-list:{link.author_id}" for link in self.byline.all())
        # Those it was in before this publish, too: an article that leaves a topic shifts
        # the topic's later pages, which never showed it (a stored page is kept until its
        # list changes: articles/listings.py).
        tags.update(getattr(self, "_listed_before", ()))
        return tags

    def related_articles(self, limit=3):
        """Editors' picks first, then the latest live articles that share a topic."""
        picks = [
            link.article
            for link in self.related_links.select_related("article__hero_image").all()
            if link.article.live and is_public(link.article)
        ][:limit]
        if len(picks) < limit:
            exclude = [self.pk, *(page.pk for page in picks)]
            # The newest articles sharing a topic, chosen by id in a subquery that sorts only
            # ids and dates; then those few rows are read whole. A join with DISTINCT made the
            # database de-duplicate and sort every article on those topics, whole rows
            # (18 ms with 10,000 articles on SQLite; now about 1 ms).
            sharing = ArticlePage.topics.through.objects.filter(
                topic__in=[topic.pk for topic in self.topic_list]
            ).values("articlepage_id")
            newest = (
                ArticlePage.objects.published()
                .filter(pk__in=sharing)
                .exclude(pk__in=exclude)
                .values("pk")[: limit - len(picks)]
            )
            similar = ArticlePage.objects.published().filter(pk__in=newest)
            picks += list(similar[: limit - len(picks)])
        return picks

    def get_context(self, request, *args, **kwargs):
        """What the template shows, lazily: with the page's parts stored (parts/store.py),
        the byline, topics and share image are never read. Related stories are the
        template's {% related_stories %} (articles/related.py)."""
        from newsdesk.articles import related  # it imports this module

        context = super().get_context(request, *args, **kwargs)
        related.prefetch(self)  # the page's parts and its topics' related stories: one query
        context["authors"] = SimpleLazyObject(lambda: self.authors)
        context["topics"] = SimpleLazyObject(lambda: self.topic_list)
        context["live_block"] = self.live_block(request)
        return context

    @cached_property
    def share_image(self):
        """For the og:/twitter: tags and the JSON-LD: the hero's 1200x630 rendition."""
        return self.share_rendition()

    @cached_property
    def structured_data(self):
        return news_article(self, self.share_image and self.share_image.url)

    def share_rendition(self):
        """The hero photo for link previews, or None when its original cannot be read (a
        restore without media, or an app host whose disk does not hold the file): the page
        is still served, as the feeds leave such an image out."""
        if self.hero_image_id is None:
            return None
        hero = ArticlePage.hero_image
        if not hero.is_cached(self):
            # The photo's row with a prepared query, as the route reads the narration: the
            # first thing a cold article's parts read of it; the main block finds it here.
            hero.field.set_cached_value(self, HERO_IMAGE.first(self.hero_image_id))
        if not self.hero_image:
            return None
        try:
            return self.hero_image.get_rendition("fill-1200x630|format-jpeg")
        except OSError:  # wagtail.images.models.SourceImageIOError among others
            logger.warning("Image %s has no readable file; no share image", self.hero_image_id)
            return None

    def live_block(self, request=None):
        """The embedded live feed's latest few updates (not its pinned one), as the feed page
        groups them by day, and where its script picks the feed up; None without a feed
        readers can open. The feed page has the rest, a link away."""
        if self.live_feed_id is None:
            return None
        feed = LiveFeedPage.objects.for_readers().filter(pk=self.live_feed_id).first()
        if feed is None:
            return None
        # The position before the timeline, as on the feed page: a change landing in between
        # shows up in both, and the script replaces the element, rather than in neither.
        sequence = FeedSequence.objects.filter(feed=feed).values_list("last", flat=True).first()
        days, _, has_older, _ = timeline(feed, page_size=ARTICLE_LIVE_UPDATES)
        shown = [update for _, updates in days for update in updates]
        live_parts.prefetch(request, shown, level=4)
        return {
            "feed": feed,
            "days": days,
            "has_older": has_older,
            "sequence": sequence or 0,
            "still": not feed.is_live,
            "limit": ARTICLE_LIVE_UPDATES,
        }


class ArticleAuthor(Orderable):
    """One name in an article's byline, in the order editors chose."""

    article = ParentalKey(ArticlePage, on_delete=models.CASCADE, related_name="byline")
    author = models.ForeignKey(Author, on_delete=models.PROTECT, related_name="article_links")

    panels = [FieldPanel("author")]


class ArticleCorrection(Orderable):
    """A dated note telling readers what was wrong and what was changed."""

    article = ParentalKey(ArticlePage, on_delete=models.CASCADE, related_name="corrections")
    published_at = models.DateTimeField(_("date of correction"))
    text = models.TextField(
        _("correction"),
        help_text=_("e.g. 'An earlier version of this article gave the wrong date of the strike.'"),
    )

    panels = [FieldPanel("published_at"), FieldPanel("text")]

    class Meta(Orderable.Meta):
        verbose_name = _("correction")


class RelatedArticle(Orderable):
    article_page = ParentalKey(ArticlePage, on_delete=models.CASCADE, related_name="related_links")
    article = models.ForeignKey(ArticlePage, on_delete=models.CASCADE, related_name="+")

    panels = [FieldPanel("article")]


# An article found by its URL path in one prepared query, not a query per tree level.
ARTICLE_AT_URL_PATH = page_at_url_path(ArticlePage)
NARRATION_OF_ARTICLE = PreparedQuery(
    "narration.Narration",
    lambda model, article_id: model.objects.filter(article_id=article_id).order_by()[:1],
)
HERO_IMAGE = PreparedQuery(
    settings.WAGTAILIMAGES_IMAGE_MODEL, lambda model, image_id: model.objects.filter(pk=image_id)
)
TOPICS_OF_ARTICLE = PreparedQuery(
    Topic, lambda model, article_id: model.objects.filter(articlepage=article_id)
)
CORRECTIONS_OF_ARTICLE = PreparedQuery(
    "articles.ArticleCorrection",
    lambda model, article_id: model.objects.filter(article_id=article_id),
)
"""An article's topics and corrections as `article.topics.all()` and
`article.corrections.all()` read them (by name; in the editor's order); its photo by id."""
_NOT_NEWS_INDEX = set()
NEWS_INDEX_AT_URL_PATH = page_at_url_path(NewsIndexPage)
