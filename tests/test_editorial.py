"""The editorial workflow in the Wagtail admin: roles, publishing, scheduling, bad input."""

from datetime import timedelta

import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone
from wagtail.models import Revision
from wagtail.test.utils.form_data import inline_formset, nested_form_data, rich_text, streamfield

from newsdesk.accounts import roles
from newsdesk.articles.models import ArticlePage, NewsIndexPage
from newsdesk.server.scheduler import publish_due_pages
from tests.factories import make_article, make_author, make_image

pytestmark = pytest.mark.django_db


def article_form(author, **overrides):
    fields = {
        "title": "Council approves new shelters",
        "slug": "council-approves-new-shelters",
        "standfirst": "",
        "byline": inline_formset([{"author": author.pk}]),
        "hero_image": "",
        "hero_alt": "",
        "hero_caption": "",
        "hero_credit": "",
        "body": streamfield(
            [("paragraph", {"text": rich_text("<p>Twelve shelters will open.</p>")})]
        ),
        "corrections": inline_formset([]),
        "related_links": inline_formset([]),
        "comments": inline_formset([]),
        "first_published_at": "",
        "last_substantive_update": "",
        "go_live_at": "",
        "expire_at": "",
        "seo_title": "",
        "search_description": "",
    }
    fields.update(overrides)
    return nested_form_data(fields)


def add_url():
    news = NewsIndexPage.objects.get()
    return reverse("wagtailadmin_pages:add", args=("articles", "articlepage", news.pk))


def post_article(client, author, action, **overrides):
    data = article_form(author, **overrides)
    if action:
        data[action] = "1"
    return client.post(add_url(), data)


def test_anonymous_visitors_are_sent_to_the_login_page(client):
    response = client.get("/admin/")
    assert response.status_code == 302
    assert response["Location"].startswith("/admin/login/")


def test_contributor_can_write_a_draft_and_submit_it_but_not_publish(client_for):
    client, _ = client_for(roles.CONTRIBUTORS)
    author = make_author()
    post_article(client, author, "action-publish")
    article = ArticlePage.objects.get(slug="council-approves-new-shelters")
    assert not article.live

    post_article(client, author, "action-submit", slug="second-draft", title="Second draft")
    submitted = ArticlePage.objects.get(slug="second-draft")
    assert not submitted.live
    assert submitted.current_workflow_state is not None


def test_contributor_cannot_edit_other_peoples_articles(client_for):
    client, _ = client_for(roles.CONTRIBUTORS)
    article = make_article()
    response = client.get(reverse("wagtailadmin_pages:edit", args=(article.pk,)))
    assert response.status_code in (302, 403)


def test_editor_can_publish(client_for):
    client, _ = client_for(roles.EDITORS)
    response = post_article(client, make_author(), "action-publish")
    assert response.status_code == 302
    article = ArticlePage.objects.get(slug="council-approves-new-shelters")
    assert article.live
    assert article.first_published_at is not None
    assert client.get(article.url, secure=True).status_code == 200


def test_editor_can_unpublish(client_for):
    client, _ = client_for(roles.EDITORS)
    article = make_article()
    response = client.post(reverse("wagtailadmin_pages:unpublish", args=(article.pk,)))
    assert response.status_code == 302
    article.refresh_from_db()
    assert not article.live


@pytest.mark.parametrize(
    ("role", "allowed"),
    [(roles.CONTRIBUTORS, False), (roles.EDITORS, False), (roles.ADMINISTRATORS, True)],
)
def test_only_administrators_manage_users(client_for, role, allowed):
    client, _ = client_for(role)
    response = client.get(reverse("wagtailusers_users:index"))
    assert (response.status_code == 200) is allowed


@pytest.mark.parametrize(
    ("role", "can_publish"),
    [(roles.CONTRIBUTORS, False), (roles.EDITORS, True), (roles.ADMINISTRATORS, True)],
)
def test_publish_permission_per_role(client_for, role, can_publish):
    _, user = client_for(role)
    article = make_article()
    assert article.permissions_for_user(user).can_publish() is can_publish


def test_scheduled_article_goes_live_when_its_time_comes(client_for):
    client, _ = client_for(roles.EDITORS)
    soon = timezone.localtime() + timedelta(hours=1)
    post_article(
        client, make_author(), "action-publish", go_live_at=soon.strftime("%Y-%m-%d %H:%M")
    )
    article = ArticlePage.objects.get(slug="council-approves-new-shelters")
    assert not article.live
    revision = Revision.objects.get(object_id=str(article.pk), approved_go_live_at__isnull=False)

    call_command("publish_scheduled", verbosity=0)
    article.refresh_from_db()
    assert not article.live, "published before its time"

    # Let the hour pass: move the schedule into the past, as the clock would.
    past = timezone.now() - timedelta(minutes=1)
    revision.approved_go_live_at = past
    revision.content["go_live_at"] = past.isoformat()
    revision.save(update_fields=["approved_go_live_at", "content"])

    publish_due_pages()
    article.refresh_from_db()
    assert article.live


