"""Live coverage: a feed page and its short, timestamped, sourced updates."""

import re

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone
from django.utils.functional import cached_property
from django.utils.translation import gettext_lazy as _
from wagtail.admin.panels import FieldPanel, FieldRowPanel, MultiFieldPanel
from wagtail.fields import RichTextField
from wagtail.models import Page, PageManager
from wagtail.search import index

from newsdesk.core.forms import NewsdeskPageForm
from newsdesk.core.prepared import PreparedQuery, page_at_url_path
from newsdesk.core.restrictions import PublicPageQuerySet, RestrictionsOnceMixin

LIST_MARK = re.compile(r"^[-•*–]\s+")
LIVE_BODY_FEATURES = ["bold", "italic", "link", "ol", "ul"]
PAGE_SIZE = 50


class LiveIndexPage(RestrictionsOnceMixin, Page):
    """/live/: the live feeds, running ones first."""

    parent_page_types = ["articles.HomePage"]
    subpage_types = ["live.LiveFeedPage"]
    max_count = 1

    class Meta:
        verbose_name = _("live index")

    def get_context(self, request, *args, **kwargs):
        context = super().get_context(request, *args, **kwargs)
        context["feeds"] = LiveFeedPage.objects.for_readers().order_by(
            "-status",  # "live" > "ended"
            "-coverage_start",
        )
        return context


class LiveFeedQuerySet(PublicPageQuerySet):
    def for_readers(self):
        """Feeds a reader may open: published and not behind a view restriction."""
        return self.live().public()


