"""The admin's page form, minus the fields a user who may not publish must not set.

Contributors write drafts; when an editor approves one, Wagtail publishes the draft as it
stands, go-live date included. So the publishing dates (go_live_at, expire_at) and the dates
shown to readers are removed from the form for anyone who cannot publish the page: a forged
POST cannot set them either. The owner is never a form field (Wagtail sets it).
"""

from wagtail.admin.forms import WagtailAdminPageForm

PUBLISHER_ONLY_FIELDS = ("go_live_at", "expire_at", "first_published_at", "last_substantive_update")


class NewsdeskPageForm(WagtailAdminPageForm):
    def __init__(self, *args, for_user=None, parent_page=None, **kwargs):
        super().__init__(*args, for_user=for_user, parent_page=parent_page, **kwargs)
        if for_user is None or self._may_publish(for_user, parent_page):
            return
        for name in PUBLISHER_ONLY_FIELDS:
            self.fields.pop(name, None)

    def _may_publish(self, user, parent_page):
        if self.instance.pk:
            return self.instance.permissions_for_user(user).can_publish()
        if parent_page is None:
            return False
        return parent_page.permissions_for_user(user).can_publish_subpage()
