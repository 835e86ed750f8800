"""Sources in the Wagtail admin: editors see each one's status row in plain words; editors
and administrators add and change them (accounts/roles.py); items are read, never edited."""

from django.utils.translation import gettext_lazy as _
from wagtail.admin.ui.tables import Column
from wagtail.snippets.models import register_snippet
from wagtail.snippets.views.snippets import SnippetViewSet

from newsdesk.sources.models import AlertRule, Source


class StatusColumn(Column):
    def get_value(self, instance):
        return instance.status_text()


class SourceViewSet(SnippetViewSet):
    model = Source
    icon = "radio-full"
    menu_label = _("Sources")
    menu_order = 320
    add_to_admin_menu = True
    list_display = ["name", "kind", StatusColumn("status", label=_("Status"))]
    list_filter = ["kind", "enabled"]
    search_fields = ["name", "url", "folder"]
    copy_view_enabled = False
    inspect_view_enabled = True
    inspect_view_fields = [
        "name", "kind", "url", "folder", "interval", "language", "verification", "enabled",
        "allow_private", "last_fetch_at", "last_new_item_at", "last_error", "last_error_at",
        "failures", "next_fetch_at",
    ]  # fmt: skip


register_snippet(SourceViewSet)


class AlertRuleViewSet(SnippetViewSet):
    """Words the desk's Incoming column highlights (and may sound a tone for)."""

    model = AlertRule
    icon = "warning"
    menu_label = _("Alert words")
    menu_order = 321
    add_to_admin_menu = True
    list_display = ["words", "sound", "enabled"]
    list_filter = ["sound", "enabled"]
    search_fields = ["words"]
    copy_view_enabled = False


register_snippet(AlertRuleViewSet)