class LiveFeedPage(RestrictionsOnceMixin, Page):
    """A running page of updates about one event, e.g. an election night or a storm."""

    objects = PageManager.from_queryset(LiveFeedQuerySet)()

    recorded_also_as = "live"
    """A page that loads a feed is tagged "live:<id>" too, which a change to one of its
    updates invalidates (pagecache/recorder.py)."""

    base_form_class = NewsdeskPageForm

    class Status(models.TextChoices):
        LIVE = "live", _("Live")
        ENDED = "ended", _("Ended")

    summary = models.TextField(
        _("summary"), max_length=600, blank=True, help_text=_("What this coverage is about.")
    )
    what_we_know = models.TextField(
        _("what we know"),
        max_length=2000,
        blank=True,
        help_text=_(
            "The facts established so far, one per line, shown in a box above the updates "
            "with the time it last changed. Editors can also change it on the live desk."
        ),
    )
    what_we_know_at = models.DateTimeField(
        _("what we know, last changed"), null=True, blank=True, editable=False
    )
    status = models.CharField(_("status"), max_length=8, choices=Status, default=Status.LIVE)
    coverage_start = models.DateTimeField(_("coverage start"), default=timezone.now)
    coverage_end = models.DateTimeField(
        _("coverage end"), null=True, blank=True, help_text=_("Set when the coverage ends.")
    )

    content_panels = [
        *Page.content_panels,
        FieldPanel("summary"),
        FieldPanel("what_we_know"),
        MultiFieldPanel(
            [
                FieldPanel("status"),
                FieldRowPanel([FieldPanel("coverage_start"), FieldPanel("coverage_end")]),
            ],
            heading=_("Coverage"),
        ),
    ]
    parent_page_types = ["live.LiveIndexPage"]
    subpage_types = []

    class Meta:
        verbose_name = _("live feed")
        verbose_name_plural = _("live feeds")

    @property
    def is_live(self):
        return self.status == self.Status.LIVE

    @property
    def known_points(self):
        """The "What we know" box, a point per line (a list mark typed by habit dropped; a
        minus sign, "-5°C", is kept)."""
        lines = (LIST_MARK.sub("", line.strip()) for line in self.what_we_know.splitlines())
        return [line for line in lines if line]

    def listed_in(self):
        """The cache tags of the lists this feed can join or leave (pagecache/actions.py)."""
        return {f"live:{self.pk}", "live-list"}

    def save(self, *args, **kwargs):
        # Stamped here, whichever way the text changed (the admin, the desk, a script): the
        # published row holds the text readers saw last, so a change is a difference from it.
        fields = kwargs.get("update_fields")
        if fields is None or "what_we_know" in fields:
            self.what_we_know = "\n".join(self.known_points)
            before = (
                LiveFeedPage.objects.filter(pk=self.pk).values_list("what_we_know", flat=True)
                if self.pk
                else []
            )
            if self.what_we_know != next(iter(before), ""):
                self.what_we_know_at = timezone.now() if self.what_we_know else None
                if fields is not None:
                    kwargs["update_fields"] = {*fields, "what_we_know_at"}
        return super().save(*args, **kwargs)

    def get_context(self, request, *args, **kwargs):
        from newsdesk.live import feed, parts
        from newsdesk.live.views import structured_data_text

        context = super().get_context(request, *args, **kwargs)
        # Read the position before the timeline: a change that lands in between then shows
        # up in both, and the script replaces the element, rather than in neither.
        context["sequence"] = feed.position(self)
        older = None
        if request.GET.get("older", "").isdigit():
            older = feed.update_row(self, int(request.GET["older"]))
        # The timeline as plain rows (prepared queries); only the updates whose stored part
        # is missing are read whole, to build it (live/parts.py).
        days, pinned, has_older, oldest = feed.page_rows(self, older)
        shown = [pinned] if pinned else []
        shown += [update for _, updates in days for update in updates]
        missing = parts.page_missing(request, shown)
        if missing:
            days, pinned, shown = self._read_whole(missing, days, pinned, shown)
        entries = parts.page_entries(request, shown)
        context.update(
            days=days,
            pinned=pinned,
            has_older=has_older,
            oldest=oldest,
            shown=shown,
            elements={pk: html for pk, (html, _) in entries.items()},
            older_page=older is not None,
            # Nothing will change on an ended feed or a page of older updates (live.js).
            still=not self.is_live or older is not None,
            key_events=feed.key_event_rows(self) if older is None else [],
            structured_data_text=structured_data_text(
                self, [entries[update.pk][1] for update in shown]
            ),
            # The offset of the times on the page, not today's: a feed that ended in summer
            # shows summer times.
            zone_label=zone_label(max((update.published_at for update in shown), default=None)),
        )
        return context

    def _read_whole(self, missing, days, pinned, shown):
        """The rows of `missing` updates replaced by the whole updates, with what their
        element shows, to build their parts; one deleted from the database since the rows
        were read is left out."""
        found = (
            LiveUpdate.objects.filter(pk__in=sorted(missing))
            .select_related("image")
            .prefetch_related("corrections")
        )
        whole = {update.pk: update for update in found}
        for update in whole.values():
            update.feed = self

        def kept(rows):
            return [
                whole.get(row.pk, row) for row in rows if row.pk in whole or row.pk not in missing
            ]

        days = [(day, kept(rows)) for day, rows in days]
        days = [(day, rows) for day, rows in days if rows]
        pinned = next(iter(kept([pinned])), None) if pinned else None
        return days, pinned, kept(shown)


# A live feed's URL path names it, as an article's does (HomePage.route): /live/<slug>/ is
# found in one prepared query (core/prepared.py), then its briefing (the player), instead of
# a child look-up and a specific row per tree level.
LIVE_FEED_AT_URL_PATH = page_at_url_path(LiveFeedPage)
BRIEFING_OF_FEED = PreparedQuery(
    "narration.LiveBriefing",
    lambda model, feed_id: model.objects.filter(feed_id=feed_id).order_by()[:1],
)


def live_feed_at(home, path_components):
    """The live feed page at <index>/<slug>/ under the home page, with its briefing row
    read (as select_related would put it), or None."""
    index, slug = path_components
    feed = LIVE_FEED_AT_URL_PATH.first(slug, home.depth + 2, f"{home.url_path}{index}/{slug}/")
    if feed is not None:
        briefing = BRIEFING_OF_FEED.first(feed.pk)
        LiveFeedPage.briefing.related.set_cached_value(feed, briefing)
        if briefing is not None:
            briefing.feed = feed
    return feed


