from django.utils.translation import gettext_lazy as _
from wagtail import hooks
from wagtail.admin.viewsets.base import ViewSetGroup
from wagtail.permissions import register_permission_policy
from wagtail.snippets.models import register_snippet
from wagtail.snippets.views.snippets import SnippetViewSet

from newsdesk.narration.admin_views import LiveBriefingViewSet, NarrationViewSet, ReadOnlyPolicy
from newsdesk.narration.models import LexiconEntry, LiveBriefing, Narration

register_permission_policy(Narration, ReadOnlyPolicy(Narration))
register_permission_policy(LiveBriefing, ReadOnlyPolicy(LiveBriefing))


class LexiconViewSet(SnippetViewSet):
    model = LexiconEntry
    icon = "openquote"
    menu_label = _("Pronunciations")
    menu_order = 310
    list_display = ["term", "pronunciation", "kind", "note"]
    search_fields = ["term"]
    add_to_admin_menu = True


class NarrationGroup(ViewSetGroup):
    menu_label = _("Narration")
    menu_icon = "media"
    menu_order = 300
    items = (
        NarrationViewSet("narrations", url_prefix="narration/articles"),
        LiveBriefingViewSet("live_briefings", url_prefix="narration/briefings"),
    )


register_snippet(LexiconViewSet)


@hooks.register("register_admin_viewset")
def register_narration_viewsets():
    return NarrationGroup()
