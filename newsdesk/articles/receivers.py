"""Changes to authors and topics refresh the reader pages that show them (pagecache/actions.py)."""

from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from newsdesk.articles.models import Author, Topic
from newsdesk.pagecache import actions


@receiver(post_save, sender=Author)
@receiver(post_delete, sender=Author)
def refresh_author(sender, instance, **kwargs):
    actions.refresh_author(instance)


@receiver(post_save, sender=Topic)
@receiver(post_delete, sender=Topic)
def refresh_topic(sender, instance, **kwargs):
    actions.refresh_topic(instance)
