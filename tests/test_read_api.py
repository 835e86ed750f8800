"""The read API at /api/v2/ (newsdesk/readapi, docs/api.md "Read API").

Real Django, real database: what each page type shows, what it must never show (drafts,
private pages, editor data, original images), search ranked as reader search, hostile input,
headers (no cookies, caching), absolute addresses from NEWSDESK_BASE_URL, and query counts.
"""

import json
from datetime import timedelta

import pytest
from django.utils import timezone
from wagtail.models import PageViewRestriction
from wagtail.search import index

from newsdesk.live.actions import delete_update
from newsdesk.narration.models import AudioStatus, Narration
from tests.factories import (
    make_article,
    make_author,
    make_image,
    make_live_feed,
    make_topic,
    make_user,
    paragraphs,
    post,
)

BASE = "https://news.example.org"
PAGES = "/api/v2/pages/"
ARTICLES = {"type": "articles.ArticlePage"}

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _base_url(settings):
    settings.NEWSDESK_BASE_URL = BASE
    settings.WAGTAILAPI_BASE_URL = BASE
    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "attacker.example"]


def get(client, path, params=None, status=200, **headers):
    response = client.get(path, params or {}, **headers)
    assert response.status_code == status, response.content[:500]
    assert response["Content-Type"].startswith("application/json")
    return response


def items(client, **params):
    return get(client, PAGES, params).json()["items"]


def indexed(*objects):
    for obj in objects:
        index.insert_or_update_object(obj)
    return objects


def article(title, *texts, age=timedelta(hours=1), **fields):
    page = make_article(
        title,
        body=paragraphs(*texts) if texts else None,
        published_at=timezone.now() - age,
        **fields,
    )
    indexed(page)
    return page


def urls_in(value):
    """Every string value in a JSON document that looks like an address."""
    if isinstance(value, dict):
        return [url for item in value.values() for url in urls_in(item)]
    if isinstance(value, list):
        return [url for item in value for url in urls_in(item)]
    if isinstance(value, str) and value.startswith(("http://", "https://", "/")):
        return [value]
    return []


# --- Fields ----------------------------------------------------------------------------------


def test_article_listing_shows_a_card_of_each_article(client):
    desk = make_author("News Desk", kind="desk")
    topic = make_topic("Energy")
    page = article("Power restored in Zelenobrid", "Crews finished at 14:10.", authors=[desk])
    page.topics.set([topic])

    body = get(client, PAGES, ARTICLES).json()
    assert body["meta"]["total_count"] == 1
    [item] = body["items"]
    assert item["id"] == page.pk
    assert item["title"] == "Power restored in Zelenobrid"
    assert item["meta"]["type"] == "articles.ArticlePage"
    assert item["meta"]["detail_url"] == f"{BASE}/api/v2/pages/{page.pk}/"
    assert item["meta"]["html_url"] == f"{BASE}/news/power-restored-in-zelenobrid/"
    assert item["meta"]["first_published_at"].startswith(
        timezone.localtime(page.first_published_at).strftime("%Y-%m-%dT%H:%M")
    )
    assert item["authors"] == [
        {
            "name": "News Desk",
            "slug": "news-desk",
            "kind": "desk",
            "url": f"{BASE}/authors/news-desk/",
        }
    ]
    assert item["reading_minutes"] == 1
    hero = item["hero"]
    assert hero["url"].startswith(f"{BASE}/media/images/")
    assert "original_images" not in json.dumps(body)
    assert (hero["width"], hero["height"]) == (1200, 630)
    assert hero["alt"] == "Rescuers clear rubble from a street"
    assert hero["caption"] == "Rescuers at work on Monday."
    assert hero["credit"] == "Newsroom photo desk"
    assert "body" not in item  # detail only


def test_listing_without_a_type_lists_every_public_page_briefly(client):
    page = article("A story")
    found = {item["id"]: item for item in items(client)}
    assert page.pk in found
    assert {item["meta"]["type"] for item in found.values()} >= {
        "articles.HomePage",
        "articles.NewsIndexPage",
        "live.LiveIndexPage",
        "articles.ArticlePage",
    }
    assert set(found[page.pk]) == {"id", "meta", "title"}


