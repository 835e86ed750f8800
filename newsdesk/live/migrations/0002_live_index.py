"""Create /live/, where live feeds live, under the home page."""

from django.db import migrations


def create_live_index(apps, schema_editor):
    ContentType = apps.get_model("contenttypes.ContentType")
    Page = apps.get_model("wagtailcore.Page")
    LiveIndexPage = apps.get_model("live.LiveIndexPage")
    home = Page.objects.filter(depth=2).order_by("path").first()
    if home is None or Page.objects.filter(depth=3, slug="live", path__startswith=home.path).exists():
        return
    last_child = Page.objects.filter(depth=3, path__startswith=home.path).order_by("-path").first()
    next_number = int(last_child.path[-4:], 36) + 1 if last_child else 1
    live_type, _ = ContentType.objects.get_or_create(app_label="live", model="liveindexpage")
    LiveIndexPage.objects.create(
        title="Live",
        draft_title="Live",
        slug="live",
        content_type=live_type,
        path=home.path + _base36(next_number).rjust(4, "0"),
        depth=3,
        numchild=0,
        url_path=home.url_path + "live/",
        live=True,
        locale_id=home.locale_id,
    )
    home.numchild += 1
    home.save(update_fields=["numchild"])


def _base36(number):
    digits = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
    text = ""
    while number:
        number, remainder = divmod(number, 36)
        text = digits[remainder] + text
    return text or "0"


def remove_live_index(apps, schema_editor):
    apps.get_model("wagtailcore.Page").objects.filter(depth=3, slug="live").delete()


class Migration(migrations.Migration):
    dependencies = [
        ("live", "0001_initial"),
        ("articles", "0003_site_structure"),
    ]

    operations = [migrations.RunPython(create_live_index, remove_live_index)]
