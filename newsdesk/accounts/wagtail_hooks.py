from django.urls import path, reverse
from django.utils.translation import gettext_lazy as _
from wagtail import hooks
from wagtail.admin.menu import MenuItem

from newsdesk.accounts import views


@hooks.register("register_admin_urls")
def register_mfa_urls():
    return [
        path("mfa/verify/", views.verify, name="newsdesk_mfa_verify"),
        path("mfa/setup/", views.setup, name="newsdesk_mfa_setup"),
        path("mfa/backup-codes/", views.regenerate_backup_codes, name="newsdesk_mfa_codes"),
        path("mfa/users/", views.users, name="newsdesk_mfa_users"),
        path("mfa/users/<int:pk>/reset/", views.reset, name="newsdesk_mfa_reset"),
    ]


class _ResetMenuItem(MenuItem):
    def is_shown(self, request):
        return request.user.has_perm(views.RESET_PERMISSION)


@hooks.register("register_settings_menu_item")
def register_mfa_users_menu_item():
    return _ResetMenuItem(
        _("Two-step sign-in"), reverse("newsdesk_mfa_users"), icon_name="key", order=610
    )


@hooks.register("register_account_menu_item")
def register_own_mfa_menu_item(request):
    return {
        "url": reverse("newsdesk_mfa_setup"),
        "label": _("Two-step sign-in"),
        "help_text": _("Your authenticator app and backup codes."),
    }
