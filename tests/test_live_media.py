"""A live update's picture and embed (newsdesk/live/media.py): the upload checks, the desk,
and every surface that shows them (live page, article block, event stream, feeds, read API,
mirror), with what an editor types escaped everywhere."""

import io
import json
from pathlib import Path

import pytest
from bs4 import BeautifulSoup
from django.core.exceptions import ValidationError
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image as PillowImage
from wagtail.images import get_image_model

from newsdesk.accounts import roles
from newsdesk.live import media
from newsdesk.live.actions import edit_update
from newsdesk.live.models import LiveUpdate
from newsdesk.live.stream import change_for
from tests.factories import make_article, make_image, make_live_feed, post

pytestmark = pytest.mark.django_db

BASE = "https://news.example.org"
XSS = '<script>alert(1)</script><img src=x onerror="alert(2)">'


@pytest.fixture(autouse=True)
def _base_url(settings):
    settings.NEWSDESK_BASE_URL = BASE


def jpeg(size=(1200, 750), colour=(200, 60, 40)):
    buffer = io.BytesIO()
    PillowImage.new("RGB", size, colour).save(buffer, format="JPEG")
    return buffer.getvalue()


def upload(data=None, name="photo.jpg", content_type="image/jpeg"):
    return SimpleUploadedFile(name, jpeg() if data is None else data, content_type=content_type)


def originals():
    """Files stored under original_images/ (nothing of a refused upload may be left)."""
    try:
        return default_storage.listdir("original_images")[1]
    except FileNotFoundError:
        return []


def soup(response):
    return BeautifulSoup(response.content, "html.parser")


# --- Embed links -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "stored"),
    [
        ("", ""),
        ("  https://t.me/channel/42  ", "https://t.me/channel/42"),
        ("http://vimeo.com/123", "https://vimeo.com/123"),
    ],
)
def test_embed_links_accepted(url, stored):
    assert media.clean_embed_url(url) == stored


@pytest.mark.parametrize(
    "url",
    [
        "javascript:alert(1)",
        "data:text/html,<script>alert(1)</script>",
        "ftp://example.org/video",
        "//youtube.com/watch?v=abcdefghijk",
        "https://user:secret@example.org/x",
        "youtube.com/watch?v=abcdefghijk",
        "https://example.org/" + "a" * 200,
        'https://example.org/"><script>',
    ],
)
def test_embed_links_refused(url):
    with pytest.raises(ValidationError):
        media.clean_embed_url(url)


@pytest.mark.parametrize(
    ("url", "provider", "player"),
    [
        (
            "https://www.youtube.com/watch?v=dQw4w9WgXcQ&t=10",
            "YouTube",
            "https://www.youtube-nocookie.com/embed/dQw4w9WgXcQ",
        ),
        (
            "https://youtu.be/dQw4w9WgXcQ",
            "YouTube",
            "https://www.youtube-nocookie.com/embed/dQw4w9WgXcQ",
        ),
        (
            "https://www.youtube.com/shorts/dQw4w9WgXcQ",
            "YouTube",
            "https://www.youtube-nocookie.com/embed/dQw4w9WgXcQ",
        ),
        ("https://vimeo.com/76979871", "Vimeo", "https://player.vimeo.com/video/76979871?dnt=1"),
        ("https://www.youtube.com/channel/UCxyz", "YouTube", ""),
        ("https://youtu.be/not-an-id", "YouTube", ""),
        ("https://t.me/kyivcity/1234", "Telegram", ""),
        ("https://www.example.org/story", "example.org", ""),
    ],
)
def test_embed_cards(url, provider, player):
    embed = media.embed_for(url)
    assert embed.provider == provider
    assert embed.player == player


def test_players_are_only_the_frame_sources_the_csp_allows(settings):
    allowed = settings.CONTENT_SECURITY_POLICY["DIRECTIVES"]["frame-src"]
    for url in ("https://youtu.be/dQw4w9WgXcQ", "https://vimeo.com/1"):
        player = media.embed_for(url).player
        assert any(player.startswith(source + "/") for source in allowed)