def test_article_detail_has_the_body_as_readers_see_it(client):
    photo = make_image("Inline photo", credit="Agency")
    topic = make_topic("Sumy Oblast")
    updated = timezone.now() - timedelta(minutes=5)
    page = make_article(
        "Shelters open in Sumy",
        standfirst="Three shelters opened overnight.",
        body=[
            ("paragraph", '<p>Read <a href="https://example.org/s">the list</a>.</p>'),
            ("heading", {"text": "What to bring", "level": "h3"}),
            ("quote", {"text": "Stay calm.", "attribution": "the mayor"}),
            ("image", {"image": photo, "alt": "A shelter door", "caption": "Entrance."}),
            ("embed", {"embed": "https://www.youtube.com/watch?v=abc", "caption": "Video"}),
        ],
        topics=[topic],
        last_substantive_update=updated,
    )
    body = get(client, f"{PAGES}{page.pk}/").json()
    assert body["standfirst"] == "Three shelters opened overnight."
    assert body["topics"] == [
        {"name": "Sumy Oblast", "slug": "sumy-oblast", "url": f"{BASE}/topics/sumy-oblast/"}
    ]
    assert body["last_substantive_update"].startswith(
        timezone.localtime(updated).strftime("%Y-%m-%dT%H:%M")
    )
    assert body["meta"]["parent"]["meta"]["html_url"] == f"{BASE}/news/"
    assert body["narration"] is None
    blocks = [(block["type"], block["value"]) for block in body["body"]]
    assert blocks[0] == (
        "paragraph",
        {"html": '<p>Read <a href="https://example.org/s">the list</a>.</p>'},
    )
    assert blocks[1] == ("heading", {"text": "What to bring", "level": "h3"})
    assert blocks[2] == ("quote", {"text": "Stay calm.", "attribution": "the mayor"})
    kind, image = blocks[3]
    assert kind == "image"
    assert image["url"].startswith(f"{BASE}/media/images/")
    assert image["width"] == 800
    assert (image["alt"], image["caption"], image["credit"]) == (
        "A shelter door",
        "Entrance.",
        "Agency",
    )
    assert blocks[4] == (
        "embed",
        {"url": "https://www.youtube.com/watch?v=abc", "caption": "Video"},
    )
    assert all(block["id"] for block in body["body"])
    assert "original_images" not in json.dumps(body)


def test_rich_text_is_cleaned_and_internal_links_made_absolute(client):
    target = article("The earlier story")
    page = make_article(
        "Follow-up",
        body=[
            (
                "paragraph",
                f'<p>See <a linktype="page" id="{target.pk}">before</a>.</p>'
                '<script>alert(1)</script><p onclick="x()">Hi</p>',
            )
        ],
    )
    [block] = get(client, f"{PAGES}{page.pk}/").json()["body"]
    html = block["value"]["html"]
    assert f'href="{BASE}/news/the-earlier-story/"' in html
    assert "script" not in html
    assert "onclick" not in html


def test_narration_appears_once_its_audio_exists(client):
    page = article("Narrated story")
    narration = Narration.objects.get(article=page)  # queued, pending, on publish
    assert narration.status == AudioStatus.PENDING
    assert get(client, f"{PAGES}{page.pk}/").json()["narration"] is None

    narration.audio = "narration/narrated-story.mp3"
    narration.duration = 83.46
    narration.audio_bytes = 1_337_000
    narration.status = AudioStatus.READY
    narration.save()
    audio = get(client, f"{PAGES}{page.pk}/").json()["narration"]
    assert audio == {
        "url": f"{BASE}/media/narration/narrated-story.mp3",
        "mime_type": "audio/mpeg",
        "duration": 83.5,
        "bytes": 1_337_000,
        "ai_generated": True,
    }
    [listed] = items(client, **ARTICLES, fields="narration")
    assert listed["narration"] == audio


def test_live_feed_shows_status_count_and_latest_updates(client):
    feed = make_live_feed("Storm over the coast", summary="The storm, as it happens.")
    reporter = make_author("Olena Kovalenko")
    first = post(feed, "Water levels rise", source_name="the harbour master")
    post(feed, "Ferries cancelled", authors=[reporter], body="<p>All <b>ferries</b> stay.</p>")
    post(feed, "A draft", publish=False)
    delete_update(post(feed, "A mistake"))

    [item] = items(client, type="live.LiveFeedPage")
    assert item["summary"] == "The storm, as it happens."
    assert item["status"] == "live"
    assert item["update_count"] == 2
    assert "latest_updates" not in item

    body = get(client, f"{PAGES}{feed.pk}/").json()
    assert body["update_count"] == 2
    assert body["last_sequence"] == 5
    latest = body["latest_updates"]
    assert [update["headline"] for update in latest] == ["Ferries cancelled", "Water levels rise"]
    assert latest[0]["html"] == "<p>All <b>ferries</b> stay.</p>"
    assert latest[0]["authors"][0]["name"] == "Olena Kovalenko"
    assert latest[0]["url"] == f"{BASE}/live/storm-over-the-coast/updates/{latest[0]['id']}/"
    assert latest[1]["id"] == first.pk
    assert latest[1]["source"]["name"] == "the harbour master"
    assert latest[1]["verification"] == "unverified"


