"""The live desk (/desk/): who may post, publish, edit, correct and delete, and no lost text."""

from datetime import datetime
from pathlib import Path

import pytest
from bs4 import BeautifulSoup
from django.test import Client

from newsdesk.accounts import roles
from newsdesk.desk.forms import body_text
from newsdesk.live.models import LiveUpdate, LiveUpdateChange
from tests.factories import make_live_feed, make_user, post, verify_mfa

pytestmark = pytest.mark.django_db

DESK_DIR = Path(__file__).resolve().parents[1] / "newsdesk" / "desk"


@pytest.fixture
def feed():
    return make_live_feed()


def form_data(feed, **fields):
    data = {
        "feed": feed.pk,
        "headline": "Bridge closed",
        "body": "Police closed the bridge.\n\nUse the <ferry> & the tunnel.",
        "source_name": "City police",
        "source_channel": "Telegram",
        "source_url": "https://t.me/example/1",
        "verification": "official",
        "is_key_event": "on",
        "publish": "publish",
    }
    data.update(fields)
    return {name: value for name, value in data.items() if value is not None}


def page(response):
    return BeautifulSoup(response.content, "html.parser")


def textarea(html, selector):
    """A textarea's value as a browser reads it: one leading newline is not part of it."""
    text = html.select_one(selector).get_text()
    return text[1:] if text.startswith("\n") else text


def messages_in(response):
    return [item.get_text(" ", strip=True) for item in page(response).select(".message")]


# --- Access ------------------------------------------------------------------------------


def test_anonymous_visitors_are_sent_to_the_admin_login(client):
    response = client.get("/desk/")
    assert response.status_code == 302
    assert response["Location"] == "/admin/login/?next=/desk/"
    assert client.post("/desk/", {"headline": "x"})["Location"].startswith("/admin/login/")


def test_users_without_admin_access_are_refused(client_for, feed):
    client, _ = client_for(None)
    assert client.get("/desk/").status_code == 403
    assert client.post("/desk/", form_data(feed)).status_code == 403
    assert not LiveUpdate.objects.exists()


def test_posting_needs_a_csrf_token(feed):
    client = Client(enforce_csrf_checks=True)
    editor = make_user("careful", roles.EDITORS)
    client.force_login(editor)
    verify_mfa(client, editor)
    response = client.post("/desk/", form_data(feed), secure=True)
    assert response.status_code == 403
    assert not LiveUpdate.objects.exists()


# --- The posting screen ------------------------------------------------------------------


def test_desk_page_lists_feeds_live_first_and_remembers_the_choice(client_for):
    ended = make_live_feed("Old storm", status="ended")
    running = make_live_feed("Election night")
    client, _ = client_for(roles.EDITORS)
    response = client.get("/desk/")
    assert response.status_code == 200
    options = [
        option.get_text(strip=True) for option in page(response).select("#feed-picker option")
    ]
    assert options[0] == "Election night" and options[1].startswith("Old storm")
    assert page(response).select_one("h1").get_text(" ", strip=True).startswith("Election night")

    response = client.get("/desk/", {"feed": ended.slug})
    assert page(response).select_one("input[name=feed]")["value"] == str(ended.pk)
    response = client.get("/desk/")  # remembered in the session
    assert page(response).select_one("input[name=feed]")["value"] == str(ended.pk)
    link = page(response).select_one(f"a[href='{ended.url}']")
    assert link.get_text(" ", strip=True).startswith("View as readers see it")
    assert running.pk != ended.pk


def test_desk_uses_static_files_only(client_for, feed):
    """CSP forbids inline script and style: everything comes from static files."""
    client, _ = client_for(roles.EDITORS)
    html = page(client.get("/desk/"))
    assert all(script.get("src") for script in html.find_all("script"))
    assert not html.find_all("style") and not html.select("[style]")
    assert not [tag for tag in html.find_all(True) if any(a.startswith("on") for a in tag.attrs)]
    assert (DESK_DIR / "static" / "desk" / "desk.js").exists()
    assert (DESK_DIR / "static" / "desk" / "desk.css").exists()