# --- attach_image --------------------------------------------------------------------------


def test_attach_image_stores_a_clean_copy_with_the_words():
    feed = make_live_feed()
    update = LiveUpdate(feed=feed, headline="Shelter hit")
    values = media.attach_image(
        update,
        upload=upload(),
        alt="A damaged shelter entrance",
        caption="The shelter on Sadova Street",
        credit="Photo: City council",
    )
    image = values["image"]
    assert image.pk and update.image == image
    assert image.file.name.startswith("original_images/") and "photo" not in image.file.name
    assert image.credit == "Photo: City council"
    assert update.image_alt == "A damaged shelter entrance"
    assert update.image_caption == "The shelter on Sadova Street"


@pytest.mark.parametrize(
    ("data", "words"),
    [
        (b"GIF89a" + b"\0" * 40, "not a JPEG, PNG or WebP"),
        (b"<html><script>alert(1)</script></html>", "not a JPEG, PNG or WebP"),
        (jpeg()[:200], "damaged"),
        (jpeg() + b"PK\x03\x04" + b"\0" * 30 + b"PK\x05\x06" + b"\0" * 18, "carries something"),
    ],
)
def test_a_bad_file_is_refused_with_a_message_and_nothing_is_stored(data, words):
    feed = make_live_feed()
    update = LiveUpdate(feed=feed, headline="Shelter hit")
    with pytest.raises(ValidationError) as refused:
        media.attach_image(update, upload=upload(data), alt="A shelter")
    assert words in " ".join(refused.value.message_dict["image"])
    assert not get_image_model().objects.exists()
    assert originals() == []


def test_the_size_limit_is_the_article_images_one(settings):
    settings.WAGTAILIMAGES_MAX_UPLOAD_SIZE = 1000
    update = LiveUpdate(feed=make_live_feed(), headline="Shelter hit")
    with pytest.raises(ValidationError) as refused:
        media.attach_image(update, upload=upload(), alt="A shelter")
    assert "the limit is" in refused.value.message_dict["image"][0]
    assert not get_image_model().objects.exists()


def test_the_pixel_limit_is_the_article_images_one(settings):
    settings.WAGTAILIMAGES_MAX_IMAGE_PIXELS = 100 * 100
    update = LiveUpdate(feed=make_live_feed(), headline="Shelter hit")
    with pytest.raises(ValidationError) as refused:
        media.attach_image(update, upload=upload(), alt="A shelter")
    assert "pixels" in refused.value.message_dict["image"][0]
    assert originals() == []


def test_alt_text_is_required_and_nothing_is_stored_without_it():
    update = LiveUpdate(feed=make_live_feed(), headline="Shelter hit")
    with pytest.raises(ValidationError) as refused:
        media.attach_image(update, upload=upload(), alt="   ")
    assert "alt text is required" in refused.value.message_dict["image_alt"][0]
    assert not get_image_model().objects.exists() and originals() == []


def test_the_model_requires_alt_text_whichever_way_the_picture_comes():
    feed = make_live_feed()
    with pytest.raises(ValidationError) as refused:
        post(feed, "Shelter hit", image=make_image())
    assert "image_alt" in refused.value.message_dict
    assert not LiveUpdate.objects.exists()
    with pytest.raises(ValidationError) as refused:
        post(feed, "Shelter hit", embed_url="javascript:alert(1)")
    assert "embed_url" in refused.value.message_dict


def test_an_update_refused_for_another_field_stores_no_picture():
    update = LiveUpdate(feed=make_live_feed(), headline="x" * 300)
    with pytest.raises(ValidationError) as refused:
        media.attach_image(update, upload=upload(), alt="A shelter")
    assert "headline" in refused.value.message_dict
    assert originals() == []


# --- The desk --------------------------------------------------------------------------------


@pytest.fixture
def editor(client_for):
    client, user = client_for(roles.EDITORS)
    return client


@pytest.fixture
def feed():
    return make_live_feed("Shelling of the city")


