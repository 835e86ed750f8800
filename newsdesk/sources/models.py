"""Sources (wires, official channels) and the items fetched from them, kept in versions.

An item is stored once per source and the source's own id for it; every delivery whose
headline, body or link differs from the latest version adds one version (an agency's update
of the same story), and one that does not adds nothing. Fetching is in fetcher.py and
store.py; the parsers (parsers/) know nothing of the database.
"""

from datetime import timedelta

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext
from wagtail.admin.panels import FieldPanel, FieldRowPanel, MultiFieldPanel

from newsdesk.live.models import Verification


class Kind(models.TextChoices):
    RSS = "rss", "RSS 2.0"
    ATOM = "atom", "Atom"
    JSONFEED = "jsonfeed", "JSON Feed"
    NINJS = "ninjs", "IPTC ninjs"
    NEWSML = "newsml", "NewsML-G2"
    TELEGRAM = "telegram", _("Telegram channel (public preview page)")
    FOLDER = "folder", _("Watched folder (ninjs, NewsML-G2 or feed files)")


class Source(models.Model):
    name = models.CharField(_("name"), max_length=100, unique=True)
    kind = models.CharField(_("kind"), max_length=10, choices=Kind)
    url = models.URLField(
        _("address"),
        max_length=500,
        blank=True,
        help_text=_("Where to fetch it, e.g. https://t.me/s/channel_name. Empty for a folder."),
    )
    folder = models.CharField(
        _("folder"),
        max_length=500,
        blank=True,
        help_text=_(
            "For a watched folder: the path on the worker's machine. Files dropped in are read, "
            "then moved to done/ (or failed/, with the error beside them)."
        ),
    )
    interval = models.PositiveIntegerField(
        _("poll interval (seconds)"),
        default=60,
        help_text=_("How often to look for new items; at least 10 seconds."),
    )
    language = models.CharField(_("language"), max_length=10, blank=True, default="en")
    verification = models.CharField(
        _("verification of its items"),
        max_length=12,
        choices=Verification,
        default=Verification.UNVERIFIED,
        help_text=_(
            "What an update taken from this source says by default: an official body's "
            "statements are 'official claim', an outlet's reports 'unverified'."
        ),
    )
    enabled = models.BooleanField(_("enabled"), default=True)
    allow_private = models.BooleanField(
        _("allow private addresses"),
        default=False,
        help_text=_(
            "Let this source reach addresses inside the network (127.0.0.1, 10.x, 192.168.x). "
            "Off by default, so an address typed here cannot probe the newsroom's own servers."
        ),
    )

    # Status, written by the fetcher only.
    last_fetch_at = models.DateTimeField(_("last fetch"), null=True, blank=True, editable=False)
    last_success_at = models.DateTimeField(null=True, blank=True, editable=False)
    last_new_item_at = models.DateTimeField(
        _("last new item"), null=True, blank=True, editable=False
    )
    last_error = models.TextField(_("last error"), blank=True, editable=False)
    last_error_at = models.DateTimeField(null=True, blank=True, editable=False)
    failures = models.PositiveIntegerField(
        default=0, editable=False, help_text="Failed fetches in a row: the backoff's exponent."
    )
    next_fetch_at = models.DateTimeField(default=timezone.now, db_index=True, editable=False)
    etag = models.CharField(max_length=500, blank=True, editable=False)
    last_modified = models.CharField(max_length=100, blank=True, editable=False)

    panels = [
        FieldRowPanel([FieldPanel("name"), FieldPanel("kind")]),
        FieldPanel("url"),
        FieldPanel("folder"),
        FieldRowPanel([FieldPanel("interval"), FieldPanel("language")]),
        FieldPanel("verification"),
        MultiFieldPanel(
            [FieldPanel("enabled"), FieldPanel("allow_private")], heading=_("Fetching")
        ),
    ]

    class Meta:
        ordering = ["name"]
        verbose_name = _("source")
        verbose_name_plural = _("sources")

    def __str__(self):
        return self.name

    def clean(self):
        from django.core.exceptions import ValidationError

        if self.kind == Kind.FOLDER and not self.folder:
            raise ValidationError({"folder": _("A watched folder needs its path.")})
        if self.kind != Kind.FOLDER and not self.url:
            raise ValidationError({"url": _("This kind of source needs an address.")})
        if self.interval < 10:
            raise ValidationError({"interval": _("At least 10 seconds.")})

    @property
    def location(self):
        return self.folder if self.kind == Kind.FOLDER else self.url

    def status_text(self, now=None):
        """The status row in plain words, for editors and `newsdesk source list`."""
        now = now or timezone.now()
        if not self.enabled:
            return str(_("Disabled."))
        if self.last_fetch_at is None:
            return str(_("Not fetched yet."))
        parts = [_("Fetched %(ago)s.") % {"ago": ago(self.last_fetch_at, now)}]
        if self.last_new_item_at:
            parts.append(_("Last new item %(ago)s.") % {"ago": ago(self.last_new_item_at, now)})
        else:
            parts.append(_("No items yet."))
        if self.last_error:
            parts.append(
                _("Error %(ago)s: %(error)s")
                % {"ago": ago(self.last_error_at, now), "error": self.last_error}
            )
        if self.failures:
            parts.append(
                ngettext(
                    "Failed %(count)s time in a row; next try %(when)s.",
                    "Failed %(count)s times in a row; next try %(when)s.",
                    self.failures,
                )
                % {"count": self.failures, "when": ago(self.next_fetch_at, now)}
            )
        return " ".join(str(part) for part in parts)