def test_index_pages_are_minimal(client):
    found = {item["meta"]["type"]: item["id"] for item in items(client)}
    home = get(client, f"{PAGES}{found['articles.HomePage']}/").json()
    assert set(home) == {"id", "meta", "title"}
    news = get(client, f"{PAGES}{found['articles.NewsIndexPage']}/").json()
    assert set(news) == {"id", "meta", "title", "intro"}


# --- What must never appear ------------------------------------------------------------------

EDITOR_ONLY = (
    "owner",
    "latest_revision",
    "has_unpublished_changes",
    "draft_title",
    "locked",
    "locked_by",
    "live_revision",
    "url_path",
    "content_type",
    "email",
    "hero_image",
    "word_count",
    "exclude_from_audio",
)


def keys_in(value):
    if isinstance(value, dict):
        return set(value) | {key for item in value.values() for key in keys_in(item)}
    if isinstance(value, list):
        return {key for item in value for key in keys_in(item)}
    return set()


def test_drafts_private_and_unpublished_pages_never_appear(client):
    editor = make_user("editor-with-mail")
    public = article("Harbour reopens", "The harbour reopens today.", owner=editor)
    draft = article("Harbour draft", "The harbour draft.", publish=False)
    gone = article("Harbour withdrawn", "The harbour story was withdrawn.")
    gone.unpublish()
    private = article("Harbour private", "The harbour private story.")
    PageViewRestriction.objects.create(
        page=private, restriction_type=PageViewRestriction.PASSWORD, password="x"
    )
    # Unpublished changes to a live page stay out of it.
    public.title = "Harbour secret new headline"
    public.standfirst = "Embargoed standfirst"
    public.save_revision(user=editor)

    texts = []
    for params in ({}, ARTICLES, {**ARTICLES, "fields": "*"}, {"search": "harbour"}):
        response = get(client, PAGES, params)
        texts.append(response.content.decode())
        assert {item["id"] for item in response.json()["items"]} & {
            draft.pk,
            gone.pk,
            private.pk,
        } == set()
    texts.append(get(client, f"{PAGES}{public.pk}/").content.decode())
    for hidden in (draft, gone, private):
        get(client, f"{PAGES}{hidden.pk}/", status=404)
        get(client, f"{PAGES}find/", {"html_path": hidden.url_path[len("/home") :]}, status=404)
    everything = "\n".join(texts)
    assert "secret new headline" not in everything
    assert "Embargoed" not in everything
    assert editor.email not in everything
    assert "Harbour reopens" in everything
    for text in texts:
        assert keys_in(json.loads(text)) & set(EDITOR_ONLY) == set()


def test_editor_fields_cannot_be_asked_for(client):
    article("A story")
    for name in ("owner", "latest_revision", "locked_by", "draft_title", "locale"):
        get(client, PAGES, {**ARTICLES, "fields": name}, status=400)
        get(client, PAGES, {**ARTICLES, name: "1"}, status=400)
        get(client, PAGES, {**ARTICLES, "order": name}, status=400)


def test_no_images_or_documents_endpoint(client):
    make_image()
    for path in ("/api/v2/images/", "/api/v2/documents/", "/api/v2/"):
        assert client.get(path).status_code == 404


# --- Search ----------------------------------------------------------------------------------


def test_search_ranks_the_article_named_by_the_query_first(client):
    article("Ferry timetable", "The harbour ferry runs again.", age=timedelta(hours=2))
    named = article("Harbour ferry strike", "Crews stopped work.", age=timedelta(days=3))
    article("Weather", "Wind at the harbour; a ferry waited.", age=timedelta(minutes=10))
    article("Unrelated", "Nothing to see.")

    body = get(client, PAGES, {"search": "harbour ferry strike"}).json()
    assert [item["id"] for item in body["items"]] == [named.pk]
    found = items(client, search="harbour ferry", **ARTICLES, fields="standfirst")
    assert found[0]["id"] == named.pk
    assert len(found) == 3
    assert get(client, PAGES, {"search": "harbour ferry"}).json()["meta"]["total_count"] == 3


