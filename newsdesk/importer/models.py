"""What was imported from where, so that importing the same source again changes nothing."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class ImportRecord(models.Model):
    """One imported story: its stable source identity and the objects made from it.

    `source_key` is the source URL (HTML pages, WordPress posts) or a hash of headline and
    date (page dumps); `content_hash` covers what the article page shows, so an unchanged
    source is recognised without comparing revisions. `live_updates` maps each live-feed
    entry's key ("<published ISO time>#<n>") to the update made from it.
    """

    class Format(models.TextChoices):
        TEXT = "text", _("Plain-text page dump")
        HTML = "html", _("HTML page")
        WXR = "wxr", _("WordPress export (WXR)")

    source_key = models.CharField(max_length=255, unique=True)
    format = models.CharField(max_length=8, choices=Format)
    content_hash = models.CharField(max_length=64)
    page = models.ForeignKey(
        "wagtailcore.Page", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    feed = models.ForeignKey(
        "live.LiveFeedPage", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    live_updates = models.JSONField(default=dict, blank=True)
    source = models.CharField(
        max_length=500, blank=True, help_text="The file it was last imported from."
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("import record")
        verbose_name_plural = _("import records")

    def __str__(self):
        return self.source_key