def test_editor_publishes_and_gets_the_sequence_number(client_for, feed):
    post(feed, "Earlier")
    client, editor = client_for(roles.EDITORS)
    response = client.post("/desk/", form_data(feed))
    assert response.status_code == 302
    assert response["Location"] == f"/desk/?feed={feed.slug}"
    update = LiveUpdate.objects.get(headline="Bridge closed")
    assert update.is_published and update.is_key_event and not update.is_pinned
    assert update.sequence == 2
    assert update.body == (
        "<p>Police closed the bridge.</p><p>Use the &lt;ferry&gt; &amp; the tunnel.</p>"
    )
    assert (update.source_name, update.source_channel, update.verification) == (
        "City police",
        "Telegram",
        "official",
    )
    assert update.created_by == editor

    response = client.get(response["Location"])
    assert "Published update #2: Bridge closed" in messages_in(response)
    assert b"Bridge closed" in client.get(feed.url).content  # readers see it


def test_editor_may_save_a_draft(client_for, feed):
    client, _ = client_for(roles.EDITORS)
    client.post("/desk/", form_data(feed, publish="draft"))
    update = LiveUpdate.objects.get()
    assert not update.is_published
    response = client.get("/desk/")
    assert f"Saved draft #{update.sequence}: Bridge closed" in messages_in(response)
    item = page(response).select_one(f"#update-{update.pk}")
    assert "item--draft" in item["class"] and "Draft" in item.get_text()


def test_contributor_can_only_save_drafts_even_when_forging_publish(client_for, feed):
    client, _ = client_for(roles.CONTRIBUTORS)
    response = client.get("/desk/")
    assert not page(response).select("input[name=publish]")
    assert "saved as a draft" in response.content.decode()

    response = client.post("/desk/", form_data(feed, publish="publish"))
    assert response.status_code == 302
    update = LiveUpdate.objects.get()
    assert not update.is_published
    assert b"Bridge closed" not in client.get(feed.url).content
    assert any("Saved draft" in message for message in messages_in(client.get("/desk/")))


def test_validation_errors_keep_everything_typed(client_for, feed):
    client, _ = client_for(roles.EDITORS)
    data = form_data(
        feed, headline="", source_url="not a link", body="Line one\n\nLine <two>", publish="draft"
    )
    response = client.post("/desk/", data)
    assert response.status_code == 200
    html = page(response)
    summary = html.select_one("[data-error-summary]")
    assert summary["role"] == "alert"
    assert {link["href"] for link in summary.select("a")} == {"#id_headline", "#id_source_url"}
    assert html.select_one("#id_headline")["aria-invalid"] == "true"
    assert "id_headline_error" in html.select_one("#id_headline")["aria-describedby"]
    assert html.select_one("#id_source_url")["value"] == "not a link"
    assert textarea(html, "#id_body") == "Line one\n\nLine <two>"
    assert html.select_one("#id_source_name")["value"] == "City police"
    assert html.select_one("#id_source_channel")["value"] == "Telegram"
    assert html.select_one("#id_verification option[selected]")["value"] == "official"
    assert html.select_one("#id_is_key_event").has_attr("checked")
    assert html.select_one("input[name=publish][value=draft]").has_attr("checked")
    assert not LiveUpdate.objects.exists()


def test_model_validation_messages_reach_the_fields(client_for, feed):
    """The form is checked again by the model (actions.post_update); those messages show too."""
    client, _ = client_for(roles.EDITORS)
    response = client.post("/desk/", form_data(feed, headline="   "))
    assert response.status_code == 200
    assert page(response).select_one("#id_headline_error")
    assert not LiveUpdate.objects.exists()


def test_post_to_a_vanished_feed_is_not_silently_lost(client_for, feed):
    client, _ = client_for(roles.EDITORS)
    feed.unpublish()
    response = client.post("/desk/", form_data(feed), follow=True)
    assert any("no longer published" in message for message in messages_in(response))


# --- Recent updates: edit, publish, correct, delete ------------------------------------


