"""Listings and the front page as stored parts (articles/listings.py, articles/front.py): a
page whose parts are stored costs a couple of queries, and every change a reader would see
on it appears at once (docs/caching.md#listings-and-the-front-page)."""

import pytest
from bs4 import BeautifulSoup

from newsdesk.articles.models import ArticleAuthor, ArticlePage
from newsdesk.parts.models import Part
from tests.factories import make_article, make_author, make_live_feed, make_topic, post

pytestmark = pytest.mark.django_db

STORED_QUERIES = {"/": 2, "/news/": 3, "topic": 2, "author": 2}
"""With its parts stored: the home page reads its view restrictions and its four regions and
live box (one query); /news/ is routed (one prepared query), then the same two; a topic's or
an author's page reads the topic or author and its stored page."""


def html_of(client, url):
    response = client.get(url)
    assert response.status_code == 200, url
    return response.content.decode()


def cards(html):
    return [
        h.get_text(strip=True) for h in BeautifulSoup(html, "html.parser").select(".card__title")
    ]


@pytest.fixture
def newsroom():
    topic = make_topic("Energy")
    author = make_author("Maria Lysenko")
    for number in range(3):
        make_article(f"Grid story {number}", topics=[topic], authors=[author])
    return topic, author


def urls(topic, author):
    return {"/": "/", "/news/": "/news/", "topic": topic.get_absolute_url(),
            "author": author.get_absolute_url()}  # fmt: skip


@pytest.mark.parametrize("kind", ["/", "/news/", "topic", "author"])
def test_a_listing_with_its_parts_stored_costs_few_queries(
    client, newsroom, kind, django_assert_max_num_queries
):
    url = urls(*newsroom)[kind]
    first = html_of(client, url)
    with django_assert_max_num_queries(STORED_QUERIES[kind]):
        again = html_of(client, url)
    assert again == first


@pytest.mark.parametrize("kind", ["/", "/news/", "topic", "author"])
def test_a_new_article_and_an_unpublished_one_appear_at_once(client, newsroom, kind):
    topic, author = newsroom
    url = urls(topic, author)[kind]
    html_of(client, url)
    newer = make_article("Substation repaired", topics=[topic], authors=[author])
    assert "Substation repaired" in html_of(client, url)
    newer.unpublish()
    assert "Substation repaired" not in html_of(client, url)


@pytest.mark.parametrize("kind", ["/", "topic"])
def test_a_renamed_topic_appears(client, newsroom, kind):
    topic, author = newsroom
    make_article("Another grid story", topics=[topic])  # two stories for a home section
    url = urls(topic, author)[kind]
    assert ">Energy<" in html_of(client, url)
    topic.name = "Power grid"
    topic.save()
    page = html_of(client, url)
    assert ">Power grid<" in page and ">Energy<" not in page


def test_a_renamed_author_appears_on_their_page(client, newsroom):
    topic, author = newsroom
    assert "Maria Lysenko" in html_of(client, author.get_absolute_url())
    author.name = "Mariia Lysenko"
    author.save()
    page = html_of(client, author.get_absolute_url())
    assert "Mariia Lysenko" in page and "Maria Lysenko" not in page


@pytest.mark.parametrize("kind", ["/", "/news/", "topic", "author"])
def test_an_edited_headline_appears(client, newsroom, kind):
    topic, author = newsroom
    url = urls(topic, author)[kind]
    html_of(client, url)
    article = make_article("Old headline", topics=[topic], authors=[author])
    html_of(client, url)
    article.title = "New headline"
    article.save_revision().publish()
    page = html_of(client, url)
    assert "New headline" in page and "Old headline" not in page


def test_pages_past_the_end_are_not_stored_and_show_the_last_page(client, newsroom):
    topic, author = newsroom
    for number in range(20):
        make_article(f"More energy {number}", topics=[topic])
    last = cards(html_of(client, f"{topic.get_absolute_url()}?page=2"))
    assert len(last) == 3
    before = Part.objects.filter(key__contains=":listing:").count()
    for asked in ("99", "banana", "0", "-1"):
        page = html_of(client, f"{topic.get_absolute_url()}?page={asked}")
        assert cards(page) == (last if asked == "99" else cards(page)[:20])
    assert Part.objects.filter(key__contains=":listing:").count() == before
    page = html_of(client, f"{topic.get_absolute_url()}?page=99")
    canonical = BeautifulSoup(page, "html.parser").select_one("link[rel=canonical]")["href"]
    assert canonical.endswith("?page=2")


def test_the_second_page_keeps_its_canonical_link_when_stored(client, newsroom):
    topic, author = newsroom
    for number in range(20):
        make_article(f"More energy {number}", topics=[topic])
    url = f"{topic.get_absolute_url()}?page=2"
    first = html_of(client, url)
    assert html_of(client, url) == first
    canonical = BeautifulSoup(first, "html.parser").select_one("link[rel=canonical]")["href"]
    assert canonical.endswith("?page=2")


def test_the_home_live_box_shows_a_new_and_a_corrected_update(client, newsroom):
    from newsdesk.live.actions import correct_update

    assert "/live." not in html_of(client, "/").split("</head>")[0]  # no script
    feed = make_live_feed()
    page = html_of(client, "/")
    assert "Storm over the coast" in page and "/live." in page.split("</head>")[0]
    update = post(feed, "Bridge closed")
    assert "Bridge closed" in html_of(client, "/")
    correct_update(update, text="It reopened at noon.", headline="Bridge reopened")
    page = html_of(client, "/")
    assert "Bridge reopened" in page and "Bridge closed" not in page


