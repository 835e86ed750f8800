import json
from datetime import UTC, datetime

import pytest
from bs4 import BeautifulSoup
from django.core.exceptions import ValidationError
from django.urls import reverse
from wagtail.models import PageViewRestriction

from newsdesk.accounts import roles
from newsdesk.articles.models import (
    ArticleAuthor,
    ArticleCorrection,
    ArticlePage,
    Author,
    HomePage,
    NewsIndexPage,
    RelatedArticle,
)
from newsdesk.narration.models import AudioStatus, Narration
from tests.factories import (
    make_article,
    make_author,
    make_image,
    make_live_feed,
    make_topic,
    paragraphs,
    post,
)

pytestmark = pytest.mark.django_db

PUBLISHED = datetime(2024, 1, 27, 13, 34, tzinfo=UTC)  # 3:34 PM in Kyiv


def words(count):
    return " ".join(["word"] * count)


def test_reading_time_is_computed_from_body_text_only():
    article = make_article(
        body=[
            *paragraphs(words(200), words(30)),
            ("heading", {"text": words(5), "level": "h2"}),
            ("quote", {"text": words(4), "attribution": words(50)}),
        ],
    )
    # 239 words are read (attributions and captions are not), so the estimate is 2 minutes.
    assert article.word_count == 239
    assert article.reading_minutes == 2


def test_reading_time_follows_edits():
    article = make_article(body=paragraphs(words(600)))
    assert article.reading_minutes == 3
    article.body = paragraphs(words(10))
    article.save_revision().publish()
    article.refresh_from_db()
    assert article.reading_minutes == 1


def test_hero_image_without_alt_text_is_invalid():
    article = make_article()
    article.hero_alt = "  "
    with pytest.raises(ValidationError) as error:
        article.full_clean()
    assert "hero_alt" in error.value.message_dict


def test_byline_keeps_the_editors_order():
    first, second, third = make_author("Zoe Adams"), make_author("Ann Brown"), make_author("Ken Li")
    article = make_article(authors=[first, second, third])
    assert [author.name for author in article.authors] == ["Zoe Adams", "Ann Brown", "Ken Li"]


def test_published_excludes_drafts_and_orders_newest_first():
    older = make_article("Older", published_at=datetime(2024, 1, 1, tzinfo=UTC))
    newer = make_article("Newer", published_at=datetime(2024, 2, 1, tzinfo=UTC))
    make_article("Draft", publish=False)
    assert list(ArticlePage.objects.published()) == [newer, older]


def test_first_published_time_set_by_editor_is_kept():
    article = make_article(published_at=PUBLISHED)
    assert article.first_published_at == PUBLISHED


def test_related_stories_prefer_editors_picks_then_shared_topics():
    energy, sport = make_topic("Energy"), make_topic("Sport")
    article = make_article("Main", topics=[energy])
    same_topic = make_article("Same topic", topics=[energy])
    make_article("Other topic", topics=[sport])
    assert article.related_articles() == [same_topic]


def test_author_kinds():
    desk = make_author("News Desk", kind=Author.Kind.DESK)
    person = make_author("Olena Petrenko")
    assert desk.is_desk and not person.is_desk
    assert desk.get_absolute_url() == "/authors/news-desk/"


def render(client, url):
    response = client.get(url)
    assert response.status_code == 200, response.content[:500]
    return response, BeautifulSoup(response.content, "html.parser")


