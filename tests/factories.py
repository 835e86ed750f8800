"""Small factories for test data: each makes one thing, with sensible defaults."""

import hashlib
import hmac
import io
import itertools
import struct
import time
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

from newsdesk.accounts.roles import ensure_roles
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
    back what the next one needs, the editors' role groups included.
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
    # The role groups hang off the root page, so a flush takes them too (accounts/roles.py).
    ensure_roles()


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


def totp_code(device, step=None):
    """The code an authenticator app shows for `device` (RFC 6238, computed here, not by
    django-otp), for the next time step django-otp has not yet seen."""
    now = int(time.time()) // device.step if step is None else step
    if device.last_t is not None and device.last_t >= now:
        now = device.last_t + 1  # inside django-otp's tolerance of one step
    digest = hmac.new(device.bin_key, struct.pack(">Q", now), hashlib.sha1).digest()
    offset = digest[-1] & 0x0F
    number = struct.unpack(">I", digest[offset : offset + 4])[0] & 0x7FFFFFFF
    return str(number % 10**device.digits).zfill(device.digits)


def enrol_totp(user):
    from django_otp.plugins.otp_totp.models import TOTPDevice

    device = TOTPDevice.objects.filter(user=user, confirmed=True).first()
    return device or TOTPDevice.objects.create(user=user, name="Test phone", confirmed=True)


def verify_mfa(client, user):
    """Complete the MFA step of a signed-in test client the way an editor does: POST a code
    from the user's authenticator to /admin/mfa/verify/ (enrolling one first if needed)."""
    device = enrol_totp(user)
    client.get("/admin/mfa/verify/", secure=True)  # sets the CSRF cookie, as for a browser
    response = client.post(
        "/admin/mfa/verify/",
        {
            "code": totp_code(device),
            "next": "/admin/",
            "csrfmiddlewaretoken": client.cookies["csrftoken"].value,
        },
        secure=True,
        HTTP_ORIGIN="https://testserver",
    )
    assert response.status_code == 302 and response["Location"] == "/admin/", response
    return device


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


def http_scope(path, *, method="GET", scheme="https", host=b"localhost", headers=()):
    """An ASGI HTTP scope for `path` (with its query string), as a server builds one."""
    path, _, query = path.partition("?")
    return {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": method,
        "scheme": scheme,
        "path": path,
        "raw_path": path.encode(),
        "query_string": query.encode(),
        "root_path": "",
        "headers": [(b"host", host), *headers],
        "client": ("127.0.0.1", 50000),
        "server": ("127.0.0.1", 8000),
    }


def article_publish_form(title, slug, author_id, body_html, *, byline_id=None):
    """The Wagtail admin's article form as a browser posts it with "Publish": one author
    (`byline_id` for the existing byline row when editing), one paragraph, nothing else set."""
    from wagtail.test.utils.form_data import (
        inline_formset,
        nested_form_data,
        rich_text,
        streamfield,
    )

    author = {"author": author_id} if byline_id is None else {"id": byline_id, "author": author_id}
    return nested_form_data(
        {
            "title": title,
            "slug": slug,
            "standfirst": "",
            "byline": inline_formset([author], initial=0 if byline_id is None else 1),
            "hero_image": "",
            "hero_alt": "",
            "hero_caption": "",
            "hero_credit": "",
            "body": streamfield([("paragraph", {"text": rich_text(body_html)})]),
            "corrections": inline_formset([]),
            "related_links": inline_formset([]),
            "comments": inline_formset([]),
            "first_published_at": "",
            "last_substantive_update": "",
            "go_live_at": "",
            "expire_at": "",
            "seo_title": "",
            "search_description": "",
            "action-publish": "1",
        }
    )


def make_source(name=None, kind="rss", url="", folder="", **fields):
    """A source the tests' own server (tests/sourceserver.py) may serve: loopback allowed."""
    from newsdesk.sources.models import Source

    fields.setdefault("allow_private", True)
    return Source.objects.create(
        name=name or f"Source {next(_numbers)}", kind=kind, url=url, folder=folder, **fields
    )
