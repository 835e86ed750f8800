"""Changes to live updates refresh the reader pages that show them (pagecache/actions.py)."""

from django.db.models.signals import post_save
from django.dispatch import receiver

from newsdesk.live.models import LiveUpdateChange
from newsdesk.pagecache import actions


# Every change to a live update (post, edit, correction, deletion) records one of these.
@receiver(post_save, sender=LiveUpdateChange)
def refresh_live_feed(sender, instance, **kwargs):
    actions.refresh_live_feed(instance.update.feed_id)
