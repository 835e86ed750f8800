"""Narration follows publishing: receivers are one line, the work is in actions.py."""

from functools import partial

from django.db import transaction
from django.db.models.signals import post_save
from django.dispatch import receiver
from wagtail.signals import page_published

from newsdesk.articles.models import ArticlePage
from newsdesk.live.models import LiveUpdateChange
from newsdesk.narration import actions


@receiver(page_published, sender=ArticlePage)
def narrate_published_article(sender, instance, **kwargs):
    transaction.on_commit(partial(actions.request_narration_by_id, instance.pk))


@receiver(post_save, sender=LiveUpdateChange)
def refresh_live_briefing(sender, instance, created, **kwargs):
    transaction.on_commit(partial(actions.request_briefing_if_key, instance.update_id))