def test_search_combines_with_types_and_filters(client):
    named = article("Storm damage in the harbour", "Roofs were torn off.")
    article("Storm warnings", "Roofs at risk in the harbour.")
    feed = make_live_feed("Storm over the harbour")
    post(feed, "Harbour closed")
    indexed(feed)
    [item] = items(client, search="storm harbour", type="live.LiveFeedPage")
    assert (item["id"], item["update_count"]) == (feed.pk, 1)
    [item] = items(client, search="storm harbour", **ARTICLES, slug=named.slug)
    assert item["id"] == named.pk
    news = named.get_parent().pk
    found = items(client, search="storm harbour", child_of=news)
    assert [entry["id"] for entry in found][0] == named.pk
    assert feed.pk not in [entry["id"] for entry in found]


def test_search_with_order_keeps_the_matches_in_that_order(client):
    old = article("Harbour old", "harbour", age=timedelta(days=9))
    new = article("Harbour new", "harbour", age=timedelta(days=1))
    ordered = items(client, search="harbour", order="first_published_at")
    assert [item["id"] for item in ordered] == [old.pk, new.pk]


@pytest.mark.parametrize(
    "query",
    [
        "<script>alert(1)</script>",
        "harbour " * 700,
        "x" * 5000,
        '"a" OR b* NEAR(harbour ferry, 2)',
        "harbour)(*&^%$#@!\\'\"",
        "{title}: harbour -ferry",
        "\x00harbour\x1f",
        "the",
        "",
        "   ",
        "ＨＡＲＢＯＵＲ",
        "'; DROP TABLE wagtailcore_page; --",
    ],
)
def test_hostile_or_huge_searches_get_a_clean_answer(client, query):
    page = article("Harbour news", "The harbour reopens.")
    body = get(client, PAGES, {"search": query}).json()
    ids = [item["id"] for item in body["items"]]
    assert ids in ([], [page.pk])
    assert "<script>" not in json.dumps(body)


def test_search_operator_is_ignored_every_word_must_match(client):
    article("Harbour news", "The harbour reopens.")
    assert items(client, search="harbour nonexistentword", search_operator="or") == []


# --- Hostile parameters ----------------------------------------------------------------------


@pytest.mark.parametrize(
    "params",
    [
        {"offset": "99999999999999999999999"},
        {"offset": "-1"},
        {"limit": "1000"},
        {"limit": "x"},
        {**ARTICLES, "topics": "abc"},
        {**ARTICLES, "first_published_at": "yesterday"},
        {**ARTICLES, "reading_minutes": "many"},
        {"child_of": "-1"},
        {"child_of": "999999999999999999999999"},
        {"descendant_of": "abc"},
        {"type": "live.LiveUpdate"},
        {"type": "auth.User"},
        {"type": "nope"},
        {"fields": "title(body"},
        {"fields": "*,owner"},
        {"order": "-nope"},
        {"site": "attacker.example"},
        {"locale": "en"},
        {"title": "a\x00b"},
    ],
)
def test_bad_parameters_are_a_400_never_a_500(client, params):
    article("A story")
    response = client.get(PAGES, params)
    assert response.status_code == 400, response.content[:300]
    assert "message" in response.json()


@pytest.mark.parametrize(
    "path",
    [f"{PAGES}99999999999999999999999/", f"{PAGES}0/", f"{PAGES}find/?id=abc"],
)
def test_unknown_pages_are_a_404(client, path):
    response = client.get(path)
    assert response.status_code in (400, 404)
    assert response.status_code != 500


def test_large_but_allowed_offset_is_empty(client):
    article("A story")
    assert items(client, offset="100000") == []


def test_only_get(client):
    assert client.post(PAGES, {}).status_code == 405


# --- Headers ---------------------------------------------------------------------------------


def test_no_cookies_and_public_caching(client):
    page = article("Harbour story", "harbour")
    private = article("Private story")
    PageViewRestriction.objects.create(
        page=private, restriction_type=PageViewRestriction.PASSWORD, password="x"
    )
    login = article("Login story")
    PageViewRestriction.objects.create(page=login, restriction_type=PageViewRestriction.LOGIN)
    for path, params, status in [
        (PAGES, {}, 200),
        (PAGES, {**ARTICLES, "fields": "*"}, 200),
        (PAGES, {"search": "harbour"}, 200),
        (f"{PAGES}{page.pk}/", {}, 200),
        (f"{PAGES}{private.pk}/", {}, 404),
        (PAGES, {"limit": "x"}, 400),
    ]:
        response = client.get(path, params)
        assert response.status_code == status
        assert "Set-Cookie" not in response.headers, path
        assert not response.cookies
        assert "cookie" not in response.get("Vary", "").lower()
        assert response["Cache-Control"] == "public, max-age=60"


