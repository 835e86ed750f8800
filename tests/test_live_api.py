"""The live updates API (POST /api/live/<slug>/updates), its OpenAPI document and tokens."""

import io
import json
import re

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command
from wagtail.models import APIToken

from newsdesk.accounts import roles
from newsdesk.live import api
from newsdesk.live.models import LiveUpdate, LiveUpdateChange
from tests.factories import make_image, make_live_feed, make_user, post

pytestmark = pytest.mark.django_db


@pytest.fixture
def feed():
    return make_live_feed()


def token_for(role, username=None):
    user = make_user(username or f"{(role or 'nobody').lower()}-bot", role)
    return APIToken.create_token(user=user, name="test")[1]


def send(client, slug, data, token=None, scheme="Bearer", raw=None):
    headers = {"Authorization": f"{scheme} {token}"} if token else {}
    return client.post(
        f"/api/live/{slug}/updates",
        data=raw if raw is not None else json.dumps(data),
        content_type="application/json",
        headers=headers,
    )


def test_editor_token_posts_a_published_update(client, feed):
    post(feed, "Earlier")
    token = token_for(roles.EDITORS)
    response = send(
        client,
        feed.slug,
        {
            "headline": "Bridge closed",
            "body": "Police closed the bridge.\n\nUse the ferry <instead>.",
            "source": "City police",
            "source_channel": "Telegram",
            "source_url": "https://t.me/example/1",
            "verification": "official",
            "key_event": True,
            "published_at": "2025-05-01T14:30:00+03:00",
        },
        token,
    )
    assert response.status_code == 201, response.content
    body = response.json()
    update = LiveUpdate.objects.get(pk=body["id"])
    assert body["sequence"] == update.sequence == 2
    assert body["published"] is True and update.is_published
    assert body["url"].endswith(update.get_absolute_url())
    assert response["Location"] == body["url"]
    assert update.body == "<p>Police closed the bridge.</p><p>Use the ferry &lt;instead&gt;.</p>"
    assert (update.source_name, update.source_channel, update.verification) == (
        "City police",
        "Telegram",
        "official",
    )
    assert update.is_key_event and not update.is_pinned
    assert update.published_at.isoformat() == "2025-05-01T11:30:00+00:00"
    assert update.created_by.username == "editors-bot"
    change = LiveUpdateChange.objects.get(update=update)
    assert change.user == update.created_by
    assert APIToken.objects.get().last_used_at is not None


def test_token_scheme_is_accepted_too(client, feed):
    response = send(client, feed.slug, {"headline": "Hello"}, token_for(roles.EDITORS), "Token")
    assert response.status_code == 201


def test_html_and_markdown_bodies_are_cleaned_like_wagtail_rich_text(client, feed):
    token = token_for(roles.EDITORS)
    hostile = (
        '<p>Hi <b>there</b><script>alert(1)</script> <a href="javascript:x">x</a></p><h2>H</h2>'
    )
    response = send(
        client,
        feed.slug,
        {"headline": "HTML", "body": {"format": "html", "content": hostile}},
        token,
    )
    assert response.status_code == 201
    stored = LiveUpdate.objects.get(pk=response.json()["id"]).body
    assert "<b>there</b>" in stored
    assert "<script" not in stored and "javascript:" not in stored and "<h2" not in stored
    assert any("script" in warning for warning in response.json()["warnings"])

    markdown = {"format": "markdown", "content": "**Bold** and [a link](https://example.org)"}
    response = send(client, feed.slug, {"headline": "MD", "body": markdown}, token)
    assert response.status_code == 201
    stored = LiveUpdate.objects.get(pk=response.json()["id"]).body
    assert stored == '<p><b>Bold</b> and <a href="https://example.org">a link</a></p>'


def test_contributor_token_saves_a_draft_and_says_so(client, feed):
    response = send(client, feed.slug, {"headline": "Unconfirmed"}, token_for(roles.CONTRIBUTORS))
    assert response.status_code == 201
    body = response.json()
    assert body["published"] is False
    assert any("draft" in warning for warning in body["warnings"])
    assert not LiveUpdate.objects.get(pk=body["id"]).is_published
    assert b"Unconfirmed" not in client.get(feed.url).content


