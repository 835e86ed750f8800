"""The three editorial roles, as Django groups with least-privilege permissions.

Contributors write drafts and submit them for moderation; Editors publish, schedule, unpublish
and approve; Administrators may do everything, including managing users. `ensure_roles` runs
after every `migrate`, so the groups always match this file; docs/roles.md explains them.
"""

from django.contrib.auth.models import Group, Permission

CONTRIBUTORS = "Contributors"
EDITORS = "Editors"
ADMINISTRATORS = "Administrators"

# Page permissions granted on the whole tree (wagtailcore.page codenames, minus "_page").
PAGE_PERMISSIONS = {
    CONTRIBUTORS: ["add"],
    EDITORS: ["add", "change", "publish", "lock", "unlock"],
    ADMINISTRATORS: ["add", "change", "publish", "bulk_delete", "lock", "unlock"],
}

# Model permissions as "app_label.codename".
MODEL_PERMISSIONS = {
    CONTRIBUTORS: [
        "wagtailadmin.access_admin",
        "images.add_newsimage",
        "images.choose_newsimage",
        "wagtaildocs.add_document",
        "wagtaildocs.choose_document",
        "articles.view_author",
        "articles.view_topic",
        "live.add_liveupdate",
        "live.change_liveupdate",
        "live.view_liveupdate",
        "narration.view_narration",
        "narration.view_livebriefing",
        "narration.view_lexiconentry",
        "sources.view_source",
        "sources.view_alertrule",
    ],
    EDITORS: [
        "wagtailadmin.access_admin",
        "images.add_newsimage",
        "images.change_newsimage",
        "images.delete_newsimage",
        "images.choose_newsimage",
        "wagtaildocs.add_document",
        "wagtaildocs.change_document",
        "wagtaildocs.delete_document",
        "wagtaildocs.choose_document",
        "articles.add_author",
        "articles.change_author",
        "articles.view_author",
        "articles.add_topic",
        "articles.change_topic",
        "articles.view_topic",
        "wagtailredirects.add_redirect",
        "wagtailredirects.change_redirect",
        "wagtailredirects.delete_redirect",
        "live.add_liveupdate",
        "live.change_liveupdate",
        "live.view_liveupdate",
        "live.publish_liveupdate",
        "live.delete_liveupdate",
        "narration.view_narration",
        "narration.change_narration",
        "narration.view_livebriefing",
        "narration.change_livebriefing",
        "narration.add_lexiconentry",
        "narration.change_lexiconentry",
        "narration.delete_lexiconentry",
        "narration.view_lexiconentry",
        "sources.add_source",
        "sources.change_source",
        "sources.delete_source",
        "sources.view_source",
        "sources.add_alertrule",
        "sources.change_alertrule",
        "sources.delete_alertrule",
        "sources.view_alertrule",
    ],
}


def _permissions(names):
    found = []
    for name in names:
        app_label, codename = name.split(".")
        permission = Permission.objects.filter(
            content_type__app_label=app_label, codename=codename
        ).first()
        if permission is not None:
            found.append(permission)
    return found


def ensure_roles(**kwargs):
    """Create or update the role groups and the moderation workflow (idempotent)."""
    from django.apps import apps
    from django.contrib.auth.management import create_permissions
    from wagtail.models import GroupApprovalTask, GroupPagePermission, Page

    # post_migrate reaches apps one by one; make sure every app's permissions exist first.
    for app_config in apps.get_app_configs():
        create_permissions(app_config, verbosity=0)

    root = Page.get_first_root_node()
    if root is None:
        return
    groups = {name: Group.objects.get_or_create(name=name)[0] for name in PAGE_PERMISSIONS}

    groups[ADMINISTRATORS].permissions.set(Permission.objects.all())
    for name in (CONTRIBUTORS, EDITORS):
        groups[name].permissions.set(_permissions(MODEL_PERMISSIONS[name]))

    for name, kinds in PAGE_PERMISSIONS.items():
        wanted = _permissions(f"wagtailcore.{kind}_page" for kind in kinds)
        GroupPagePermission.objects.filter(group=groups[name]).exclude(
            permission__in=wanted
        ).delete()
        for permission in wanted:
            GroupPagePermission.objects.get_or_create(
                group=groups[name], page=root, permission=permission
            )

    # Wagtail's default workflow asks its "Moderators" group to approve; ours are the editors.
    for task in GroupApprovalTask.objects.all():
        task.groups.add(groups[EDITORS], groups[ADMINISTRATORS])