def desk_post(client, feed, **fields):
    data = {
        "feed": feed.pk,
        "headline": "Shelter hit",
        "body": "A shelter was hit overnight.",
        "verification": "confirmed",
        "publish": "publish",
        "image_alt": "A damaged shelter entrance",
        "image_caption": "The shelter on Sadova Street",
        "image_credit": "Photo: City council",
        "embed_url": "",
    }
    data.update(fields)
    data = {name: value for name, value in data.items() if value is not None}
    return client.post("/desk/", data)


def test_the_desk_posts_an_update_with_a_picture_and_the_live_page_shows_it(editor, feed, client):
    response = desk_post(editor, feed, image_file=upload())
    assert response.status_code == 302, soup(response).select(".errorlist")
    update = LiveUpdate.objects.get()
    assert update.image.credit == "Photo: City council"
    page = soup(client.get(feed.url))
    figure = page.select_one(f"#update-{update.pk} figure.update__figure")
    img = figure.img
    assert img["alt"] == "A damaged shelter entrance"
    assert "480w" in img["srcset"] and "800w" in img["srcset"]
    assert img["width"] and img["height"]
    caption = figure.figcaption.get_text(" ", strip=True)
    assert caption == "The shelter on Sadova Street (Photo: City council)"


def test_a_bad_file_on_the_desk_is_refused_and_nothing_typed_is_lost(editor, feed):
    response = desk_post(
        editor,
        feed,
        image_file=upload(b"GIF89a" + b"\0" * 40, name="x.gif", content_type="image/gif"),
        embed_url="https://t.me/kyivcity/1234",
    )
    assert response.status_code == 200
    html = soup(response)
    errors = html.select_one("#id_image_file").find_previous("ul", class_="errorlist")
    assert "not a JPEG, PNG or WebP" in errors.get_text()
    assert html.select_one("[data-error-summary]") is not None
    assert html.select_one("#id_headline")["value"] == "Shelter hit"
    assert html.select_one("#id_image_alt")["value"] == "A damaged shelter entrance"
    assert html.select_one("#id_image_credit")["value"] == "Photo: City council"
    assert html.select_one("#id_embed_url")["value"] == "https://t.me/kyivcity/1234"
    assert not LiveUpdate.objects.exists()
    assert not get_image_model().objects.exists() and originals() == []


def test_the_desk_asks_for_alt_text_and_for_the_file_again(editor, feed):
    response = desk_post(editor, feed, image_file=upload(), image_alt="")
    assert response.status_code == 200
    html = soup(response)
    alt_errors = html.select_one("#id_image_alt").find_previous("ul", class_="errorlist")
    assert "alt text is required" in alt_errors.get_text()
    assert "choose the file again" in html.get_text()
    assert html.select_one("#id_image_caption")["value"] == "The shelter on Sadova Street"
    assert not LiveUpdate.objects.exists()
    assert not get_image_model().objects.exists() and originals() == []


def test_a_refused_update_leaves_no_picture_behind(editor, feed):
    response = desk_post(editor, feed, image_file=upload(), headline="")
    assert response.status_code == 200
    assert not get_image_model().objects.exists() and originals() == []


def test_words_without_a_picture_are_questioned(editor, feed):
    response = desk_post(editor, feed)
    assert response.status_code == 200
    assert "Choose a picture" in soup(response).get_text()
    assert not LiveUpdate.objects.exists()


def test_a_picture_from_the_library(editor, feed):
    image = make_image("Evacuation bus", credit="Photo: Regional administration")
    response = desk_post(editor, feed, library_image=image.pk, image_credit="")
    assert response.status_code == 302
    update = LiveUpdate.objects.get()
    assert update.image == image and update.shown_credit == "Photo: Regional administration"
    assert get_image_model().objects.count() == 1