def test_invalid_fields_get_per_field_messages(client, feed):
    response = send(
        client,
        feed.slug,
        {
            "headline": "x" * 201,
            "source_url": "not a link",
            "verification": "rumour",
            "key_event": "yes",
            "published_at": "yesterday",
            "colour": "red",
        },
        token_for(roles.EDITORS),
    )
    assert response.status_code == 400
    errors = response.json()["errors"]
    assert set(errors) == {
        "headline",
        "source_url",
        "verification",
        "key_event",
        "published_at",
        "colour",
    }
    assert "Unknown field" in errors["colour"][0]
    assert errors["key_event"] == ["Must be true or false."]
    assert "200 characters" in errors["headline"][0]
    assert all(isinstance(messages, list) and messages for messages in errors.values())
    assert not LiveUpdate.objects.exists()


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({}, "headline"),
        ({"headline": ""}, "headline"),
        ({"headline": 5}, "headline"),
        ({"headline": "A", "published_at": "2025-05-01T10:00:00"}, "published_at"),
        ({"headline": "A", "body": {"format": "pdf", "content": "x"}}, "body"),
        ({"headline": "A", "body": 7}, "body"),
        ({"headline": "A", "source": "s" * 201}, "source"),
        (["headline"], "__all__"),
    ],
)
def test_bad_requests_name_the_field(client, feed, payload, field):
    response = send(client, feed.slug, payload, token_for(roles.EDITORS))
    assert response.status_code == 400
    assert field in response.json()["errors"]


def test_body_errors_name_the_key_inside_the_body(client, feed):
    token = token_for(roles.EDITORS)
    body = {"format": "pdf", "content": 1, "colour": "red"}
    response = send(client, feed.slug, {"headline": "A", "body": body}, token)
    assert response.status_code == 400
    messages = response.json()["errors"]["body"]
    assert [message.split(":")[0] for message in messages] == ["format", "content", "colour"]
    assert "Unknown key" in messages[2]
    for payload in ({"headline": None}, {"headline": "   "}, {"headline": "A", "pinned": 1}):
        response = send(client, feed.slug, payload, token)
        assert response.status_code == 400 and len(response.json()["errors"]) == 1, payload
    assert not LiveUpdate.objects.exists()


def test_a_library_image_and_an_embed_link(client, feed):
    image = make_image(credit="Library credit")
    payload = {
        "headline": "Flooded square",
        "image": {"id": image.pk, "alt": " Water up to the benches ", "caption": "At noon"},
        "embed_url": "http://youtu.be/dQw4w9WgXcQ",
    }
    response = send(client, feed.slug, payload, token_for(roles.EDITORS))
    assert response.status_code == 201, response.content
    update = LiveUpdate.objects.get(pk=response.json()["id"])
    assert update.image == image
    assert (update.image_alt, update.image_caption, update.image_credit) == (
        "Water up to the benches",
        "At noon",
        "",
    )
    assert update.embed_url == "https://youtu.be/dQw4w9WgXcQ"  # the desk's check: https
    page = client.get(feed.url).content.decode()
    assert "Water up to the benches" in page and "youtu.be/dQw4w9WgXcQ" in page


@pytest.mark.parametrize(
    ("extra", "field", "words"),
    [
        ({"image": {"id": 1, "alt": ""}}, "image", "alt: "),
        ({"image": {"id": 1}}, "image", "alt: "),
        ({"image": {"id": 999_999, "alt": "A"}}, "image", "No image with id 999999"),
        ({"image": {"id": 1, "alt": "A", "size": 3}}, "image", "size: Unknown key"),
        ({"embed_url": "javascript:alert(1)"}, "embed_url", "https://"),
        ({"embed_url": 'https://example.org/"><script>'}, "embed_url", "https://"),
    ],
)
def test_image_and_embed_errors_name_the_field(client, feed, extra, field, words):
    payload = {"headline": "A", "image": None, **extra}
    response = send(client, feed.slug, payload, token_for(roles.EDITORS))
    assert response.status_code == 400
    errors = response.json()["errors"]
    assert list(errors) == [field] and words in errors[field][0], errors
    assert not LiveUpdate.objects.exists()


def test_bad_json_is_a_400(client, feed):
    response = send(client, feed.slug, None, token_for(roles.EDITORS), raw="{headline: nope")
    assert response.status_code == 400
    assert "not valid JSON" in response.json()["errors"]["__all__"][0]


def test_missing_invalid_and_revoked_tokens_are_401(client, feed):
    for token in [None, "wagtail_nonsense", APIToken.generate_token()]:
        response = send(client, feed.slug, {"headline": "A"}, token)
        assert response.status_code == 401
        assert response["WWW-Authenticate"].startswith("Bearer")

    user = make_user("revoked-bot", roles.EDITORS)
    instance, token = APIToken.create_token(user=user, name="old")
    instance.revoke()
    response = send(client, feed.slug, {"headline": "A"}, token)
    assert response.status_code == 401
    assert 'error="invalid_token"' in response["WWW-Authenticate"]
    assert not LiveUpdate.objects.exists()


def test_a_session_cookie_is_not_a_token(client_for, feed):
    client, _ = client_for(roles.EDITORS)
    assert send(client, feed.slug, {"headline": "A"}).status_code == 401