def zone_label(moment=None):
    """The newsroom's zone as readers know it: "Kyiv time (EET, UTC+02:00)"."""
    local = timezone.localtime(moment)
    city = timezone.get_current_timezone_name().split("/")[-1].replace("_", " ")
    offset = local.strftime("%z")
    return _("%(city)s time (%(abbreviation)s, UTC%(offset)s)") % {
        "city": city,
        "abbreviation": local.tzname(),
        "offset": f"{offset[:3]}:{offset[3:]}",
    }


class FeedSequence(models.Model):
    """The last sequence number a feed handed out.

    Kept apart from the page so publishing a page revision can never rewind it.
    """

    feed = models.OneToOneField(LiveFeedPage, on_delete=models.CASCADE, related_name="sequence")
    last = models.PositiveBigIntegerField(default=0)

    def __str__(self):
        return f"{self.feed_id}: {self.last}"


class Verification(models.TextChoices):
    CONFIRMED = "confirmed", _("Confirmed by our reporters")
    OFFICIAL = "official", _("Official claim")
    UNVERIFIED = "unverified", _("Unverified")
    DISPUTED = "disputed", _("Disputed")
    RETRACTED = "retracted", _("Retracted")


class LiveUpdateQuerySet(models.QuerySet):
    def visible(self):
        """What readers see: published and not deleted."""
        return self.filter(is_published=True, deleted_at__isnull=True)

    def changed_after(self, sequence):
        """Every change after `sequence`, oldest first. Drafts and withdrawn updates are
        included: readers must hear that an update they show has gone (stream.change_for
        sends those as deletions, with nothing but the id)."""
        return self.filter(sequence__gt=sequence).order_by("sequence")

    def for_display(self):
        return self.select_related("image", "feed").prefetch_related("authors", "corrections")