def test_addresses_come_from_the_base_url_whatever_the_host(client):
    page = article("Harbour story", "harbour")
    feed = make_live_feed()
    post(feed, "Update")
    hostile = {"HTTP_HOST": "attacker.example", "HTTP_X_FORWARDED_HOST": "attacker.example"}
    bodies = [
        client.get(PAGES, {"fields": "*"}, **hostile),
        client.get(PAGES, {**ARTICLES, "fields": "*"}, **hostile),
        client.get(f"{PAGES}{page.pk}/", **hostile),
        client.get(f"{PAGES}{feed.pk}/", **hostile),
    ]
    urls = []
    for response in bodies:
        assert response.status_code == 200
        assert "attacker" not in response.content.decode()
        urls += urls_in(response.json())
    assert urls
    assert all(url.startswith(BASE + "/") for url in urls), urls
    found = client.get(f"{PAGES}find/", {"html_path": "/news/harbour-story/"}, **hostile)
    assert found.status_code == 302
    assert found["Location"].startswith(f"{BASE}/api/v2/pages/{page.pk}/")


# --- Query counts ----------------------------------------------------------------------------


def _articles(count):
    topics = [make_topic(), make_topic()]
    authors = [make_author(), make_author()]
    pages = [article(None, "Words.", authors=authors, topics=topics) for _ in range(count)]
    for page in pages[:2]:
        Narration.objects.update_or_create(
            article=page, defaults={"audio": f"narration/{page.slug}.mp3", "duration": 9}
        )
    return pages


ARTICLE_LISTING_QUERIES = 8
"""Site, view restrictions, count, pages (with hero image and narration joined), bylines,
their authors, topics, hero renditions: the same for 3 articles or 20."""


def test_article_listing_queries_do_not_grow_with_the_articles(
    client, django_assert_num_queries, django_assert_max_num_queries
):
    params = {**ARTICLES, "fields": "*"}
    _articles(3)
    get(client, PAGES, params)
    with django_assert_num_queries(ARTICLE_LISTING_QUERIES):
        get(client, PAGES, params)
    _articles(9)
    get(client, PAGES, params)
    with django_assert_num_queries(ARTICLE_LISTING_QUERIES):
        assert len(get(client, PAGES, params).json()["items"]) == 12
    # Search adds its ranking: on SQLite the FTS query and the candidates' dates.
    searched = {**params, "search": "words"}
    get(client, PAGES, searched)
    with django_assert_max_num_queries(ARTICLE_LISTING_QUERIES + 2):
        assert len(get(client, PAGES, searched).json()["items"]) == 12


def test_plain_and_live_listings_are_bounded(client, django_assert_max_num_queries):
    _articles(6)
    for n in range(3):
        feed = make_live_feed(f"Feed {n}")
        post(feed, "One")
        post(feed, "Two")
    get(client, PAGES, {"fields": "*"})  # the site's root paths are cached from now on
    with django_assert_max_num_queries(4):  # site, view restrictions, count, pages
        get(client, PAGES, {"fields": "*"})
    # The same: update counts and sequence numbers come with the pages.
    with django_assert_max_num_queries(4):
        body = get(client, PAGES, {"type": "live.LiveFeedPage", "fields": "*"}).json()
    assert [item["update_count"] for item in body["items"]] == [2, 2, 2]


def test_detail_queries_are_bounded(client, django_assert_max_num_queries):
    photo = make_image("Inline")
    [page, *_] = _articles(1)
    page.body = [
        ("paragraph", "<p>One.</p>"),
        ("image", {"image": photo, "alt": "A"}),
        ("paragraph", "<p>Two.</p>"),
    ]
    page.save_revision().publish()
    get(client, f"{PAGES}{page.pk}/")
    with django_assert_max_num_queries(14):
        body = get(client, f"{PAGES}{page.pk}/").json()
    assert [block["type"] for block in body["body"]] == ["paragraph", "image", "paragraph"]
    feed = make_live_feed()
    for n in range(4):
        post(feed, f"Update {n}", authors=[make_author()])
    with django_assert_max_num_queries(11):
        get(client, f"{PAGES}{feed.pk}/")
    for n in range(12):
        post(feed, f"More {n}", authors=[make_author()])
    with django_assert_max_num_queries(11):
        assert len(get(client, f"{PAGES}{feed.pk}/").json()["latest_updates"]) == 16
