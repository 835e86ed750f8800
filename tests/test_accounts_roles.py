"""The role × URL × method policy of docs/roles.md ("Who may open what"), CSRF, and fields
contributors may not set."""

import pytest
from django.test import Client
from wagtail.models import Page

from newsdesk.accounts import roles
from newsdesk.articles.models import ArticlePage, NewsIndexPage
from tests.conftest import https_client
from tests.factories import make_article, make_live_feed, make_user, post, verify_mfa

pytestmark = pytest.mark.django_db
ANON, CONTRIB, EDITOR, ADMIN = "anonymous", roles.CONTRIBUTORS, roles.EDITORS, roles.ADMINISTRATORS
ROLES = [ANON, CONTRIB, EDITOR, ADMIN]
LOGIN, OK, DENIED, DONE = "login", "ok", "denied", "done"


def row(*outcomes):
    return dict(zip(ROLES, outcomes, strict=True))


# (method, url, {role: outcome}); urls are formatted with the objects made below.
POLICY = [
    ("GET", "/admin/", row(LOGIN, OK, OK, OK)),
    ("GET", "/admin/pages/{news}/", row(LOGIN, OK, OK, OK)),
    ("GET", "/admin/users/", row(LOGIN, DENIED, DENIED, OK)),
    ("GET", "/admin/groups/", row(LOGIN, DENIED, DENIED, OK)),
    ("GET", "/admin/redirects/", row(LOGIN, DENIED, OK, OK)),
    ("GET", "/admin/mfa/users/", row(LOGIN, DENIED, DENIED, OK)),
    ("POST", "/admin/pages/{article}/unpublish/", row(LOGIN, DENIED, DONE, DONE)),
    ("GET", "/desk/", row(LOGIN, OK, OK, OK)),
    ("POST", "/desk/updates/{update}/publish/", row(LOGIN, DENIED, DONE, DONE)),
    ("POST", "/desk/updates/{update}/delete/", row(LOGIN, DENIED, DONE, DONE)),
    ("POST", "/api/live/{feed}/updates", row("401", "401", "401", "401")),
]


def outcome(response):
    location = response.get("Location", "")
    if response.status_code == 302 and "/admin/login/" in location:
        return LOGIN
    if response.status_code == 403 or (response.status_code == 302 and location == "/admin/"):
        return DENIED  # Wagtail answers refusals with a redirect to the dashboard
    if response.status_code == 200:
        return OK
    if response.status_code in (301, 302):
        return DONE
    return str(response.status_code)


def client_in(role, enforce_csrf=False):
    client = Client(enforce_csrf_checks=enforce_csrf)
    if role == ANON:
        return client
    user = make_user(f"matrix-{role}".lower(), role)
    client.force_login(user)
    if role != CONTRIB:
        verify_mfa(client, user)
    return client


@pytest.mark.parametrize("role", ROLES)
def test_role_url_method_matrix(role):
    client = client_in(role)
    failures = []
    for method, template, expected in POLICY:
        feed = make_live_feed(f"Feed for {template}")
        objects = {
            "news": NewsIndexPage.objects.get().pk,
            "article": make_article().pk,
            "update": post(feed, publish=False).pk,
            "feed": feed.slug,
        }
        url = template.format(**objects)
        response = client.generic(method, url, secure=True)
        got = outcome(response)
        if got != expected[role]:
            failures.append((method, url, expected[role], got))
    assert not failures


@pytest.mark.parametrize("role", [EDITOR, ADMIN])
def test_csrf_is_refused_on_every_state_changing_route(role):
    client = client_in(role, enforce_csrf=True)
    feed = make_live_feed()
    update = post(feed, publish=False)
    article = make_article()
    for url in [
        "/desk/",
        f"/desk/updates/{update.pk}/publish/",
        f"/desk/updates/{update.pk}/delete/",
        f"/desk/updates/{update.pk}/edit/",
        f"/desk/updates/{update.pk}/correct/",
        f"/admin/pages/{article.pk}/unpublish/",
        f"/admin/pages/{article.pk}/edit/",
        "/admin/mfa/backup-codes/",
        "/admin/logout/",
    ]:
        response = client.post(url, {}, secure=True, HTTP_ORIGIN="https://evil.example")
        assert response.status_code == 403, url


def test_contributor_cannot_set_publish_state_dates_or_owner(client_for):
    client, contributor = client_for(CONTRIB)
    _, editor = client_for(EDITOR)
    news = NewsIndexPage.objects.get()
    edit = client.get(f"/admin/pages/add/articles/articlepage/{news.pk}/")
    assert b'name="go_live_at"' not in edit.content
    assert b'name="first_published_at"' not in edit.content
    form = {
        "title": "Forged",
        "slug": "forged",
        "standfirst": "A draft.",
        "body-count": "0",
        "byline-TOTAL_FORMS": "0",
        "byline-INITIAL_FORMS": "0",
        "corrections-TOTAL_FORMS": "0",
        "corrections-INITIAL_FORMS": "0",
        "related_links-TOTAL_FORMS": "0",
        "related_links-INITIAL_FORMS": "0",
        "comment_notifications": "",
        "comments-TOTAL_FORMS": "0",
        "comments-INITIAL_FORMS": "0",
        "go_live_at": "2030-01-01 10:00",
        "expire_at": "2030-02-01 10:00",
        "first_published_at": "2001-01-01 10:00",
        "owner": str(editor.pk),
        "action-publish": "publish",
    }
    client.post(f"/admin/pages/add/articles/articlepage/{news.pk}/", form)
    article = ArticlePage.objects.filter(slug="forged").first()
    if article is None:  # refused outright is also fine: nothing was published
        assert not Page.objects.filter(slug="forged").exists()
        return
    revision = article.latest_revision
    assert not article.live
    assert article.go_live_at is None and article.first_published_at is None
    assert revision.content.get("go_live_at") is None
    assert article.owner == contributor


def test_editor_still_sees_the_publishing_dates(client_for):
    client, _ = client_for(EDITOR)
    news = NewsIndexPage.objects.get()
    page = client.get(f"/admin/pages/add/articles/articlepage/{news.pk}/")
    assert b'name="go_live_at"' in page.content and b'name="first_published_at"' in page.content
    assert https_client().get("/admin/").status_code == 302
