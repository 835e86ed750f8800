"""The listen player as the server renders it: the AI disclosure, the no-JavaScript <audio>,
read-aloud markers on body blocks, the AudioObject, and the live briefing's compact player.

Audio is made with the real voice (a few seconds an article; repeated text comes from the
narration cache, which the module's tests share). The player in a real browser is tested in
tests/test_narration_player_browser.py.
"""

import json
import re

import pytest
from bs4 import BeautifulSoup

from newsdesk.articles.structured_data import iso_duration
from newsdesk.narration import actions
from newsdesk.narration.models import LiveBriefing, Narration
from newsdesk.narration.templatetags.narration import clock
from tests.factories import (
    make_article,
    make_image,
    make_live_feed,
    paragraphs,
    post,
)

pytestmark = pytest.mark.django_db

DISCLOSURE = "This audio is created with AI assistance."


@pytest.fixture(scope="module")
def narration_data_dir(tmp_path_factory):
    return tmp_path_factory.mktemp("narration-data")


@pytest.fixture(autouse=True)
def _narration_cache_for_the_module(settings, narration_data_dir):
    settings.DATA_DIR = narration_data_dir


def narrate(article):
    actions.request_narration(article)
    narration = Narration.objects.get(article=article)
    assert actions.run_job("article", narration.pk) == "ready"
    narration.refresh_from_db()
    return narration


def narrate_briefing(feed):
    actions.request_briefing(feed.pk)
    briefing = LiveBriefing.objects.get(feed=feed)
    assert actions.run_job("briefing", briefing.pk) == "ready"
    briefing.refresh_from_db()
    return briefing


def render(client, url):
    response = client.get(url)
    assert response.status_code == 200
    return response, BeautifulSoup(response.content, "html.parser")


def body_with_every_kind_of_block():
    return [
        *paragraphs("The council met on Monday and approved new shelter places."),
        ("heading", {"text": "What happens next", "level": "h2"}),
        (
            "paragraph",
            "<p>Builders start on Tuesday.</p><p>The mayor will visit the sites on Friday.</p>",
        ),
        ("image", {"image": make_image("Shelter"), "alt": "A shelter", "caption": "A caption"}),
        ("quote", {"text": "We will be ready before the frost.", "attribution": "The mayor"}),
        (
            "paragraph",
            {"text": "<p>A note editors keep out of the audio.</p>", "exclude_from_audio": True},
        ),
    ]


@pytest.fixture
def narrated(client):
    article = make_article("Council approves shelters", body=body_with_every_kind_of_block())
    return article, narrate(article)


# --- Without audio: nothing at all ----------------------------------------------------------


def test_no_player_no_disclosure_and_no_assets_before_there_is_audio(client):
    article = make_article("Trains run again")
    response, page = render(client, article.url)
    assert not Narration.objects.filter(article=article, audio__gt="").exists()
    assert page.select(".listen") == []
    assert DISCLOSURE not in page.text
    assert page.find("audio") is None
    assert b"narration/player.js" not in response.content
    assert b"narration/narration.css" not in response.content
    assert page.select("[data-audio-key]") == []
    data = json.loads(page.find("script", type="application/ld+json").string)
    assert "audio" not in data


def test_a_queued_narration_without_audio_still_shows_nothing(client):
    article = make_article("Bridge reopens")
    actions.request_narration(article)
    assert not Narration.objects.get(article=article).has_audio
    _, page = render(client, article.url)
    assert page.select(".listen") == []
    assert DISCLOSURE not in page.text


# --- With audio ------------------------------------------------------------------------------


def test_player_with_disclosure_and_a_native_audio_element(client, narrated):
    article, narration = narrated
    response, page = render(client, article.url)
    player = page.select_one("section.listen[data-player]")
    assert player is not None
    assert player.select_one(".listen__disclosure").get_text(" ", strip=True).startswith(DISCLOSURE)
    # The player sits between the hero and the body, labelled by its title.
    assert player.find_previous("figure", class_="article__hero") is not None
    assert player.find_next("div", class_="article__body") is not None
    title = page.find(id=player["aria-labelledby"])
    assert title.get_text(strip=True) == "Listen to this article"
    minutes = max(1, round(narration.duration / 60))
    assert player.select_one(".listen__length").get_text(strip=True) == f"{minutes} min listen"

    # Without JavaScript: a native player that loads nothing until the reader presses play.
    audio = player.find("audio")
    assert audio.has_attr("controls")
    assert audio["preload"] == "none"
    assert audio["src"] == narration.audio_url
    assert audio["src"].startswith("/media/narration/") and audio["src"].endswith(".mp3")
    assert player.select_one("[data-player-controls]").has_attr("hidden")
    served = client.get(audio["src"], headers={"Range": "bytes=0-3"})
    assert served.status_code == 206
    assert served["Content-Type"] == "audio/mpeg"

    # The script's inputs: the duration unlocalized, the timings as JSON data.
    assert float(player["data-duration"]) == pytest.approx(narration.duration, abs=0.001)
    timings = json.loads(page.find(id=player["data-timings"]).string)
    assert timings == narration.timings
    assert player.select_one("[data-time-total]").text == clock(narration.duration)
    seek = player.select_one("input[type=range][data-seek]")
    assert page.find("label", attrs={"for": seek["id"]}).get_text(strip=True)
    speeds = [option["value"] for option in player.select("[data-speed] option")]
    assert speeds[0] == "0.75" and speeds[-1] == "2"

    # Its stylesheet and module script load in <head>, only on this page.
    head = page.head
    assert head.find("link", href=re.compile(r"narration/narration\.css$"))
    script = head.find("script", src=re.compile(r"narration/player\.js$"))
    assert script["type"] == "module"