def test_inactive_users_tokens_stop_working(client, feed):
    token = token_for(roles.EDITORS)
    get_user_model().objects.update(is_active=False)
    assert send(client, feed.slug, {"headline": "A"}, token).status_code == 401


def test_users_who_may_not_post_get_403(client, feed):
    response = send(client, feed.slug, {"headline": "A"}, token_for(None))
    assert response.status_code == 403
    assert not LiveUpdate.objects.exists()


def test_unknown_or_unpublished_feed_is_404(client, feed):
    token = token_for(roles.EDITORS)
    assert send(client, "no-such-feed", {"headline": "A"}, token).status_code == 404
    feed.unpublish()
    assert send(client, feed.slug, {"headline": "A"}, token).status_code == 404


def test_other_methods_are_405(client, feed):
    for method in (client.get, client.put, client.delete):
        response = method(f"/api/live/{feed.slug}/updates")
        assert response.status_code == 405
        assert response["Allow"] == "POST"
        assert response.json() == {"errors": {"__all__": ["Use POST."]}}


def test_more_than_the_limit_per_minute_is_429(client, feed, monkeypatch):
    monkeypatch.setattr(api, "RATE_LIMIT", 3)
    monkeypatch.setattr(api, "_clock", lambda: 1_000_000 * 60 + 15.5)
    token, other = token_for(roles.EDITORS), token_for(roles.EDITORS, "other-bot")
    for n in range(3):
        assert send(client, feed.slug, {"headline": f"N{n}"}, token).status_code == 201
    response = send(client, feed.slug, {"headline": "Too many"}, token)
    assert response.status_code == 429
    assert response["Retry-After"] == "45"
    assert "3 requests a minute" in response.json()["errors"]["__all__"][0]
    assert LiveUpdate.objects.count() == 3
    assert send(client, feed.slug, {"headline": "Other token"}, other).status_code == 201

    monkeypatch.setattr(api, "_clock", lambda: 1_000_001 * 60 + 1)  # the next minute
    assert send(client, feed.slug, {"headline": "Again"}, token).status_code == 201


def test_the_limit_is_sixty_a_minute():
    assert api.RATE_LIMIT == 60 and api.RATE_WINDOW == 60


# --- The OpenAPI document --------------------------------------------------------------


def resolve(document, ref):
    assert ref.startswith("#/"), ref
    node = document
    for part in ref[2:].split("/"):
        node = node[part]
    return node


def refs(node):
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "$ref":
                yield value
            else:
                yield from refs(value)
    elif isinstance(node, list):
        for item in node:
            yield from refs(item)


def test_openapi_document_describes_the_endpoint(client):
    response = client.get("/api/live/openapi.json")
    assert response.status_code == 200
    document = json.loads(response.content)

    # No OpenAPI validator is installed (openapi-spec-validator, jsonschema): check by hand.
    assert re.fullmatch(r"3\.1\.\d+", document["openapi"])
    assert {"title", "version"} <= set(document["info"])
    assert document["servers"][0]["url"].startswith("http")
    operation = document["paths"]["/api/live/{slug}/updates"]["post"]
    assert {"201", "400", "401", "403", "404", "405", "429"} <= set(operation["responses"])
    for path, item in document["paths"].items():
        for parameter in item.get("parameters", []):
            assert parameter["in"] == "path" and parameter["required"] is True
            assert "{" + parameter["name"] + "}" in path
        for method in ("get", "post"):
            for code, answer in item.get(method, {}).get("responses", {}).items():
                assert re.fullmatch(r"[1-5]\d\d", code) and answer["description"]
    assert operation["responses"]["429"]["headers"]["Retry-After"]
    assert operation["responses"]["401"]["headers"]["WWW-Authenticate"]
    schemes = document["components"]["securitySchemes"]
    assert schemes["bearerAuth"] == {**schemes["bearerAuth"], "type": "http", "scheme": "bearer"}
    for requirement in document["security"]:
        assert set(requirement) <= set(schemes)
    for ref in refs(document):
        assert resolve(document, ref), ref
    operation_ids = [
        op["operationId"]
        for item in document["paths"].values()
        for op in item.values()
        if isinstance(op, dict) and "operationId" in op
    ]
    assert len(operation_ids) == len(set(operation_ids))

    # The schema and the view agree on the fields.
    schema = document["components"]["schemas"]["LiveUpdateInput"]
    assert set(schema["properties"]) == set(api.FIELDS) == set(api.LiveUpdateInput.model_fields)
    assert schema["additionalProperties"] is False and schema["required"] == ["headline"]


def test_openapi_examples_are_accepted(client, feed):
    document = client.get("/api/live/openapi.json").json()
    examples = document["paths"]["/api/live/{slug}/updates"]["post"]["requestBody"]["content"][
        "application/json"
    ]["examples"]
    token = token_for(roles.EDITORS)
    for example in examples.values():
        assert send(client, feed.slug, example["value"], token).status_code == 201


