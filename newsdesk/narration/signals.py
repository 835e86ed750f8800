"""Narration follows publishing: receivers are one line, the work is in actions.py.

They run inside the change's transaction (not after commit): the job row and its task
(django-tasks-db keeps tasks in the same database) are then written with the change, so a
process killed just after the commit cannot leave a published article with no narration
queued, as an on_commit hook would.
"""

from django.db.models.signals import post_save
from django.dispatch import receiver
from wagtail.signals import page_published

from newsdesk.articles.models import ArticlePage
from newsdesk.live.models import LiveUpdateChange
from newsdesk.narration import actions


@receiver(page_published, sender=ArticlePage)
def narrate_published_article(sender, instance, **kwargs):
    actions.request_narration_by_id(instance.pk)


@receiver(post_save, sender=LiveUpdateChange)
def refresh_live_briefing(sender, instance, created, **kwargs):
    actions.request_briefing_if_key(instance.update_id)