def test_recent_updates_show_drafts_and_actions_by_role(client_for, feed):
    published = post(feed, "Published one", body="<p>First &lt;para&gt;</p><p>Second</p>")
    draft = post(feed, "Draft one", publish=False)
    deleted = post(feed, "Gone")
    from newsdesk.live.actions import delete_update

    delete_update(deleted)

    editor, _ = client_for(roles.EDITORS)
    html = page(editor.get("/desk/"))
    assert html.select_one(f"#update-{published.pk}") and html.select_one(f"#update-{draft.pk}")
    assert not html.select_one(f"#update-{deleted.pk}")
    draft_item = html.select_one(f"#update-{draft.pk}")
    assert draft_item.select_one(f"form[action='/desk/updates/{draft.pk}/publish/']")
    published_item = html.select_one(f"#update-{published.pk}")
    assert str(published_item.select_one(".item__body")) == (
        '<p class="item__body">First &lt;para&gt;<br/><br/>Second</p>'
    )
    assert published_item.find("a", string="Add correction")
    assert published_item.find("a", string="Delete…")

    contributor, _ = client_for(roles.CONTRIBUTORS)
    html = page(contributor.get("/desk/"))
    draft_item = html.select_one(f"#update-{draft.pk}")
    published_item = html.select_one(f"#update-{published.pk}")
    assert draft_item.find("a", string="Edit") and not draft_item.select("form")
    assert not published_item.find("a", string="Edit")
    assert not html.find("a", string="Delete…") and not html.find("a", string="Add correction")


def test_editor_publishes_a_draft(client_for, feed):
    draft = post(feed, "Waiting", publish=False)
    client, editor = client_for(roles.EDITORS)
    assert client.get(f"/desk/updates/{draft.pk}/publish/").status_code == 405
    response = client.post(f"/desk/updates/{draft.pk}/publish/")
    assert response.status_code == 302
    draft.refresh_from_db()
    assert draft.is_published and draft.sequence == 2
    assert LiveUpdateChange.objects.filter(update=draft, user=editor, action="edit").exists()
    assert b"Waiting" in client.get(feed.url).content


def test_contributor_cannot_publish_delete_or_correct(client_for, feed):
    draft = post(feed, "Waiting", publish=False)
    published = post(feed, "Out there")
    client, _ = client_for(roles.CONTRIBUTORS)
    assert client.post(f"/desk/updates/{draft.pk}/publish/").status_code == 403
    assert client.get(f"/desk/updates/{draft.pk}/delete/").status_code == 403
    assert client.post(f"/desk/updates/{draft.pk}/delete/").status_code == 403
    assert client.get(f"/desk/updates/{published.pk}/correct/").status_code == 403
    assert client.get(f"/desk/updates/{published.pk}/edit/").status_code == 403
    draft.refresh_from_db()
    assert not draft.is_published and not draft.is_deleted


def edit_data(update, **fields):
    data = {
        "sequence": update.sequence,
        "headline": update.headline,
        "body": body_text(update.body)[0],
        "source_name": update.source_name,
        "source_channel": update.source_channel,
        "source_url": update.source_url,
        "verification": update.verification,
    }
    if update.is_key_event:
        data["is_key_event"] = "on"
    if update.is_pinned:
        data["is_pinned"] = "on"
    data.update(fields)
    return data


def test_contributor_edits_own_draft_but_it_stays_a_draft(client_for, feed):
    client, _ = client_for(roles.CONTRIBUTORS)
    draft = post(feed, "Firts draft", publish=False)
    response = client.get(f"/desk/updates/{draft.pk}/edit/")
    assert response.status_code == 200
    assert page(response).select_one("#id_headline")["value"] == "Firts draft"
    response = client.post(
        f"/desk/updates/{draft.pk}/edit/",
        edit_data(draft, headline="First draft", publish="publish"),
    )
    assert response.status_code == 302
    draft.refresh_from_db()
    assert draft.headline == "First draft" and not draft.is_published


def test_edit_form_round_trips_and_reports_errors(client_for, feed):
    update = post(feed, "Typo hedline", body="<p>One &amp; two</p><p>Three</p>")
    client, _ = client_for(roles.EDITORS)
    html = page(client.get(f"/desk/updates/{update.pk}/edit/"))
    assert textarea(html, "#id_body") == "One & two\n\nThree"

    response = client.post(
        f"/desk/updates/{update.pk}/edit/", edit_data(update, headline="", source_url="bad")
    )
    assert response.status_code == 200
    assert page(response).select_one("#id_source_url")["value"] == "bad"
    update.refresh_from_db()
    assert update.headline == "Typo hedline" and update.sequence == 1

    response = client.post(
        f"/desk/updates/{update.pk}/edit/", edit_data(update, headline="Typo headline")
    )
    assert response.status_code == 302
    update.refresh_from_db()
    assert update.headline == "Typo headline" and update.sequence == 2
    assert update.body == "<p>One &amp; two</p><p>Three</p>"  # unchanged text, unchanged body
    assert any("Saved update #2" in message for message in messages_in(client.get("/desk/")))


