"""Changes that alter reader pages: receivers are one line, the work is in actions.py."""

from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver
from wagtail.images import get_image_model
from wagtail.models import PageViewRestriction, Site
from wagtail.signals import page_published, page_unpublished, post_page_move

from newsdesk.pagecache import actions

# The apps built on the page cache connect their own models' changes: articles/receivers.py
# (authors, topics), live/receivers.py (live updates). This app imports none of them.


# Wagtail sends page_unpublished when a live page is deleted, and page_published when a
# scheduled revision goes live (`publish_scheduled`, run by the worker); a move changes URLs.
@receiver(page_published)
@receiver(page_unpublished)
@receiver(post_page_move)
def refresh_page(sender, instance, **kwargs):
    actions.refresh_page(instance)


@receiver(post_save, sender=get_image_model())
@receiver(post_delete, sender=get_image_model())
def refresh_image(sender, instance, **kwargs):
    actions.refresh_image(instance)


# A Site's host, port or root page decides how every URL is routed.
@receiver(post_save, sender=PageViewRestriction)
@receiver(post_delete, sender=PageViewRestriction)
@receiver(post_save, sender=Site)
@receiver(post_delete, sender=Site)
def refresh_everything(sender, instance, **kwargs):
    actions.refresh_everything()
