"""The narration screens in the Wagtail admin: job status, "regenerate", lexicon preview."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from wagtail.admin.ui.tables import Column
from wagtail.admin.views.generic import IndexView
from wagtail.admin.viewsets.model import ModelViewSet
from wagtail.admin.widgets.button import MenuItem
from wagtail.permission_policies import ModelPermissionPolicy

from newsdesk.narration import actions
from newsdesk.narration.models import AudioStatus, LiveBriefing, Narration


def minutes_and_seconds(seconds):
    if seconds is None:
        return ""
    whole = round(seconds)
    return f"{whole // 60}:{whole % 60:02d}"


class StatusColumn(Column):
    """Status in words, with the duration when ready and the error when not."""

    cell_template_name = "narration/admin/status_cell.html"

    def get_value(self, instance):
        return instance

    def get_cell_context_data(self, instance, parent_context):
        context = super().get_cell_context_data(instance, parent_context)
        context["row"] = instance
        context["duration"] = minutes_and_seconds(instance.duration)
        context["problem"] = instance.status == AudioStatus.FAILED or (
            instance.status == AudioStatus.PENDING and instance.error
        )
        return context


class ReadOnlyPolicy(ModelPermissionPolicy):
    """Rows appear with their content; nobody adds or deletes them by hand."""

    def user_has_permission(self, user, action):
        if action in ("add", "delete"):
            return False
        return super().user_has_permission(user, action)


class JobIndexView(IndexView):
    regenerate_url_name = None

    def get_edit_url(self, instance):
        return None  # nothing to edit by hand: the title opens the details instead

    def get_list_more_buttons(self, instance):
        buttons = []
        if self.permission_policy.user_has_permission(self.request.user, "change"):
            buttons.append(
                MenuItem(
                    _("Regenerate audio"),
                    url=reverse(self.regenerate_url_name, args=[instance.pk]),
                    icon_name="rotate",
                    priority=5,
                )
            )
        return buttons + super().get_list_more_buttons(instance)


class JobViewSet(ModelViewSet):
    icon = "media"
    index_view_class = JobIndexView
    inspect_view_enabled = True
    copy_view_enabled = False
    form_fields = []
    list_filter = ["status"]
    inspect_view_fields = [
        "status",
        "error",
        "attempts",
        "requested_at",
        "finished_at",
        "duration",
        "audio",
        "voice",
    ]

    def get_index_view_kwargs(self, **kwargs):
        return super().get_index_view_kwargs(
            regenerate_url_name=self.get_url_name("regenerate"), **kwargs
        )

    def get_urlpatterns(self):
        from django.urls import path

        return [
            *super().get_urlpatterns(),
            path("<int:pk>/regenerate/", self.regenerate_view, name="regenerate"),
        ]

    def regenerate_view(self, request, pk):
        if not self.permission_policy.user_has_permission(request.user, "change"):
            raise PermissionDenied
        row = get_object_or_404(self.model, pk=pk)
        if request.method == "POST":
            queued = regenerate(row)
            if queued:
                messages.success(request, _("'%(name)s': new audio is on its way.") % {"name": row})
            else:
                messages.error(
                    request,
                    _("'%(name)s' cannot be narrated: %(reason)s")
                    % {"name": row, "reason": row_error(row)},
                )
            return redirect(self.get_url_name("index"))
        return TemplateResponse(
            request,
            "narration/admin/confirm_regenerate.html",
            {"row": row, "index_url": reverse(self.get_url_name("index"))},
        )


def regenerate(row):
    if isinstance(row, Narration):
        return actions.request_narration(row.article, force=True)
    return actions.request_briefing(row.feed_id, force=True)


def row_error(row):
    row.refresh_from_db()
    return row.error or _("it is not published, or has nothing to read.")


class NarrationViewSet(JobViewSet):
    model = Narration
    menu_label = gettext_lazy("Article audio")
    list_display = ["article", StatusColumn("status", label=gettext_lazy("Status")), "finished_at"]
    search_fields = None


class LiveBriefingViewSet(JobViewSet):
    model = LiveBriefing
    menu_label = gettext_lazy("Live briefings")
    list_display = ["feed", StatusColumn("status", label=gettext_lazy("Status")), "finished_at"]
