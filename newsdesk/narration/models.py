"""Narrated audio: one per article, one rolling briefing per live feed, and the lexicon."""

import uuid

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from wagtail.admin.panels import FieldPanel
from wagtail.models import PreviewableMixin
from wagtail.search import index


class AudioStatus(models.TextChoices):
    PENDING = "pending", _("Pending")
    RUNNING = "running", _("Being narrated")
    READY = "ready", _("Ready")
    FAILED = "failed", _("Failed")


class AudioQuerySet(models.QuerySet):
    def with_audio(self):
        return self.exclude(audio="")

    def stalled(self, now):
        """Jobs claimed by a worker whose lease ran out: the worker died or hung."""
        return self.filter(status=AudioStatus.RUNNING, lease_until__lt=now)

    def overdue(self, now):
        """Pending jobs whose task should have run by now (a lost enqueue, a wiped queue)."""
        return self.filter(status=AudioStatus.PENDING, next_attempt_at__lt=now)


class NarratedAudio(models.Model):
    """The state of one narration job and the audio of its last success.

    `status` describes the latest request; `audio`, `duration` and `timings` stay those of the
    last good rendering, so readers keep a player while a new version is being made.
    """

    status = models.CharField(
        _("status"), max_length=10, choices=AudioStatus.choices, default=AudioStatus.PENDING
    )
    script_hash = models.CharField(max_length=64, blank=True, editable=False)
    audio = models.CharField(_("audio file"), max_length=200, blank=True, editable=False)
    audio_bytes = models.PositiveIntegerField(default=0, editable=False)
    duration = models.FloatField(_("duration (seconds)"), null=True, blank=True, editable=False)
    timings = models.JSONField(default=list, blank=True, editable=False)
    voice = models.CharField(max_length=200, blank=True, editable=False)
    attempts = models.PositiveSmallIntegerField(default=0, editable=False)
    error = models.TextField(_("error"), blank=True, editable=False)
    worker = models.CharField(max_length=200, blank=True, editable=False)
    task_id = models.CharField(max_length=64, blank=True, editable=False)
    requested_at = models.DateTimeField(_("requested"), null=True, editable=False)
    next_attempt_at = models.DateTimeField(null=True, editable=False)
    started_at = models.DateTimeField(null=True, editable=False)
    lease_until = models.DateTimeField(null=True, editable=False)
    finished_at = models.DateTimeField(_("finished"), null=True, editable=False)
    audio_updated_at = models.DateTimeField(null=True, editable=False)

    objects = AudioQuerySet.as_manager()

    class Meta:
        abstract = True

    @property
    def audio_url(self):
        return f"{settings.MEDIA_URL}{self.audio}" if self.audio else ""

    @property
    def has_audio(self):
        return bool(self.audio)

    def start_of(self, key):
        for timing in self.timings:
            if timing["key"] == key:
                return timing["start"]
        return None


class Narration(NarratedAudio):
    article = models.OneToOneField(
        "articles.ArticlePage",
        verbose_name=_("article"),
        on_delete=models.CASCADE,
        related_name="narration",
    )
    guid = models.UUIDField(default=uuid.uuid4, editable=False, unique=True)
    """The podcast episode's GUID: the same through every regeneration of the audio."""

    class Meta:
        verbose_name = _("narration")
        verbose_name_plural = _("narrations")

    def __str__(self):
        return str(self.article)


class LiveBriefing(NarratedAudio):
    feed = models.OneToOneField(
        "live.LiveFeedPage",
        verbose_name=_("live feed"),
        on_delete=models.CASCADE,
        related_name="briefing",
    )

    class Meta:
        verbose_name = _("live briefing")
        verbose_name_plural = _("live briefings")

    def __str__(self):
        return str(self.feed)


class LexiconEntry(PreviewableMixin, index.Indexed, models.Model):
    """How the narrator says a word it would otherwise get wrong (a name, an initialism)."""

    class Kind(models.TextChoices):
        WORDS = "words", _("Spelled the way it sounds")
        PHONEMES = "phonemes", _("Phonemes (IPA, as the voice's espeak-ng uses them)")

    term = models.CharField(
        _("term"),
        max_length=100,
        unique=True,
        help_text=_("Exactly as it appears in copy; matched as a whole word, case-sensitive."),
    )
    pronunciation = models.CharField(
        _("say it as"),
        max_length=300,
        help_text=_("For example 'zah-LOOZH-nee' or, as phonemes, 'zɐlˈuʒnɪj'."),
    )
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices, default=Kind.WORDS)
    note = models.CharField(_("note"), max_length=300, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    panels = [
        FieldPanel("term"),
        FieldPanel("pronunciation"),
        FieldPanel("kind"),
        FieldPanel("note"),
    ]
    search_fields = [index.SearchField("term"), index.AutocompleteField("term")]

    class Meta:
        ordering = ["term"]
        verbose_name = _("pronunciation")
        verbose_name_plural = _("pronunciation lexicon")

    def __str__(self):
        return self.term

    @property
    def spoken(self):
        """What the speech-text module substitutes for the term."""
        if self.kind == self.Kind.PHONEMES:
            return f"[[ {self.pronunciation.strip()} ]]"
        return self.pronunciation.strip()

    def get_preview_template(self, request, mode_name):
        return "narration/admin/lexicon_preview.html"

    def get_preview_context(self, request, mode_name):
        """The preview plays the term as the narrator will say it, with this entry applied."""
        # Here, not at the top: the voice engine (onnxruntime, Piper) loads only when an
        # editor previews an entry, not in every process that loads the models.
        from newsdesk.narration.engine import VoiceError
        from newsdesk.narration.preview import listen
        from newsdesk.narration.speech import speech_text

        context = super().get_preview_context(request, mode_name)
        lexicon = {self.term: self.spoken} if self.term and self.pronunciation else {}
        context["spoken_text"] = speech_text(self.term, lexicon) if self.term else ""
        if self.term:
            try:
                context["audio_src"] = listen(self.term, lexicon)
            except VoiceError as error:
                context["error"] = str(error)
        return context

    @classmethod
    def as_mapping(cls):
        return {entry.term: entry.spoken for entry in cls.objects.all()}