def ago(moment, now):
    """'12 s ago', '5 min ago', 'in 40 s'."""
    if moment is None:
        return ""
    seconds = round((now - moment).total_seconds())
    future = seconds < 0
    seconds = abs(seconds)
    if seconds < 90:
        amount = _("%(count)s s") % {"count": seconds}
    elif seconds < 90 * 60:
        amount = _("%(count)s min") % {"count": round(seconds / 60)}
    elif seconds < 36 * 3600:
        amount = _("%(count)s h") % {"count": round(seconds / 3600)}
    else:
        days = round(seconds / 86400)
        amount = ngettext("%(count)s day", "%(count)s days", days) % {"count": days}
    if future:
        return str(_("in %(amount)s") % {"amount": amount})
    return str(_("%(amount)s ago") % {"amount": amount})


class ItemQuerySet(models.QuerySet):
    def older_than(self, days):
        return self.filter(last_seen_at__lt=timezone.now() - timedelta(days=days))

    def incoming(self):
        """What the desk's Incoming column lists: not dismissed, newest first."""
        return self.filter(dismissed_at__isnull=True).select_related("source")


class Item(models.Model):
    """One story or post of a source, in as many versions as the source delivered."""

    source = models.ForeignKey(Source, on_delete=models.CASCADE, related_name="items")
    guid = models.CharField(
        _("source's id"), max_length=500, help_text="The id the source gives it (or its link)."
    )
    headline = models.CharField(_("headline"), max_length=500, blank=True)
    link = models.URLField(_("link"), max_length=1000, blank=True)
    source_time = models.DateTimeField(_("source time"), null=True, blank=True)
    version_count = models.PositiveIntegerField(default=1)
    content_hash = models.CharField(
        max_length=64, editable=False, help_text="The latest version's."
    )
    source_version = models.CharField(max_length=50, blank=True, editable=False)
    raw_hash = models.CharField(
        max_length=64,
        editable=False,
        help_text="Of the entry as last delivered, before sanitising: the same bytes again are "
        "known unchanged without parsing their HTML.",
    )
    first_seen_at = models.DateTimeField(default=timezone.now, db_index=True)
    last_seen_at = models.DateTimeField(default=timezone.now, db_index=True)
    updated_at = models.DateTimeField(default=timezone.now, db_index=True)
    # Dismissed on the desk: hidden from Incoming for everyone, kept for `source items`.
    dismissed_at = models.DateTimeField(null=True, blank=True, editable=False, db_index=True)
    dismissed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        editable=False,
    )

    objects = ItemQuerySet.as_manager()

    class Meta:
        ordering = ["-first_seen_at", "-pk"]
        constraints = [
            models.UniqueConstraint(fields=["source", "guid"], name="sources_item_unique_guid")
        ]
        verbose_name = _("item")
        verbose_name_plural = _("items")

    def __str__(self):
        return self.headline or self.guid


class ItemVersion(models.Model):
    item = models.ForeignKey(Item, on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveIntegerField()
    source_version = models.CharField(
        max_length=50, blank=True, help_text="The version the source itself gave, when it does."
    )
    content_hash = models.CharField(max_length=64)
    headline = models.CharField(max_length=500, blank=True)
    body = models.TextField(blank=True, help_text="Sanitised HTML.")
    link = models.URLField(max_length=1000, blank=True)
    source_time = models.DateTimeField(null=True, blank=True)
    fetched_at = models.DateTimeField(default=timezone.now)
    changed = models.JSONField(
        default=list, help_text="What differs from the version before: headline, body, link."
    )

    class Meta:
        ordering = ["item", "number"]
        constraints = [
            models.UniqueConstraint(fields=["item", "number"], name="sources_version_unique_number")
        ]

    def __str__(self):
        return f"{self.item} (version {self.number})"


class ItemUse(models.Model):
    """An item taken onto the desk: a live update or an article made from one of its versions,
    so the Incoming column can say who used it and where."""

    item = models.ForeignKey(Item, on_delete=models.CASCADE, related_name="uses")
    version = models.ForeignKey(ItemVersion, null=True, on_delete=models.SET_NULL, related_name="+")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    update = models.ForeignKey(
        "live.LiveUpdate", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    article = models.ForeignKey(
        "wagtailcore.Page", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at", "pk"]

    def __str__(self):
        return f"{self.item} used by {self.user}"


class AlertRule(models.Model):
    """A word or phrase the desk watches for in incoming items ("ballistic", an oblast)."""

    words = models.CharField(
        _("word or phrase"),
        max_length=100,
        unique=True,
        help_text=_(
            "Items whose headline or text contain it (in any letter case) are highlighted on "
            "the desk. Write the part of the word all its forms share, e.g. “Сум” for Sumy."
        ),
    )
    sound = models.BooleanField(
        _("play a sound"),
        default=False,
        help_text=_("A short tone on the desk when a matching item arrives (unless muted there)."),
    )
    enabled = models.BooleanField(_("enabled"), default=True)

    class Meta:
        ordering = ["words"]
        verbose_name = _("alert word")
        verbose_name_plural = _("alert words")

    def __str__(self):
        return self.words

    def clean(self):
        from django.core.exceptions import ValidationError

        self.words = " ".join(self.words.split())
        if len(self.words) < 2:
            raise ValidationError({"words": _("At least two characters.")})


def matching_alerts(rules, *texts):
    """The rules whose words occur in any of the texts, ignoring letter case."""
    haystack = " ".join(texts).casefold()
    return [rule for rule in rules if rule.words.casefold() in haystack]