def test_edit_keeps_formatting_when_the_text_is_untouched(client_for, feed):
    rich = '<p>Read <a href="https://example.org">the order</a>.</p>'
    update = post(feed, "Order", body=rich)
    client, _ = client_for(roles.EDITORS)
    response = client.get(f"/desk/updates/{update.pk}/edit/")
    assert page(response).select_one("#formatted-note")
    client.post(f"/desk/updates/{update.pk}/edit/", edit_data(update, headline="The order"))
    update.refresh_from_db()
    assert update.headline == "The order" and update.body == rich


def test_edit_conflict_keeps_the_text_and_asks_again(client_for, feed):
    update = post(feed, "Original")
    client, _ = client_for(roles.EDITORS)
    stale = edit_data(update, headline="Mine")
    from newsdesk.live.actions import edit_update

    edit_update(update, headline="Theirs")
    response = client.post(f"/desk/updates/{update.pk}/edit/", stale)
    assert response.status_code == 200
    html = page(response)
    assert "Someone else changed" in html.select_one("[data-error-summary]").get_text()
    assert html.select_one("#id_headline")["value"] == "Mine"
    fresh = html.select_one("input[name=sequence]")["value"]
    assert fresh == str(update.sequence)
    response = client.post(f"/desk/updates/{update.pk}/edit/", {**stale, "sequence": fresh})
    assert response.status_code == 302
    update.refresh_from_db()
    assert update.headline == "Mine"


def test_editor_adds_a_correction(client_for, feed):
    update = post(feed, "Ten injured")
    client, editor = client_for(roles.EDITORS)
    assert client.get(f"/desk/updates/{update.pk}/correct/").status_code == 200

    response = client.post(
        f"/desk/updates/{update.pk}/correct/", edit_data(update, headline="Twelve injured")
    )
    assert response.status_code == 200  # the note is required
    assert page(response).select_one("#id_correction_error")
    assert page(response).select_one("#id_headline")["value"] == "Twelve injured"
    assert not update.corrections.exists()

    response = client.post(
        f"/desk/updates/{update.pk}/correct/",
        edit_data(update, headline="Twelve injured", correction="An earlier version said ten."),
    )
    assert response.status_code == 302
    update.refresh_from_db()
    assert update.headline == "Twelve injured"
    assert update.corrections.get().text == "An earlier version said ten."
    assert LiveUpdateChange.objects.filter(update=update, action="edit", user=editor).exists()
    assert b"An earlier version said ten." in client.get(feed.url).content


def test_drafts_are_edited_rather_than_corrected(client_for, feed):
    draft = post(feed, "Draft", publish=False)
    client, _ = client_for(roles.EDITORS)
    response = client.get(f"/desk/updates/{draft.pk}/correct/")
    assert response["Location"] == f"/desk/updates/{draft.pk}/edit/"


def test_delete_asks_first_then_deletes_on_post(client_for, feed):
    update = post(feed, "Wrong feed")
    client, editor = client_for(roles.EDITORS)
    response = client.get(f"/desk/updates/{update.pk}/delete/")
    assert response.status_code == 200
    form = page(response).select_one("form[method=post]")
    assert form.select_one("input[name=csrfmiddlewaretoken]")
    update.refresh_from_db()
    assert not update.is_deleted  # looking is not deleting

    response = client.post(f"/desk/updates/{update.pk}/delete/")
    assert response.status_code == 302
    update.refresh_from_db()
    assert update.is_deleted and update.sequence == 2
    assert LiveUpdateChange.objects.filter(update=update, action="delete", user=editor).exists()
    assert b"Wrong feed" not in client.get(feed.url).content
    assert client.get(f"/desk/updates/{update.pk}/edit/").status_code == 404