def test_article_page_shows_every_element_of_the_reference_page(client):
    desk = make_author("News Desk", kind=Author.Kind.DESK, bio="Our editors on duty.")
    topic = make_topic("Sumy Oblast")
    article = make_article(
        "Power returns to Sumy after overnight strike",
        authors=[desk],
        topics=[topic],
        published_at=PUBLISHED,
        standfirst="Repair crews worked through the night.",
        hero_caption="Repair crews in Sumy on Jan. 27, 2024.",
        hero_credit="Regional energy company",
        body=paragraphs(words(300), "Officials said 48,000 homes had power again by 10:47 AM."),
    )
    response, page = render(client, article.url)

    assert page.h1.get_text(strip=True) == "Power returns to Sumy after overnight strike"
    byline = page.select_one(".byline").get_text(" ", strip=True)
    assert "by News Desk" in byline
    assert "January 27, 2024 3:34 PM" in byline
    assert "2 min read" in byline
    caption = page.select_one(".article__hero figcaption").get_text(" ", strip=True)
    assert caption == "Repair crews in Sumy on Jan. 27, 2024. (Regional energy company)"
    hero = page.select_one(".article__hero img")
    assert hero["alt"] == "Rescuers clear rubble from a street"
    assert hero["width"] and hero["height"] and "srcset" in hero.attrs
    assert "48,000 homes" in page.select_one(".article__body").get_text()
    assert page.select_one(".article__author-line").get_text(" ", strip=True) == (
        "Author: News Desk"
    )
    assert page.select_one(".topics a")["href"] == "/topics/sumy-oblast/"
    assert page.find("time")["datetime"] == "2024-01-27T15:34:00+02:00"


def test_article_with_several_authors_joins_them(client):
    authors = [make_author("Iryna Bondar"), make_author("Taras Hnatiuk"), make_author("Ann Lee")]
    _, page = render(client, make_article(authors=authors).url)
    assert "by Iryna Bondar, Taras Hnatiuk and Ann Lee" in page.select_one(".byline").get_text(
        " ", strip=True
    ).replace(" ,", ",")
    assert page.select_one(".article__author-line").get_text(" ", strip=True) == (
        "Authors: Iryna Bondar, Taras Hnatiuk and Ann Lee"
    )


def test_update_and_corrections_are_shown(client):
    article = make_article(published_at=PUBLISHED)
    article.last_substantive_update = datetime(2024, 1, 28, 8, 0, tzinfo=UTC)
    article.corrections.create(
        published_at=datetime(2024, 1, 28, 9, 0, tzinfo=UTC),
        text="An earlier version gave the wrong district.",
    )
    article.save_revision().publish()
    _, page = render(client, article.url)
    assert "Updated January 28, 2024 10:00 AM" in page.select_one(".article__updated").get_text(
        " ", strip=True
    )
    assert "An earlier version gave the wrong district." in page.select_one(".corrections").text


def test_json_ld_news_article(client):
    desk = make_author("News Desk", kind=Author.Kind.DESK)
    article = make_article(
        "Trains run again", authors=[desk], topics=[make_topic("Transport")], published_at=PUBLISHED
    )
    _, page = render(client, article.url)
    data = json.loads(page.find("script", type="application/ld+json").string)
    assert data["@type"] == "NewsArticle"
    assert data["headline"] == "Trains run again"
    assert data["datePublished"] == "2024-01-27T15:34:00+02:00"
    assert data["dateModified"].endswith("+02:00") or data["dateModified"].endswith("+03:00")
    assert data["author"] == [
        {
            "@type": "Organization",
            "name": "News Desk",
            "url": "http://127.0.0.1:8000/authors/news-desk/",
        }
    ]
    assert data["publisher"]["name"]
    assert data["publisher"]["logo"]["url"].endswith(".png")
    assert data["image"][0].startswith("http")
    assert data["keywords"] == ["Transport"]
    assert data["mainEntityOfPage"] == "http://127.0.0.1:8000/news/trains-run-again/"


def test_json_ld_cannot_be_broken_out_of(client):
    article = make_article("</script><script>alert(1)</script>")
    response = client.get(article.url)
    assert b"<script>alert(1)" not in response.content
    page = BeautifulSoup(response.content, "html.parser")
    data = json.loads(page.find("script", type="application/ld+json").string)
    assert data["headline"] == "</script><script>alert(1)</script>"