def test_the_chosen_lead_appears(client, newsroom):
    from wagtail.models import Site

    older = make_article("Chosen lead", topics=[])
    for number in range(3):
        make_article(f"Newer {number}")
    page = BeautifulSoup(html_of(client, "/"), "html.parser")
    assert "Chosen lead" not in page.select_one(".home-lead").get_text()
    home = Site.objects.get(is_default_site=True).root_page.specific
    home.lead_article = older
    home.save_revision().publish()
    page = BeautifulSoup(html_of(client, "/"), "html.parser")
    assert "Chosen lead" in page.select_one(".home-lead").get_text()


def test_the_news_index_route_reads_every_field_as_the_orm_does(client):
    """HomePage.route finds /news/ with a prepared query (core/prepared.py)."""
    from newsdesk.articles.models import NEWS_INDEX_AT_URL_PATH, NewsIndexPage

    index = NewsIndexPage.objects.get()
    found = NEWS_INDEX_AT_URL_PATH.first(index.slug, index.depth, index.url_path)
    expected = NewsIndexPage.objects.get(pk=index.pk)
    assert type(found) is NewsIndexPage
    fields = [field.attname for field in NewsIndexPage._meta.concrete_fields]
    assert [getattr(found, f) for f in fields] == [getattr(expected, f) for f in fields]
    assert NEWS_INDEX_AT_URL_PATH.first("live", index.depth, index.url_path) is None
    index.unpublish()
    assert client.get("/news/").status_code == 404
    assert client.get("/live/").status_code == 200  # another section: the tree's own route


def test_a_region_built_after_another_carries_what_they_both_read(client):
    """The front page's regions share one read of the newest stories (front.Shared): the
    topic sections, built after the lead, must still go when a topic shown there changes."""
    energy, sport = make_topic("Energy"), make_topic("Sport")
    for number in range(10):
        make_article(f"Story {number}", topics=[(energy, sport)[number % 2]], hero=False)
    page = BeautifulSoup(html_of(client, "/"), "html.parser")
    assert [h.get_text(strip=True) for h in page.select(".topic-section h2")]
    for region in ("lead", "stories", "topics"):
        part = Part.objects.get(key__contains=":front:articles.homepage.", key__endswith=region)
        assert f"articles.topic:{energy.pk}" in part.tags, region
    energy.name = "Power grid"
    energy.save()
    page = BeautifulSoup(html_of(client, "/"), "html.parser")
    headings = [h.get_text(strip=True) for h in page.select(".topic-section h2")]
    assert "Power grid" in headings and "Energy" not in headings


@pytest.mark.parametrize("kind", ["topic", "author"])
def test_an_article_leaving_a_list_shifts_its_later_pages(client, kind):
    """Page 2 never showed the newest article; when that article leaves the topic (or the
    author's byline), page 2's first story moves up to page 1 all the same."""
    topic, author, other = make_topic("Energy"), make_author("Maria Lysenko"), make_author()
    for number in range(22):
        make_article(f"Energy {number}", topics=[topic], authors=[author], hero=False)
    url = (topic if kind == "topic" else author).get_absolute_url()
    assert len(cards(html_of(client, f"{url}?page=2"))) == 2
    newest = ArticlePage.objects.get(title="Energy 21")
    if kind == "topic":
        newest.topics.set([])
    else:
        newest.byline.remove(*newest.byline.all())  # in the page's cluster, as the editor does
        newest.byline.add(ArticleAuthor(author=other))
    newest.save_revision().publish()
    assert len(cards(html_of(client, f"{url}?page=2"))) == 1


def test_a_shared_read_is_read_again_for_a_region_begun_after_an_invalidation():
    """A region is stored only if nothing was invalidated since its build began; the story
    pool a region built earlier read is older than that, so it is read again when an
    invalidation has committed since it was read."""
    from newsdesk.articles.front import Shared
    from newsdesk.pagecache import recorder
    from newsdesk.parts import store

    reads = []
    shared = Shared(lambda: reads.append(len(reads) + 1) or len(reads))
    with recorder.nested():  # the lead region's build
        assert shared.value == 1 and shared.value == 1
    with recorder.nested():  # the next region: nothing changed, the same read
        assert shared.value == 1
    store.drop({"articles"})  # an article published meanwhile
    with recorder.nested():
        assert shared.value == 2
    assert reads == [1, 2]


@pytest.mark.parametrize("kind", ["topic", "author"])
def test_cards_built_anew_find_the_site_without_a_query(client, newsroom, kind):
    """A topic's or an author's page whose cards are not stored links each card to its
    article: the Site comes from the process's memo (core/sites.py), as for page views."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    html_of(client, "/news/")  # the memo holds the Site from here on
    Part.objects.all().delete()
    with CaptureQueriesContext(connection) as queries:
        html = html_of(client, urls(*newsroom)[kind])
    assert len(cards(html)) == 3
    assert not [q["sql"] for q in queries if "wagtailcore_site" in q["sql"]]
