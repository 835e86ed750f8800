"""A listing page built from the list's ordered ids, kept per process for the invalidation
count (articles/listings.py): page N is the slice the paginator's OFFSET gave, and ids kept
from before any change are never read after it, in this process or another."""

from datetime import UTC, datetime, timedelta

import pytest
from bs4 import BeautifulSoup
from django.db import transaction
from django.test.utils import CaptureQueriesContext

from newsdesk.articles import listings
from newsdesk.articles.models import ArticleAuthor, ArticlePage, Author, Topic
from newsdesk.pagecache.actions import refresh_page
from tests.factories import ensure_site_structure, make_article, make_author, make_topic

# Transactions committed as in production: ids are kept only outside a transaction.
pytestmark = pytest.mark.django_db(transaction=True)

SIZE = 2
NOON = datetime(2026, 3, 2, 12, tzinfo=UTC)


@pytest.fixture(autouse=True)
def _small_pages(monkeypatch):
    monkeypatch.setattr(listings, "PAGE_SIZE", SIZE)
    monkeypatch.setattr(listings, "_kept", None)


@pytest.fixture
def lists():
    """Seven articles in one topic, by one author; three share a publication time (the
    order then goes by id, newest first)."""
    ensure_site_structure()  # an earlier transactional test emptied every table
    topic, author = make_topic("Energy"), make_author("Maria Lysenko")
    for number in range(7):
        published = NOON + timedelta(hours=min(number, 3))
        make_article(
            f"Energy {number}", topics=[topic], authors=[author], published_at=published, hero=False
        )
    return {
        "/news/": ArticlePage.objects.cards,
        topic.get_absolute_url(): lambda: ArticlePage.objects.on_topic(topic),
        author.get_absolute_url(): lambda: ArticlePage.objects.by_author(author),
    }


def shown(client, url, number):
    response = client.get(f"{url}?page={number}")
    assert response.status_code == 200
    html = BeautifulSoup(response.content.decode(), "html.parser")
    return [h.get_text(strip=True) for h in html.select(".card__title")]


def expected(articles, number):
    """What the paginator over the queryset showed on page `number` (COUNT and OFFSET)."""
    start = (number - 1) * SIZE
    return [article.title for article in articles()[start : start + SIZE]]


def pages_match(client, lists):
    for url, articles in lists.items():
        count = articles().count()
        for number in range(1, (count + SIZE - 1) // SIZE + 1):
            assert shown(client, url, number) == expected(articles, number), (url, number)


def test_every_page_shows_what_the_paginator_showed(client, lists):
    assert [a.title for a in ArticlePage.objects.cards()[:5]] == [
        "Energy 6", "Energy 5", "Energy 4", "Energy 3", "Energy 2"
    ]  # fmt: skip
    pages_match(client, lists)
    pages_match(client, lists)  # stored now


def test_the_ids_are_read_once_per_list_and_count(client, lists):
    shown(client, "/news/", 1)
    with CaptureQueriesContext(transaction.get_connection()) as kept:
        shown(client, "/news/", 2)
    listings._kept = None
    with CaptureQueriesContext(transaction.get_connection()) as read:
        shown(client, "/news/", 3)
    assert len(read) == len(kept) + 1


def test_no_ids_are_kept_inside_a_transaction(client, lists):
    with transaction.atomic():
        shown(client, "/news/", 1)
    assert listings._kept is None


def test_a_new_article_shifts_every_page_at_once(client, lists):
    pages_match(client, lists)
    topic, author = Topic.objects.get(name="Energy"), Author.objects.get(name="Maria Lysenko")
    make_article("Newest", topics=[topic], authors=[author], hero=False)
    assert shown(client, "/news/", 1)[0] == "Newest"
    pages_match(client, lists)


def test_an_unpublished_article_leaves_every_page_at_once(client, lists):
    pages_match(client, lists)
    ArticlePage.objects.get(title="Energy 5").unpublish()
    pages_match(client, lists)


def test_an_article_published_earlier_moves_down_at_once(client, lists):
    pages_match(client, lists)
    article = ArticlePage.objects.get(title="Energy 6")
    article.first_published_at = NOON - timedelta(days=1)
    article.save_revision().publish()
    assert shown(client, "/news/", 4) == ["Energy 6"]
    pages_match(client, lists)


@pytest.mark.parametrize("change", ["topic removed", "byline changed"])
def test_an_article_leaving_a_list_shifts_its_pages_at_once(client, lists, change):
    pages_match(client, lists)
    article = ArticlePage.objects.get(title="Energy 6")
    if change == "topic removed":
        article.topics.set([])
    else:
        article.byline.remove(*article.byline.all())  # in the page's cluster, as the editor does
        article.byline.add(ArticleAuthor(author=make_author("Taras Melnyk")))
    article.save_revision().publish()
    pages_match(client, lists)


def test_a_change_another_process_committed_is_seen_at_once(client, lists):
    """This process is told nothing: another one changes the rows and invalidates, which
    counts the generation up in the database, and the ids kept here are not read again."""
    pages_match(client, lists)
    moved = ArticlePage.objects.filter(title="Energy 0")
    moved.update(first_published_at=NOON + timedelta(days=1))
    refresh_page(moved.get())  # what the other process's change drops: the article's tags
    assert shown(client, "/news/", 1)[0] == "Energy 0"
    pages_match(client, lists)
