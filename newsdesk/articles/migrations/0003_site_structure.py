"""Replace Wagtail's placeholder home page with the newsroom's home and its /news/ section."""

from django.db import migrations


def create_site_structure(apps, schema_editor):
    ContentType = apps.get_model("contenttypes.ContentType")
    Page = apps.get_model("wagtailcore.Page")
    Site = apps.get_model("wagtailcore.Site")
    Locale = apps.get_model("wagtailcore.Locale")
    HomePage = apps.get_model("articles.HomePage")
    NewsIndexPage = apps.get_model("articles.NewsIndexPage")

    # Wagtail's own migrations create a "Welcome" page at depth 2; ours takes its place.
    Page.objects.filter(depth=2, content_type__app_label="wagtailcore").delete()
    locale = Locale.objects.first()
    home_type, _ = ContentType.objects.get_or_create(model="homepage", app_label="articles")
    news_type, _ = ContentType.objects.get_or_create(model="newsindexpage", app_label="articles")
    home = HomePage.objects.create(
        title="Home",
        draft_title="Home",
        slug="home",
        content_type=home_type,
        path="00010001",
        depth=2,
        numchild=1,
        url_path="/home/",
        live=True,
        locale=locale,
    )
    NewsIndexPage.objects.create(
        title="News",
        draft_title="News",
        slug="news",
        content_type=news_type,
        path="000100010001",
        depth=3,
        numchild=0,
        url_path="/home/news/",
        live=True,
        locale=locale,
    )
    Page.objects.filter(depth=1).update(numchild=1)
    Site.objects.all().delete()
    Site.objects.create(hostname="localhost", root_page=home, is_default_site=True)


def remove_site_structure(apps, schema_editor):
    apps.get_model("wagtailcore.Site").objects.all().delete()
    apps.get_model("wagtailcore.Page").objects.filter(depth__gte=2).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("articles", "0002_initial"),
        ("wagtailcore", "0098_apitoken"),
    ]

    operations = [migrations.RunPython(create_site_structure, remove_site_structure)]