def test_player_keeps_the_content_security_policy(client, narrated):
    article, _ = narrated
    _, page = render(client, article.url)
    for script in page.find_all("script"):
        data = script.get("type") in ("application/ld+json", "application/json")
        assert script.get("src") or data, script
    assert not page.select("[style]")
    assert not [tag for tag in page.find_all(True) if any(a.startswith("on") for a in tag.attrs)]


def test_read_aloud_blocks_carry_their_audio_key(client, narrated):
    article, narration = narrated
    _, page = render(client, article.url)
    body = list(article.body)
    read = [body[0].id, body[1].id, body[2].id, body[4].id]  # not the image, not the excluded
    marked = [
        element["data-audio-key"] for element in page.select(".article__body [data-audio-key]")
    ]
    assert marked == read
    assert set(read) <= {timing["key"] for timing in narration.timings}
    paragraph = page.select_one(f'[data-audio-key="{body[2].id}"]')
    assert [p.text for p in paragraph.find_all("p")] == [
        "Builders start on Tuesday.",
        "The mayor will visit the sites on Friday.",
    ]
    heading = page.select_one(f'[data-audio-key="{body[1].id}"]')
    assert heading.find("h2").text == "What happens next"
    assert page.select_one(f'[data-audio-key="{body[4].id}"] figure.quote blockquote')
    assert (
        page.select(".article__body figure.figure")[0].find_parent(attrs={"data-audio-key": True})
        is None
    )


def test_json_ld_describes_the_audio(client, narrated):
    article, narration = narrated
    _, page = render(client, article.url)
    data = json.loads(page.find("script", type="application/ld+json").string)
    audio = data["audio"]
    assert audio["@type"] == "AudioObject"
    assert audio["contentUrl"] == "http://127.0.0.1:8000" + narration.audio_url
    assert audio["encodingFormat"] == "audio/mpeg"
    assert re.fullmatch(r"PT(\d+H)?(\d+M)?(\d+S)?", audio["duration"])
    assert audio["duration"] == iso_duration(narration.duration)
    assert "Council approves shelters" in audio["name"]
    assert "AI" in audio["description"] and "narrat" in audio["description"]


@pytest.mark.parametrize(
    ("seconds", "expected"),
    [
        (0, "PT0S"),
        (0.4, "PT0S"),
        (12.6, "PT13S"),
        (59.6, "PT1M"),
        (252.4, "PT4M12S"),
        (3600, "PT1H"),
        (3723.2, "PT1H2M3S"),
    ],
)
def test_iso_duration(seconds, expected):
    assert iso_duration(seconds) == expected


@pytest.mark.parametrize(
    ("seconds", "expected"), [(0, "0:00"), (9.99, "0:09"), (252.4, "4:12"), (3723, "1:02:03")]
)
def test_clock(seconds, expected):
    assert clock(seconds) == expected


def test_article_with_audio_renders_in_a_bounded_number_of_queries(
    client, narrated, django_assert_max_num_queries
):
    article, _ = narrated
    client.get(article.url)  # renditions are created on the first view
    with django_assert_max_num_queries(25):
        assert client.get(article.url).status_code == 200


# --- Live briefing ---------------------------------------------------------------------------


def test_live_feed_without_a_briefing_has_no_player(client):
    feed = make_live_feed("Storm over the coast")
    post(feed, "Water levels rise")
    _, page = render(client, feed.url)
    assert page.select(".listen") == []
    assert DISCLOSURE not in page.text


def test_live_briefing_player(client):
    feed = make_live_feed("Storm over the coast")
    key = post(feed, "Dam gates opened", is_key_event=True)
    briefing = narrate_briefing(feed)
    response, page = render(client, feed.url)
    player = page.select_one("section.listen--briefing[data-player]")
    assert player is not None
    minutes = max(1, round(briefing.duration / 60))
    assert page.find(id=player["aria-labelledby"]).get_text(" ", strip=True) == (
        f"Listen: the latest key events ({minutes} min)"
    )
    assert DISCLOSURE in player.get_text(" ", strip=True)
    assert player.find("audio")["src"] == briefing.audio_url
    # The key events list items are what the briefing highlights.
    assert player["data-highlight"] == "data-key-for"
    assert page.select_one(f'[data-key-for="update-{key.pk}"]')
    assert not player.has_attr("data-play-from")
    assert b"narration/player.js" in response.content