def test_social_and_canonical_tags(client):
    article = make_article("Bridge reopens", standfirst="Traffic resumes on the river crossing.")
    _, page = render(client, article.url)
    meta = {
        tag.get("property") or tag.get("name"): tag["content"]
        for tag in page.find_all("meta")
        if tag.get("content")
    }
    assert (
        page.find("link", rel="canonical")["href"] == "http://127.0.0.1:8000/news/bridge-reopens/"
    )
    assert meta["og:type"] == "article"
    assert meta["og:title"] == "Bridge reopens"
    assert meta["og:description"] == "Traffic resumes on the river crossing."
    assert meta["og:image"].startswith("http://127.0.0.1:8000/media/")
    assert meta["twitter:card"] == "summary_large_image"


def test_article_whose_photo_file_is_missing_is_still_served(client):
    """An app host whose disk lacks the original (another host stored it, or a restore left
    media out) serves the page without a share image instead of failing."""
    article = make_article("Ferry resumes")
    article.hero_image.file.storage.delete(article.hero_image.file.name)
    response, page = render(client, article.url)
    assert response.status_code == 200
    assert page.find("meta", property="og:image") is None
    assert page.find("h1").get_text(strip=True) == "Ferry resumes"


def test_content_security_policy_forbids_inline_script(client):
    response = client.get(make_article().url)
    policy = response.headers["Content-Security-Policy"]
    directives = dict(part.strip().split(" ", 1) for part in policy.split(";"))
    assert directives["script-src"] == "'self'"
    assert "unsafe-inline" not in policy
    page = BeautifulSoup(response.content, "html.parser")
    for script in page.find_all("script"):
        assert script.get("src") or script.get("type") == "application/ld+json"
    assert not page.select("[style]")


def a_full_article():
    """An article with everything its page can show: two authors with photos and bios,
    topics, an editor's pick and a story on the same topic, a hero image, narration ready
    and a correction."""
    authors = [make_author(bio="Covers energy.", photo=make_image()) for _ in range(2)]
    topics = [make_topic(), make_topic()]
    pick = make_article("Editor's pick")
    make_article("Same topic", topics=topics)
    article = make_article(
        authors=authors,
        topics=topics,
        body=[
            *paragraphs("One.", "Two."),
            ("quote", {"text": "Words.", "attribution": "Someone"}),
        ],
    )
    article.related_links.add(RelatedArticle(article=pick, sort_order=0))
    article.corrections.add(
        ArticleCorrection(published_at=PUBLISHED, text="An earlier version misspelled a name.")
    )
    article.save_revision().publish()
    keys = [block.id for block in article.body]
    Narration.objects.update_or_create(  # publishing queued a pending job; now it is done
        article=article,
        defaults={
            "status": AudioStatus.READY,
            "audio": "narration/full.mp3",
            "duration": 30.0,
            "timings": [{"key": key, "start": 0.0, "end": 1.0} for key in keys],
        },
    )
    return article


ARTICLE_QUERIES = 7
"""The article (with hero image and narration; the Site and home page that route it come
from memory, core/sites.py), view restrictions (once per request), byline with photos,
topics, editors' picks, stories on the same topic, corrections. Renditions come from the
cache once made."""


def test_article_render_query_count_is_bounded(client, django_assert_max_num_queries):
    article = a_full_article()
    client.get(article.url)  # renditions are created on the first view
    with django_assert_max_num_queries(ARTICLE_QUERIES):
        response = client.get(article.url)
    page = BeautifulSoup(response.content, "html.parser")
    assert len(page.select(".author-note img")) == 2
    assert len(page.select(".topics li")) == 2
    assert [card.h3.get_text(strip=True) for card in page.select(".related .card")] == [
        "Editor's pick",
        "Same topic",
    ]
    assert page.select_one(".article__hero img")
    assert page.select(".listen") and page.select("[data-audio-key]")
    assert "misspelled" in page.select_one(".corrections").text


HOME_QUERIES = 2
"""No Site or home page (both from memory, core/sites.py, until the home page is published);
view restrictions, then the page's stored regions and live box (articles/front.py, one
query): the same whatever the number of articles, feeds, updates and topics. A first render
after a change builds them (the newest articles and their topics, the cards, the news index,
the running live feeds): tests/test_parts_listings.py checks that every change shows."""