def test_editing_changes_and_removes_the_picture(editor, feed, client):
    image = make_image("Evacuation bus", credit="Photo: Regional administration")
    update = post(feed, "Buses leave", image=image, image_alt="A bus", image_credit="")
    form = soup(editor.get(f"/desk/updates/{update.pk}/edit/"))
    assert form.select_one("#id_library_image option[selected]")["value"] == str(image.pk)
    assert form.select_one("#id_image_alt")["value"] == "A bus"
    data = {
        "sequence": update.sequence,
        "headline": "Buses leave",
        "body": "Buses leave.",
        "verification": "unverified",
        "library_image": image.pk,
        "image_alt": "A white bus at the station",
        "image_caption": "",
        "image_credit": "Photo: Our reporter",
    }
    response = editor.post(f"/desk/updates/{update.pk}/edit/", data)
    assert response.status_code == 302
    update.refresh_from_db()
    assert update.image_alt == "A white bus at the station"
    page = client.get(feed.url).content.decode()
    assert "(Photo: Our reporter)" in page and "Regional administration" not in page
    data.update(sequence=update.sequence, remove_image="on")
    assert editor.post(f"/desk/updates/{update.pk}/edit/", data).status_code == 302
    update.refresh_from_db()
    assert update.image is None and update.image_alt == ""
    assert "figure" not in str(soup(client.get(feed.url)).select_one(f"#update-{update.pk}"))


def test_a_correction_can_replace_the_picture(editor, feed):
    update = post(feed, "Buses leave", image=make_image(), image_alt="A bus")
    data = {
        "sequence": update.sequence,
        "correction": "An earlier version showed the wrong bus.",
        "headline": "Buses leave",
        "body": "Buses leave.",
        "verification": "unverified",
        "image_file": upload(jpeg(colour=(10, 200, 10))),
        "image_alt": "A green bus",
    }
    response = editor.post(f"/desk/updates/{update.pk}/correct/", data)
    assert response.status_code == 302
    update.refresh_from_db()
    assert update.image_alt == "A green bus" and update.corrections.count() == 1
    assert get_image_model().objects.count() == 2


# --- Surfaces --------------------------------------------------------------------------------


def hostile_update(feed):
    return post(
        feed,
        "Shelter hit",
        image=make_image("Shelter", credit=XSS),
        image_alt=f"alt {XSS}",
        image_caption=f"caption {XSS}",
        image_credit="",
        embed_url="https://www.youtube.com/watch?v=dQw4w9WgXcQ",
    )


def assert_escaped(html):
    assert "<script>" not in html and 'onerror="alert(2)"' not in html
    assert "&lt;script&gt;" in html or "\\u003cscript" in html


def test_the_live_page_escapes_every_word_and_shows_a_card_not_a_frame(client):
    feed = make_live_feed()
    update = hostile_update(feed)
    response = client.get(feed.url)
    html = response.content.decode()
    assert_escaped(html)
    card = soup(response).select_one(f"#update-{update.pk} .embed-card")
    assert "Video on YouTube" in card.get_text()
    assert card.a["href"] == "https://www.youtube.com/watch?v=dQw4w9WgXcQ"
    assert card["data-player"] == "https://www.youtube-nocookie.com/embed/dQw4w9WgXcQ"
    assert card.button is not None and card.button["type"] == "button"
    assert "<iframe" not in html  # nothing from another site until the reader asks


def test_a_link_card_for_other_providers(client):
    feed = make_live_feed()
    update = post(feed, "Statement", embed_url="https://t.me/kyivcity/1234")
    card = soup(client.get(feed.url)).select_one(f"#update-{update.pk} .embed-card")
    assert "Post on Telegram" in card.get_text() and "Open on t.me" in card.get_text()
    assert not card.has_attr("data-player") and card.button is None


def test_an_embedded_feed_under_an_article_shows_the_picture(client):
    feed = make_live_feed()
    update = hostile_update(feed)
    article = make_article(live_feed=feed)
    response = client.get(article.url)
    assert_escaped(response.content.decode())
    block = soup(response).select_one(f"#update-{update.pk}")
    assert block.select_one("figure img[srcset]") is not None
    assert block.select_one(".embed-card") is not None


