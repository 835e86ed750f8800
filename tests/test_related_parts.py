"""Related stories from stored parts (newsdesk/articles/related.py): one part per topic and one
per article, which show what ArticlePage.related_articles() chooses, and follow every change
a reader could see, on the site and in the mirror's refresh."""

from datetime import UTC, datetime, timedelta

import pytest
from bs4 import BeautifulSoup

from newsdesk.articles import related
from newsdesk.articles.models import ArticlePage, RelatedArticle
from newsdesk.mirror import builder, plan
from newsdesk.parts import store
from newsdesk.parts.models import Part
from tests.factories import make_article, make_author, make_image, make_topic

pytestmark = pytest.mark.django_db

START = datetime(2024, 3, 1, 9, 0, tzinfo=UTC)


def page_of(client, url):
    response = client.get(url)
    assert response.status_code == 200
    return BeautifulSoup(response.content, "html.parser")


def related_titles(client, article):
    block = page_of(client, article.url).select_one("aside.related")
    return [] if block is None else [a.get_text(strip=True) for a in block.select(".card__title a")]


def topic_part(topic):
    return Part.objects.filter(subject=store.subject("related", topic))


def article_parts(article):
    return Part.objects.filter(subject=store.subject("article", article))


def story(title, topics, hours, **fields):
    return make_article(
        title, topics=topics, published_at=START + timedelta(hours=hours), hero=False, **fields
    )


def test_the_block_shows_what_related_articles_chooses(client):
    """Merged across topics, newest first, the article itself and its picks left out: the
    same stories as the rule read from the rows, for articles on one, two or no topics."""
    energy, water, sport = make_topic("Energy"), make_topic("Water"), make_topic("Sport")
    articles = [
        story(f"Story {number}", topics, hours=number)
        for number, topics in enumerate(
            [[energy], [water], [energy, water], [sport], [energy], [water, sport], [], [energy]]
            * 2
        )
    ]
    pick = articles[3]
    chooser = articles[10]
    chooser.related_links.add(RelatedArticle(article=pick, sort_order=0))
    chooser.save_revision().publish()
    for _ in range(2):  # built, then from the stored parts
        for article in articles:
            expected = [related.title for related in article.related_articles()]
            assert related_titles(client, article) == expected
    assert related_titles(client, chooser)[0] == pick.title


def test_a_new_article_joins_related_stories_and_drops_only_its_topics_parts(client):
    energy, sport = make_topic("Energy"), make_topic("Sport")
    grid = story("Grid repaired", [energy], hours=1)
    match = story("Match postponed", [sport], hours=2)
    both = story("Stadium lights back on", [energy, sport], hours=3)
    assert related_titles(client, grid) == ["Stadium lights back on"]
    related_titles(client, match)
    assert topic_part(energy).exists() and topic_part(sport).exists()

    new = story("Substation rebuilt", [energy], hours=4)
    assert not topic_part(energy).exists()  # dropped with the publish
    assert topic_part(sport).exists()  # a topic the new article is not on keeps its part
    assert article_parts(grid).count() == 3  # the articles' own parts stay
    assert related_titles(client, grid) == ["Substation rebuilt", "Stadium lights back on"]
    assert related_titles(client, both)[0] == "Substation rebuilt"
    assert "Substation rebuilt" not in related_titles(client, match)

    new.unpublish()
    assert related_titles(client, grid) == ["Stadium lights back on"]


def test_an_edited_headline_author_name_and_image_credit_appear_everywhere(client):
    energy = make_topic("Energy")
    author = make_author("Olena Koval")
    photo = make_image("Substation", credit="Photo desk")
    shown = make_article(
        "First headline", authors=[author], topics=[energy], published_at=START, hero=False
    )
    shown.hero_image, shown.hero_alt = photo, "A substation"
    shown.save_revision().publish()
    reader = story("Another story on energy", [energy], hours=-1)
    urls = [shown.url, reader.url, "/news/", energy.get_absolute_url(), author.get_absolute_url()]
    for url in urls:
        page_of(client, url)  # parts built and stored

    shown.title = "Second headline"
    shown.save_revision().publish()
    author.name = "Olena Kovalenko"
    author.save()
    photo.credit = "Regional energy company"
    photo.save()

    assert related_titles(client, reader) == ["Second headline"]
    for url in urls[2:]:
        text = page_of(client, url).get_text(" ")
        assert "Second headline" in text and "First headline" not in text, url
    article = page_of(client, shown.url)
    assert article.h1.get_text(strip=True) == "Second headline"
    assert "Olena Kovalenko" in article.select_one(".byline").get_text(" ")
    assert "Regional energy company" in article.select_one(".article__hero").get_text(" ")
    heading = page_of(client, author.get_absolute_url()).h1.get_text(strip=True)
    assert heading == "Olena Kovalenko"