def test_home_page_query_count_does_not_grow_with_articles(client, django_assert_max_num_queries):
    energy, sport = make_topic("Energy"), make_topic("Sport")
    feed = make_live_feed()
    post(feed, "First update")
    for number in range(3):
        make_article(f"Early {number}", topics=[energy])
    client.get("/")
    with django_assert_max_num_queries(HOME_QUERIES) as few:
        client.get("/")
    second = make_live_feed("Election night", slug="election-night")
    for number in range(4):
        post(feed, f"Update {number}")
        post(second, f"Count {number}")
    for number in range(25):
        make_article(f"Later {number}", topics=[(energy, sport)[number % 2]])
    client.get("/")
    with django_assert_max_num_queries(HOME_QUERIES) as many:
        response = client.get("/")
    assert len(many) == len(few)
    page = BeautifulSoup(response.content, "html.parser")
    assert page.select_one(".home-lead .lead__headline").get_text(strip=True) == "Later 24"
    assert len(page.select(".front-secondary .card")) == 3
    assert len(page.select(".home-latest__item")) == 10
    feeds = page.select(".home-live__feed")
    assert [f.select_one(".home-live__title").get_text(strip=True) for f in feeds] == [
        "Election night",
        "Storm over the coast",
    ]
    assert [li.get_text(" ", strip=True)[-8:] for li in feeds[1].select(".update")] == [
        "Update 3",
        "Update 2",
        "Update 1",
    ]
    sections = page.select(".topic-section")
    assert {s.h2.get_text(strip=True) for s in sections} == {"Energy", "Sport"}
    cards = [card.h3.get_text(strip=True) for s in sections for card in s.select(".card")]
    assert len(cards) == len(set(cards)) == 8  # four each, none twice
    top = {page.select_one(".lead__headline").get_text(strip=True)}
    top |= {card.h3.get_text(strip=True) for card in page.select(".front-secondary .card")}
    assert not top & set(cards)


def test_a_chosen_lead_story_leads(client):
    chosen = make_article("Chosen lead", published_at=datetime(2024, 1, 1, tzinfo=UTC))
    make_article("Newer story", published_at=datetime(2024, 2, 1, tzinfo=UTC))
    home = HomePage.objects.get()
    home.lead_article = chosen
    home.save_revision().publish()
    _, page = render(client, "/")
    assert "Chosen lead" in page.select_one(".home-lead").get_text()
    assert "Chosen lead" not in page.select_one(".home-latest").get_text()
    assert "Newer story" in page.select_one(".front-secondary").get_text()


def test_private_articles_are_neither_served_nor_listed(client):
    topic = make_topic("Energy")
    private = make_article("Private story", topics=[topic])
    public = make_article("Public story", topics=[topic])
    public.related_links.add(RelatedArticle(article=private, sort_order=0))
    public.save_revision().publish()
    assert client.get(private.url).status_code == 200
    assert b"Private story" in client.get(public.url).content
    # The restriction is read once per request: the next request sees a new one.
    PageViewRestriction.objects.create(page=private, restriction_type=PageViewRestriction.LOGIN)
    assert client.get(private.url).status_code == 302
    assert b"Private story" not in client.get(public.url).content
    assert b"Private story" not in client.get("/").content
    assert b"Private story" not in client.get("/news/").content
    PageViewRestriction.objects.create(
        page=NewsIndexPage.objects.get(), restriction_type=PageViewRestriction.LOGIN
    )
    assert client.get(public.url).status_code == 302
    assert b"Public story" not in client.get("/").content
    PageViewRestriction.objects.all().delete()
    assert client.get(public.url).status_code == 200