def test_preview_renders_a_draft(client_for):
    client, _ = client_for(roles.EDITORS)
    article = make_article(publish=False)
    # Behind the production proxy, which says the reader's connection was HTTPS.
    response = client.get(
        reverse("wagtailadmin_pages:view_draft", args=(article.pk,)),
        headers={"X-Forwarded-Proto": "https"},
    )
    assert response.status_code == 200
    assert article.title.encode() in response.content


def test_revisions_allow_going_back(client_for):
    article = make_article("First headline")
    first_revision = article.latest_revision
    article.title = "Second headline"
    article.save_revision().publish()
    first_revision.publish()
    article.refresh_from_db()
    assert article.title == "First headline"


# --- Bad input: a clear message, nothing saved half-way ----------------------------------


def test_hero_image_without_alt_text_is_refused_with_a_message(client_for):
    client, _ = client_for(roles.EDITORS)
    image = make_image()
    response = post_article(client, make_author(), "action-publish", hero_image=str(image.pk))
    assert response.status_code == 200
    assert b"Describe the photo for readers who cannot see it." in response.content
    assert not ArticlePage.objects.filter(slug="council-approves-new-shelters").exists()


def test_body_image_without_alt_text_is_refused(client_for):
    client, _ = client_for(roles.EDITORS)
    image = make_image()
    body = streamfield([("image", {"image": image.pk, "alt": "", "caption": "", "credit": ""})])
    response = post_article(client, make_author(), "action-publish", body=body)
    assert response.status_code == 200
    assert b"This field is required" in response.content
    assert not ArticlePage.objects.filter(slug="council-approves-new-shelters").exists()


def test_duplicate_slug_is_refused_with_a_message(client_for):
    client, _ = client_for(roles.EDITORS)
    make_article("Council approves new shelters", slug="council-approves-new-shelters")
    response = post_article(client, make_author(), "action-publish", title="Another story")
    assert response.status_code == 200
    assert b"is already in use" in response.content
    assert ArticlePage.objects.filter(title="Another story").count() == 0


def test_publish_time_in_the_dst_gap_is_refused_with_a_message(client_for, settings):
    settings.TIME_ZONE = "Europe/Kyiv"
    client, _ = client_for(roles.EDITORS)
    # Clocks in Kyiv jumped from 03:00 to 04:00 on March 31, 2024: 03:30 never happened.
    response = post_article(
        client, make_author(), "action-publish", first_published_at="2024-03-31 03:30"
    )
    assert response.status_code == 200
    assert b"couldn" in response.content and b"Europe/Kyiv" in response.content
    assert not ArticlePage.objects.filter(slug="council-approves-new-shelters").exists()


def test_article_without_an_author_is_refused(client_for):
    client, _ = client_for(roles.EDITORS)
    response = post_article(client, make_author(), "action-publish", byline=inline_formset([]))
    assert response.status_code == 200
    assert not ArticlePage.objects.filter(slug="council-approves-new-shelters").exists()


def test_a_draft_saves_with_a_blank_new_byline_row_and_publishing_asks_for_the_author(
    client_for,
):
    """Autosave posts the form as it stands: the blank author row Wagtail shows (or one just
    added) must not stop the draft, or every autosave of a new article fails (core/panels.py)."""
    client, _ = client_for(roles.EDITORS)
    blank = inline_formset([{"author": ""}])
    response = post_article(client, make_author(), None, byline=blank)
    assert response.status_code == 302, response.context and response.context["form"].errors
    draft = ArticlePage.objects.get(slug="council-approves-new-shelters")
    assert not draft.live
    assert list(draft.get_latest_revision_as_object().byline.all()) == []

    response = post_article(
        client, make_author(), "action-publish", byline=blank, slug="second", title="Second"
    )
    assert response.status_code == 200
    assert b"This field is required" in response.content
    assert not ArticlePage.objects.filter(slug="second").exists()


def test_rich_text_is_sanitised_on_the_way_in(client_for):
    client, _ = client_for(roles.EDITORS)
    hostile = '<p>Hello<script>alert(1)</script> <a href="javascript:alert(2)">link</a></p>'
    body = streamfield([("paragraph", {"text": rich_text(hostile)})])
    post_article(client, make_author(), "action-publish", body=body)
    article = ArticlePage.objects.get(slug="council-approves-new-shelters")
    html = client.get(article.url).content.decode()
    assert "Hello" in html
    assert "<script>alert" not in html  # the tag goes; its words stay as harmless text
    assert "javascript:" not in html