def test_every_desk_form_carries_a_csrf_token(client_for, feed):
    update = post(feed, "Something")
    draft = post(feed, "Draft", publish=False)
    client, _ = client_for(roles.EDITORS)
    for url in [
        "/desk/",
        f"/desk/updates/{update.pk}/edit/",
        f"/desk/updates/{update.pk}/correct/",
        f"/desk/updates/{draft.pk}/delete/",
    ]:
        for form in page(client.get(url)).select("form[method=post]"):
            assert form.select_one("input[name=csrfmiddlewaretoken]"), (url, form)


def test_body_text_reverses_the_paragraphs():
    from newsdesk.live.api import paragraphs

    text = "One <b>&amp;</b>\nstill one\n\nTwo"
    assert body_text(paragraphs(text)) == (text, False)
    assert body_text("<ul><li>a</li><li>b</li></ul>")[1] is True


# --- What we know --------------------------------------------------------------------------


def test_editor_sets_what_we_know_and_readers_see_it_with_its_time(client_for, client, feed):
    editor, _ = client_for(roles.EDITORS)
    response = editor.post(
        f"/desk/feeds/{feed.pk}/what-we-know/",
        {"what_we_know": "- Three districts evacuated\n\n• -5°C overnight\n"},
        follow=True,
    )
    assert "readers see it now" in " ".join(messages_in(response))
    feed.refresh_from_db()
    assert feed.what_we_know == "Three districts evacuated\n-5°C overnight"
    assert feed.what_we_know_at is not None
    assert feed.revisions.count() == 2  # a revision of its own, published
    assert not feed.has_unpublished_changes
    box = page(client.get(feed.url)).select_one(".live__known")
    assert [li.get_text() for li in box.select("li")] == [
        "Three districts evacuated",
        "-5°C overnight",
    ]
    assert box.select_one(".live__known-time").get_text(" ", strip=True).startswith("Updated")
    shown = datetime.fromisoformat(box.select_one("time")["datetime"])
    assert shown == feed.what_we_know_at
    # The desk shows the text to change next time.
    assert "Three districts evacuated" in textarea(page(editor.get("/desk/")), "#id_what_we_know")


def test_what_we_know_keeps_its_time_until_the_text_changes(client_for, feed):
    from newsdesk.live.actions import set_what_we_know

    first = set_what_we_know(feed, "Bridge closed").what_we_know_at
    feed.refresh_from_db()
    feed.summary = "A new summary"  # an admin publish that leaves the box alone
    feed.save_revision().publish()
    feed.refresh_from_db()
    assert feed.what_we_know_at == first
    assert set_what_we_know(feed, "Bridge reopened").what_we_know_at > first
    assert set_what_we_know(feed, "").what_we_know_at is None


def test_an_editors_draft_keeps_their_changes_and_gets_the_desks_text(client_for, feed):
    from newsdesk.live.actions import set_what_we_know
    from newsdesk.live.models import LiveFeedPage

    feed.title = "Storm over the coast: day two"  # an unpublished draft in the admin
    feed.save_revision()
    set_what_we_know(feed, "Ferries suspended")
    live = LiveFeedPage.objects.get(pk=feed.pk)
    assert live.title == "Storm over the coast" and live.what_we_know == "Ferries suspended"
    draft = live.get_latest_revision_as_object()
    assert live.has_unpublished_changes
    assert draft.title == "Storm over the coast: day two"
    assert draft.what_we_know == "Ferries suspended"


def test_contributors_cannot_change_what_we_know(client_for, feed):
    contributor, _ = client_for(roles.CONTRIBUTORS)
    response = contributor.post(f"/desk/feeds/{feed.pk}/what-we-know/", {"what_we_know": "x"})
    assert response.status_code == 403
    assert "known-title" not in contributor.get("/desk/").content.decode()
    feed.refresh_from_db()
    assert feed.what_we_know == ""


def test_what_we_know_is_edited_in_the_admin_too(client_for, feed):
    editor, _ = client_for(roles.EDITORS)
    response = editor.get(f"/admin/pages/{feed.pk}/edit/")
    assert response.status_code == 200
    field = page(response).select_one("textarea[name=what_we_know]")
    assert field is not None and field.get("maxlength") == "2000"