class LiveUpdate(index.Indexed, models.Model):
    """One entry of a live feed. A plain model, not a page: posting must be fast.

    Indexed for reader search (newsdesk.search): a save only queues the indexing task, which
    the worker runs. Every row is indexed, drafts and withdrawn ones too; search filters on the
    FilterFields below, as the feed page does.
    """

    feed = models.ForeignKey(LiveFeedPage, on_delete=models.CASCADE, related_name="updates")
    sequence = models.PositiveBigIntegerField(
        editable=False,
        help_text="The feed's sequence number of this update's latest change (post, edit or "
        "deletion): a reader who has seen it has seen this version.",
    )
    headline = models.CharField(_("headline"), max_length=200)
    body = RichTextField(_("body"), features=LIVE_BODY_FEATURES, blank=True)
    image = models.ForeignKey(
        settings.WAGTAILIMAGES_IMAGE_MODEL,
        verbose_name=_("image"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    image_alt = models.CharField(
        _("image alt text"),
        max_length=300,
        blank=True,
        help_text=_("What the picture shows, for readers who cannot see it. Required with one."),
    )
    image_caption = models.CharField(_("image caption"), max_length=500, blank=True)
    image_credit = models.CharField(
        _("image credit"),
        max_length=255,
        blank=True,
        help_text=_("Leave empty to use the image's own credit."),
    )
    embed_url = models.URLField(
        _("embed link"),
        max_length=200,
        blank=True,
        help_text=_("A video or post to show with the update, e.g. on YouTube or Telegram."),
    )
    authors = models.ManyToManyField("articles.Author", verbose_name=_("authors"), blank=True)
    published_at = models.DateTimeField(_("published at"), default=timezone.now, db_index=True)
    is_key_event = models.BooleanField(_("key event"), default=False)
    is_pinned = models.BooleanField(_("pinned"), default=False)
    is_published = models.BooleanField(_("published"), default=True)
    deleted_at = models.DateTimeField(null=True, blank=True, editable=False)

    source_name = models.CharField(
        _("reported by"),
        max_length=200,
        blank=True,
        help_text=_("Who reported it, e.g. 'the regional military administration'."),
    )
    source_time = models.DateTimeField(_("reported at"), null=True, blank=True)
    source_channel = models.CharField(
        _("channel"), max_length=100, blank=True, help_text=_("e.g. 'Telegram', 'press briefing'.")
    )
    source_url = models.URLField(_("primary source link"), blank=True)
    verification = models.CharField(
        _("verification"), max_length=12, choices=Verification, default=Verification.UNVERIFIED
    )

    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = LiveUpdateQuerySet.as_manager()

    search_fields = [
        # Indexed under the name "title" with a page title's boost (Page.search_fields: 2):
        # both database backends keep fields named "title" in their own column and weight it,
        # so a headline counts as much as an article's title. Indexed as "headline" it was
        # body text, and short updates outranked the article named in the query.
        index.SearchField("title", boost=2),
        index.SearchField("body"),
        index.SearchField("source_name"),
        index.FilterField("feed"),
        index.FilterField("is_published"),
        index.FilterField("deleted_at"),
        index.FilterField("published_at"),
    ]

    class Meta:
        ordering = ["-published_at", "-pk"]
        constraints = [
            models.UniqueConstraint(fields=["feed", "sequence"], name="live_update_unique_sequence")
        ]
        # The live page's order: its pages of older updates start where the last one ended
        # (live/feed.py) without sorting the whole feed.
        indexes = [
            models.Index(fields=["feed", "published_at", "id"], name="live_update_timeline"),
        ]
        verbose_name = _("live update")
        verbose_name_plural = _("live updates")
        permissions = [("publish_liveupdate", "Can publish live updates")]

    def __str__(self):
        return self.headline

    def get_absolute_url(self):
        return f"{self.feed.url}updates/{self.pk}/"

    @property
    def title(self):
        """The headline, under the name search backends index as a title."""
        return self.headline

    @property
    def anchor(self):
        return f"update-{self.pk}"

    @property
    def is_deleted(self):
        return self.deleted_at is not None

    @cached_property
    def has_source(self):
        return bool(self.source_name or self.source_url)

    @property
    def shown_credit(self):
        """The credit printed with the picture: this update's, else the image's own."""
        if not self.image_id:
            return ""
        return self.image_credit or self.image.credit

    @property
    def embed(self):
        """The embed link as the page shows it (live/media.py), or None."""
        from newsdesk.live.media import embed_for

        return embed_for(self.embed_url)

    def clean(self):
        from newsdesk.live.media import ALT_REQUIRED, clean_embed_url

        super().clean()
        errors = {}
        if self.image_id and not self.image_alt.strip():
            errors["image_alt"] = ALT_REQUIRED
        try:
            self.embed_url = clean_embed_url(self.embed_url)
        except ValidationError as error:
            errors["embed_url"] = error
        if errors:
            raise ValidationError(errors)


class LiveUpdateCorrection(models.Model):
    """A correction shown on the update: "Correction, 10:42 AM: an earlier version said ..."."""

    update = models.ForeignKey(LiveUpdate, on_delete=models.CASCADE, related_name="corrections")
    published_at = models.DateTimeField(default=timezone.now)
    text = models.TextField(_("correction"))

    class Meta:
        ordering = ["published_at", "pk"]

    def __str__(self):
        return self.text[:60]


class LiveUpdateChange(models.Model):
    """Edit and delete history: who changed an update, when, and what it said before."""

    class Action(models.TextChoices):
        POST = "post", _("Posted")
        EDIT = "edit", _("Edited")
        DELETE = "delete", _("Deleted")

    update = models.ForeignKey(LiveUpdate, on_delete=models.CASCADE, related_name="changes")
    sequence = models.PositiveBigIntegerField()
    action = models.CharField(max_length=8, choices=Action)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    at = models.DateTimeField(default=timezone.now)
    snapshot = models.JSONField(help_text="The update's fields after this change.")

    class Meta:
        ordering = ["sequence"]

    def __str__(self):
        return f"{self.get_action_display()} #{self.sequence}"