def test_preview_shows_the_drafts_byline_and_topics(client_for):
    client, _ = client_for(roles.EDITORS)
    article = make_article(
        "Bridge story", authors=[make_author("Old Name")], topics=[make_topic("Old topic")]
    )
    draft = ArticlePage.objects.get(pk=article.pk)
    draft.byline = [ArticleAuthor(author=make_author("New Name"))]
    draft.topics.set([make_topic("New topic")])
    draft.save_revision()
    response = client.get(
        reverse("wagtailadmin_pages:view_draft", args=(article.pk,)),
        headers={"X-Forwarded-Proto": "https"},
    )
    page = BeautifulSoup(response.content, "html.parser")
    assert "New Name" in page.select_one(".byline").text
    assert "Old Name" not in page.text
    assert [a.text for a in page.select(".topics a")] == ["New topic"]
    _, live = render(client, article.url)
    assert "Old Name" in live.select_one(".byline").text


def test_draft_article_is_not_public(client):
    article = make_article(publish=False)
    assert client.get("/news/" + article.slug + "/").status_code == 404


def test_home_page_leads_with_latest_article(client):
    make_article("Older story", published_at=datetime(2024, 1, 1, tzinfo=UTC))
    make_article("Newest story", published_at=datetime(2024, 2, 1, tzinfo=UTC))
    _, page = render(client, "/")
    assert page.select_one(".home-lead").get_text(" ", strip=True).count("Newest story") == 1
    assert "Older story" in page.select_one(".front-secondary").get_text()


def test_author_page_lists_their_articles_with_pagination(client):
    author = make_author("Maria Lysenko", bio="Covers the economy.")
    for number in range(22):
        make_article(f"Economy story {number}", authors=[author], hero=False)
    make_article("Someone else's story", hero=False)
    _, first = render(client, "/authors/maria-lysenko/")
    assert first.h1.text == "Maria Lysenko"
    assert "Covers the economy." in first.text
    assert len(first.select(".card")) == 20
    assert "Someone else's story" not in first.text
    _, second = render(client, "/authors/maria-lysenko/?page=2")
    assert len(second.select(".card")) == 2
    _, nonsense = render(client, "/authors/maria-lysenko/?page=banana")
    assert len(nonsense.select(".card")) == 20


def test_topic_page(client):
    topic = make_topic("Energy", description="Power, heat and fuel.")
    make_article("Grid repaired", topics=[topic], hero=False)
    make_article("Unrelated", hero=False)
    _, page = render(client, "/topics/energy/")
    assert page.h1.text == "Energy"
    assert "Grid repaired" in page.text and "Unrelated" not in page.text


@pytest.mark.parametrize("url", ["/authors/nobody/", "/topics/nothing/", "/news/missing/"])
def test_unknown_pages_are_404(client, url):
    assert client.get(url).status_code == 404


def test_news_index_lists_articles(client):
    make_article("Listed story", hero=False)
    _, page = render(client, "/news/")
    assert "Listed story" in page.text


def test_missing_page_has_a_helpful_404(client):
    response = client.get("/news/no-such-story/")
    assert response.status_code == 404
    page = BeautifulSoup(response.content, "html.parser")
    assert page.h1.text == "Page not found"
    assert page.find("a", href="/")


@pytest.mark.django_db
def test_a_caption_without_a_photo_is_still_shown(client):
    article = make_article(
        "Ferry resumes",
        hero=False,
        hero_caption="The ferry at the pier.",
        hero_credit="Port office",
    )
    page = BeautifulSoup(client.get(article.url).content, "html.parser")
    caption = page.select_one(".article__caption")
    assert caption.get_text(" ", strip=True) == "The ferry at the pier. (Port office)"


def test_an_article_shows_its_live_feed_newest_first_under_each_day(client):
    # The reference page ends with the live feed's entries, running back past midnight.
    feed = make_live_feed("Storm over the coast")
    evening = datetime(2024, 1, 26, 18, 54, tzinfo=UTC)  # 8:54 PM in Kyiv, the day before
    post(feed, "Gales reach the coast", published_at=evening)
    post(feed, "Trams stop for the night", published_at=datetime(2024, 1, 26, 22, 22, tzinfo=UTC))
    post(feed, "Trams run again", published_at=datetime(2024, 1, 27, 8, 47, tzinfo=UTC))
    article = make_article("Storm leaves the city", live_feed=feed)
    page = BeautifulSoup(client.get(article.url).content, "html.parser")
    block = page.select_one(".article-live")
    assert block.select_one("h2 a")["href"] == feed.url
    days = [day.get_text() for day in block.select(".live__date")]
    assert days == ["January 27, 2024", "January 26, 2024"]
    entries = [
        (entry.select_one(".update__time time").get_text(), entry.select_one("h4").get_text())
        for entry in block.select(".update")
    ]
    assert entries == [
        ("10:47 AM", "Trams run again"),
        ("12:22 AM", "Trams stop for the night"),
        ("8:54 PM", "Gales reach the coast"),
    ]


