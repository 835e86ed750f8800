"""Small factories for test data: each makes one thing, with sensible defaults."""

import io
import itertools
from datetime import datetime

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.files.images import ImageFile
from django.utils.text import slugify
from PIL import Image as PillowImage
from wagtail.coreutils import get_supported_content_language_variant
from wagtail.images import get_image_model
from wagtail.models import Collection, Locale, Page, Site

from newsdesk.articles.models import (
    ArticleAuthor,
    ArticlePage,
    Author,
    HomePage,
    NewsIndexPage,
    Topic,
)

_numbers = itertools.count(1)


def ensure_site_structure():
    """The page tree migrations create (root, home, /news/, site), rebuilt after a flush.

    Transactional tests (the browser tests) empty every table when they finish; this puts
    back what the next one needs.
    """
    from newsdesk.live.models import LiveIndexPage

    if NewsIndexPage.objects.exists() and LiveIndexPage.objects.exists():
        return
    Locale.objects.get_or_create(
        language_code=get_supported_content_language_variant(settings.LANGUAGE_CODE)
    )
    if not Collection.objects.exists():
        Collection.add_root(name="Root")
    root = Page.get_first_root_node() or Page.add_root(instance=Page(title="Root", slug="root"))
    home = root.add_child(instance=HomePage(title="Home", slug="home"))
    home.add_child(instance=NewsIndexPage(title="News", slug="news"))
    home.add_child(instance=LiveIndexPage(title="Live", slug="live"))
    Site.objects.update_or_create(
        is_default_site=True, defaults={"hostname": "localhost", "root_page": home}
    )


def make_image(title="Test photo", credit="Newsroom photo desk", size=(1600, 1000)):
    buffer = io.BytesIO()
    PillowImage.new("RGB", size, (40, 90, 140)).save(buffer, format="JPEG")
    image = get_image_model()(title=title, credit=credit)
    image.file = ImageFile(buffer, name=f"{slugify(title)}-{next(_numbers)}.jpg")
    image.save()
    return image


def make_author(name=None, kind=Author.Kind.PERSON, **fields):
    name = name or f"Reporter {next(_numbers)}"
    return Author.objects.create(
        name=name, slug=slugify(name, allow_unicode=True), kind=kind, **fields
    )


def make_topic(name=None, **fields):
    name = name or f"Topic {next(_numbers)}"
    return Topic.objects.create(name=name, slug=slugify(name, allow_unicode=True), **fields)


def paragraphs(*texts):
    return [("paragraph", f"<p>{text}</p>") for text in texts]


def make_article(
    title=None,
    *,
    authors=None,
    body=None,
    topics=(),
    published_at: datetime | None = None,
    hero=True,
    publish=True,
    **fields,
):
    """An article under /news/, published through a revision as an editor would."""
    title = title or f"Article {next(_numbers)}"
    news = NewsIndexPage.objects.get()
    article = ArticlePage(
        title=title,
        slug=fields.pop("slug", slugify(title)),
        body=body if body is not None else paragraphs("A short paragraph of news."),
        first_published_at=published_at,
        live=False,
        **fields,
    )
    if hero:
        article.hero_image = make_image(f"{title} photo")
        article.hero_alt = fields.get("hero_alt") or "Rescuers clear rubble from a street"
        article.hero_caption = article.hero_caption or "Rescuers at work on Monday."
    for position, author in enumerate(authors or [make_author()]):
        article.byline.add(ArticleAuthor(author=author, sort_order=position))
    news.add_child(instance=article)
    article.topics.set(topics)
    revision = article.save_revision()
    if publish:
        revision.publish()
        article.refresh_from_db()
    return article


def make_user(username, role=None, password="correct horse battery staple 7"):  # noqa: S107
    user = get_user_model().objects.create_user(
        username=username, email=f"{username}@example.org", password=password
    )
    if role:
        user.groups.add(Group.objects.get(name=role))
    return user


def make_live_feed(title="Storm over the coast", **fields):
    from newsdesk.live.models import LiveFeedPage, LiveIndexPage

    ensure_site_structure()
    index = LiveIndexPage.objects.get()
    feed = LiveFeedPage(title=title, slug=fields.pop("slug", slugify(title)), live=False, **fields)
    index.add_child(instance=feed)
    feed.save_revision().publish()
    feed.refresh_from_db()
    return feed


def post(feed, headline="Water levels rise", **fields):
    from newsdesk.live.actions import post_update

    fields.setdefault("body", f"<p>{headline}: details follow.</p>")
    return post_update(feed, headline=headline, **fields)