def test_the_one_query_read_follows_the_link_rows_and_the_block_its_stored_part(
    client, django_assert_num_queries
):
    """The page's parts and its topics' parts are read in one query, the topics taken from
    the article's link rows; the block takes them from its stored related-from part. Should
    the two differ (a link row written without a publish), the page shows what the part
    says, as before: a topic read in vain costs nothing, a missing one costs a query."""
    energy, sport = make_topic("Energy"), make_topic("Sport")
    story("On energy", [energy], hours=1)
    story("On sport", [sport], hours=2)
    article = story("The story", [energy], hours=3)
    first = page_of(client, article.url)
    assert related_titles(client, article) == ["On energy"]
    with django_assert_num_queries(4):
        assert page_of(client, article.url) == first

    links = ArticlePage.topics.through.objects
    links.create(articlepage_id=article.pk, topic_id=sport.pk)
    page_of(client, story("Reader of sport", [sport], hours=0).url)  # sport's part stored
    with django_assert_num_queries(4):
        assert page_of(client, article.url) == first
    links.filter(articlepage_id=article.pk).delete()
    with django_assert_num_queries(5):  # energy's part, named by the stored part only
        assert page_of(client, article.url) == first


def test_an_unpublished_or_edited_pick_leaves_the_block(client):
    pick = story("The editors' pick", [], hours=1)
    article = story("The story", [], hours=2)
    article.related_links.add(RelatedArticle(article=pick, sort_order=0))
    article.save_revision().publish()
    assert related_titles(client, article) == ["The editors' pick"]
    pick.title = "The editors' pick, updated"
    pick.save_revision().publish()
    assert related_titles(client, article) == ["The editors' pick, updated"]
    pick.unpublish()
    assert related_titles(client, article) == []


def test_a_preview_shows_the_draft_topics_related_stories(rf):
    energy, sport = make_topic("Energy"), make_topic("Sport")
    story("On energy", [energy], hours=1)
    story("On sport", [sport], hours=2)
    article = story("The story", [energy], hours=3)
    article.topics.set([sport])  # a draft that moves the story to another topic
    article.save_revision()
    request = rf.get(article.url)
    request.is_preview = True
    html = related.block(request, article.get_latest_revision_as_object())
    block = BeautifulSoup(html, "html.parser").select_one("aside.related")
    assert [a.get_text(strip=True) for a in block.select(".card__title a")] == ["On sport"]
    assert not topic_part(sport).exists()  # previews store nothing


def test_the_mirror_refresh_shows_a_new_article_in_related_stories(settings, tmp_path):
    settings.NEWSDESK_BASE_URL = "https://news.example.org"
    energy, sport = make_topic("Energy"), make_topic("Sport")
    grid = story("Grid repaired", [energy], hours=1)
    match = story("Match postponed", [sport], hours=2)
    outdir = tmp_path / "mirror"
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(plan, "code_fingerprint", lambda: "test")
        builder.Builder(outdir, log=lambda line: None).run()
        story("Substation rebuilt", [energy], hours=3)
        summary = builder.Builder(outdir, log=lambda line: None).run()
    assert summary.mode == "incremental"

    def copied(article):
        path = outdir / article.url.strip("/") / "index.html"
        return BeautifulSoup(path.read_text(), "html.parser").select_one("aside.related")

    assert "Substation rebuilt" in copied(grid).get_text()
    assert copied(match) is None or "Substation rebuilt" not in copied(match).get_text()