def test_an_article_shows_the_latest_few_updates_and_follows_the_feed(client):
    from newsdesk.articles.models import ARTICLE_LIVE_UPDATES
    from newsdesk.live.models import FeedSequence

    feed = make_live_feed("Storm over the coast")
    for number in range(ARTICLE_LIVE_UPDATES + 3):
        post(feed, f"Update {number}")
    post(feed, "What we know", is_pinned=True)
    article = make_article("Storm leaves the city", live_feed=feed)
    html = client.get(article.url).content.decode()
    block = BeautifulSoup(html, "html.parser").select_one(".article-live")
    headlines = [h.get_text() for h in block.select(".update__headline")]
    newest = ARTICLE_LIVE_UPDATES + 2
    assert headlines == [f"Update {n}" for n in range(newest, newest - ARTICLE_LIVE_UPDATES, -1)]
    # The live page's script follows the feed from where the page stands.
    assert block.has_attr("data-live-feed") and block.has_attr("data-embed")
    assert block["data-events-url"] == f"{feed.url}events"
    assert block["data-sequence"] == str(FeedSequence.objects.get(feed=feed).last)
    assert block["data-limit"] == str(ARTICLE_LIVE_UPDATES)
    assert not block.has_attr("data-static")
    assert block.select_one(".live__older a")["href"] == feed.url
    assert "newsdesk/live.js" in html
    feed.status = feed.Status.ENDED
    feed.save_revision().publish()
    html = client.get(article.url).content.decode()
    assert BeautifulSoup(html, "html.parser").select_one(".article-live").has_attr("data-static")
    assert "newsdesk/live.js" not in html  # nothing to follow


def test_an_unpublished_live_feed_is_not_shown_on_the_article(client):
    feed = make_live_feed("Closed coverage")
    post(feed, "Secret draft entry")
    article = make_article("A story", live_feed=feed)
    feed.unpublish()
    response = client.get(article.url)
    assert b"article-live" not in response.content
    assert b"Secret draft entry" not in response.content


def test_article_with_a_live_feed_query_count_is_bounded(client, django_assert_max_num_queries):
    feed = make_live_feed()
    for number in range(12):
        post(feed, f"Update {number}", authors=[make_author()])
    article = make_article(live_feed=feed)
    client.get(article.url)
    # The article's own (no topics here, so no stories on the same topic: one fewer), plus
    # six for the feed (the feed page, its sequence for the script to follow on from, its
    # updates, pinned update, authors, corrections), whatever its number of updates.
    with django_assert_max_num_queries(ARTICLE_QUERIES - 1 + 6):
        assert client.get(article.url).status_code == 200


def test_paragraphs_and_headings_render_as_their_templates_did():
    """They render without templates now (articles/blocks.py): the same HTML, escaped."""
    from newsdesk.articles.blocks import ArticleBodyBlock

    body = ArticleBodyBlock()
    value = body.to_python(
        [
            {"type": "paragraph", "value": {"text": "<p>One <b>bold</b> line</p>"}},
            {"type": "heading", "value": {"text": "Fish & <chips>", "level": "h3"}},
            {"type": "heading", "value": {"text": "Section", "level": "h2"}},
        ]
    )
    assert [str(block.render()) for block in value] == [
        "<p>One <b>bold</b> line</p>\n",
        "<h3>Fish &amp; &lt;chips&gt;</h3>\n",
        "<h2>Section</h2>\n",
    ]