# --- newsdesk token ----------------------------------------------------------------------


def run(*args):
    out, err = io.StringIO(), io.StringIO()
    call_command("token", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def test_token_create_prints_the_token_once(client, feed):
    make_user("wire", roles.CONTRIBUTORS)
    out, err = run("create", "wire", "--name", "Wire importer")
    plaintext = re.search(r"wagtail_\w+", out).group(0)
    assert "cannot be shown again" in out
    assert "drafts" in err  # contributors may not publish
    token = APIToken.objects.get()
    assert (token.name, token.user.username) == ("Wire importer", "wire")
    assert plaintext not in token.key_hash and plaintext.startswith(token.prefix)
    assert send(client, feed.slug, {"headline": "Via CLI token"}, plaintext).status_code == 201

    listing, _ = run("list", "wire")
    assert token.prefix in listing and "Wire importer" in listing and plaintext not in listing

    out, _ = run("revoke", str(token.pk))
    assert "Revoked" in out
    assert send(client, feed.slug, {"headline": "After revoke"}, plaintext).status_code == 401
    assert "No tokens" in run("list")[0]
    assert "revoked" in run("list", "--all")[0]
    with pytest.raises(CommandError, match="already revoked"):
        run("revoke", str(token.pk))


def test_token_create_names_a_default_and_warns_without_permission():
    make_user("reader")
    out, err = run("create", "reader")
    assert "Token for reader" in out
    assert "may not post" in err


def test_token_command_refuses_unknown_users_and_ids():
    with pytest.raises(CommandError, match="No user 'ghost'"):
        run("create", "ghost")
    with pytest.raises(CommandError, match="No user 'ghost'"):
        run("list", "ghost")
    with pytest.raises(CommandError, match="No token with id 99"):
        run("revoke", "99")


def picture_bytes(size=(800, 500), colour=(30, 90, 160)):
    from PIL import Image as PillowImage

    out = io.BytesIO()
    PillowImage.new("RGB", size, colour).save(out, format="JPEG", quality=90)
    return out.getvalue()


def upload(client, token, files, **fields):
    return client.post(
        "/api/live/images",
        data={**fields, **files},
        headers={"Authorization": f"Bearer {token}"},
    )


def test_a_bot_uploads_a_picture_then_posts_an_update_with_it(client, feed):
    from django.core.files.uploadedfile import SimpleUploadedFile
    from wagtail.images import get_image_model

    token = token_for(roles.EDITORS)
    sent = SimpleUploadedFile("flood.jpg", picture_bytes(), content_type="image/jpeg")
    response = upload(client, token, {"file": sent}, title="Flooded square", credit="Bot photo")
    assert response.status_code == 201, response.content
    answer = response.json()
    image = get_image_model().objects.get(pk=answer["id"])
    assert (image.title, image.credit, image.width, image.height) == (
        "Flooded square",
        "Bot photo",
        800,
        500,
    )
    assert answer == {"id": image.pk, "title": "Flooded square", "width": 800, "height": 500}
    payload = {"headline": "Water rising", "image": {"id": image.pk, "alt": "A flooded square"}}
    assert send(client, feed.slug, payload, token).status_code == 201
    page = client.get(feed.url).content.decode()
    assert "A flooded square" in page and "Bot photo" in page


@pytest.mark.parametrize(
    ("content", "name", "words"),
    [
        (b"not a picture at all", "notes.jpg", "image"),
        (picture_bytes()[:300], "cut.jpg", "image"),
        (
            b"<svg xmlns='http://www.w3.org/2000/svg'><script>alert(1)</script></svg>",
            "x.svg",
            "image",
        ),
    ],
)
def test_a_refused_upload_says_why_and_stores_nothing(client, content, name, words):
    from django.core.files.uploadedfile import SimpleUploadedFile
    from wagtail.images import get_image_model

    before = get_image_model().objects.count()
    sent = SimpleUploadedFile(name, content, content_type="image/jpeg")
    response = upload(client, token_for(roles.EDITORS), {"file": sent})
    assert response.status_code == 400, response.content
    errors = response.json()["errors"]
    assert words in errors and errors[words][0]
    assert get_image_model().objects.count() == before


def test_uploading_needs_a_token_that_may_post(client):
    from django.core.files.uploadedfile import SimpleUploadedFile

    sent = SimpleUploadedFile("flood.jpg", picture_bytes(), content_type="image/jpeg")
    assert client.post("/api/live/images", data={"file": sent}).status_code == 401
    sent.seek(0)
    assert upload(client, token_for(None, "reader-bot"), {"file": sent}).status_code == 403