def test_the_event_stream_carries_the_picture(client):
    feed = make_live_feed()
    update = LiveUpdate.objects.for_display().get(pk=hostile_update(feed).pk)
    change = change_for(update)
    html = change.data["html"]
    assert_escaped(html)
    assert "<figure" in html and "srcset=" in html
    assert_escaped(change.sse.decode())


def test_feeds_carry_the_picture_with_absolute_addresses(client):
    import feedparser

    feed = make_live_feed()
    hostile_update(feed)
    item = json.loads(client.get(f"{feed.url}feed.json").content)["items"][0]
    assert item["image"].startswith(f"{BASE}/media/images/")
    content = BeautifulSoup(item["content_html"], "html.parser")
    assert content.figure.img["src"] == item["image"]
    assert "caption" in content.figure.figcaption.get_text()
    assert content.find("a", href="https://www.youtube.com/watch?v=dQw4w9WgXcQ") is not None
    assert_escaped(item["content_html"])
    for name in ("rss.xml", "atom.xml"):
        text = client.get(f"{feed.url}{name}").content.decode()
        assert "<script>" not in text
        (entry,) = feedparser.parse(text).entries
        assert entry.media_content[0]["url"] == item["image"]
        assert "iframe" not in text


def test_a_library_credit_edit_changes_the_live_feed_etag(client):
    feed = make_live_feed()
    image = make_image(credit="Photo: A")
    post(feed, "Shelter hit", image=image, image_alt="A shelter")
    first = client.get(f"{feed.url}rss.xml")
    image.credit = "Photo: B"
    image.save()
    again = client.get(f"{feed.url}rss.xml", HTTP_IF_NONE_MATCH=first["ETag"])
    assert again.status_code == 200 and "Photo: B" in again.content.decode()


def test_the_read_api_gives_caption_and_credit(client):
    feed = make_live_feed()
    post(
        feed,
        "Shelter hit",
        image=make_image(credit="Photo: Library"),
        image_alt="A shelter",
        image_caption="The shelter",
    )
    data = json.loads(client.get(f"/api/v2/pages/{feed.pk}/").content)
    picture = data["latest_updates"][0]["image"]
    assert picture["caption"] == "The shelter" and picture["credit"] == "Photo: Library"
    assert picture["alt"] == "A shelter"


def test_an_edit_of_the_picture_reaches_the_stored_parts_of_an_article(client):
    feed = make_live_feed()
    image = make_image(credit="Photo: First")
    update = post(feed, "Shelter hit", image=image, image_alt="A shelter")
    article = make_article(live_feed=feed)
    assert "Photo: First" in client.get(article.url).content.decode()
    image.credit = "Photo: Second"
    image.save()
    assert "Photo: Second" in client.get(article.url).content.decode()
    edit_update(update, image_caption="Sadova Street")
    assert "Sadova Street" in client.get(article.url).content.decode()


# --- The mirror --------------------------------------------------------------------------------


def test_the_mirror_copies_the_pictures_and_follows_a_credit_edit(tmp_path, monkeypatch):
    from newsdesk.mirror import builder, links, plan

    monkeypatch.setattr(plan, "code_fingerprint", lambda: "test")
    feed = make_live_feed()
    image = make_image(credit="Photo: First")
    update = post(feed, "Shelter hit", image=image, image_alt="A shelter")
    outdir = tmp_path / "mirror"
    builder.Builder(outdir, log=lambda line: None).run()
    page_file = outdir / links.file_for(feed.url)
    html = BeautifulSoup(page_file.read_text(), "html.parser")
    img = html.select_one(f"#update-{update.pk} figure img")
    sources = [img["src"], *(part.split()[0] for part in img["srcset"].split(","))]
    for source in sources:
        assert not source.startswith(("/", "http")), source
        assert (page_file.parent / source).resolve().is_file(), source
    assert not list(Path(outdir).rglob("original_images/*"))
    image.credit = "Photo: Second"
    image.save()
    builder.Builder(outdir, log=lambda line: None).run()
    assert "Photo: Second" in page_file.read_text()
    update_file = outdir / links.file_for(update.get_absolute_url())
    assert "Photo: Second" in update_file.read_text()
