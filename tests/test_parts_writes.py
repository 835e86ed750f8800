"""A request's new parts are stored together when it ends (parts/store.py `flush`): one
transaction and one read of the invalidation count for the request, and still never a part
read before a change that committed since (docs/caching.md#stored-parts)."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from newsdesk.pagecache import recorder
from newsdesk.parts import store
from newsdesk.parts.models import Part
from tests.factories import make_article, make_topic

pytestmark = pytest.mark.django_db


def _sql(captured, text):
    return [query["sql"] for query in captured if text in query["sql"]]


def test_a_cold_article_stores_its_parts_in_one_transaction(client):
    topic = make_topic()
    for _ in range(3):
        make_article(topics=[topic])
    article = make_article(topics=[topic])
    with CaptureQueriesContext(connection) as captured:
        response = client.get(article.url)
    assert response.status_code == 200
    inserted = _sql(captured, "INSERT INTO parts_part (")
    # Its head, main block, related-stories source, the topic's list and its cards.
    assert len(inserted) >= 5
    assert len(inserted) == Part.objects.count()
    # The count read once before the first build, and once under the lock to store them all.
    assert len(_sql(captured, "parts_generation")) == 2


def _request_building(keys, between=None):
    """Build a part for each key in one "request"; `between` runs after the first build."""
    token, recording = store.begin_request(), recorder.start_token()
    try:
        for number, key in enumerate(keys):
            store.use(key, key, lambda key=key: f"<p>{key}</p>")
            if number == 0 and between is not None:
                between()
        assert not Part.objects.filter(key__in=keys).exists()  # nothing stored before the end
        stored = store.flush()
    finally:
        recorder.stop(recording)
        store.end_request(token)
    return stored


def test_parts_built_in_a_request_are_stored_when_it_ends():
    keys = ["test:one", "test:two", "test:three"]
    assert _request_building(keys) == 3
    assert set(Part.objects.values_list("key", "html")) == {(key, f"<p>{key}</p>") for key in keys}


def test_no_part_of_a_request_is_stored_after_a_change_that_committed_during_it():
    """The second part was built after the change, but under the count the request read
    before its first build: refusing it costs a rebuild, keeping a stale one would not be
    exact."""
    article = make_article()
    assert _request_building(["test:one", "test:two"], between=article.hero_image.save) == 0
    assert not Part.objects.filter(key__startswith="test:").exists()


def test_parts_not_flushed_are_forgotten_with_the_request():
    token, recording = store.begin_request(), recorder.start_token()
    try:
        store.use("test:one", "test:one", lambda: "<p>one</p>")
    finally:
        recorder.stop(recording)
        store.end_request(token)
    assert store.flush() == 0  # outside a request: nothing pending
    assert not Part.objects.filter(key="test:one").exists()


def test_a_part_stored_meanwhile_is_replaced_not_duplicated():
    token, recording = store.begin_request(), recorder.start_token()
    try:
        store.use("test:one", "test:one", lambda: "<p>mine</p>")
        # Another request stored the same part since (with the same count: no change).
        assert store.store(
            "test:one", "test:one", "<p>theirs</p>", {"x"}, store.current_generation()
        )
        assert store.flush() == 1
    finally:
        recorder.stop(recording)
        store.end_request(token)
    assert list(Part.objects.filter(key="test:one").values_list("html", flat=True)) == [
        "<p>mine</p>"
    ]


# --- a listing's new cards: their photos read together (articles/templatetags/article_cards.py)


def test_a_cold_listing_reads_its_cards_photos_together_and_cards_keep_their_tags(client):
    from newsdesk.images.models import NewsImage, NewsRendition

    articles = [make_article() for _ in range(4)]
    photo, renditions = NewsImage._meta.db_table, NewsRendition._meta.db_table
    client.get("/news/")  # renditions made once (a deploy finds them made)
    Part.objects.all().delete()
    with CaptureQueriesContext(connection) as captured:
        response = client.get("/news/")
    assert response.status_code == 200
    assert len(_sql(captured, f'FROM "{photo}"')) == 1  # not one per card
    assert len(_sql(captured, f'FROM "{renditions}"')) == 1
    for article in articles:
        card = Part.objects.get(key=store.key("card", article, "standfirst"))
        assert f"image:{article.hero_image_id}" in card.tags
        assert article.hero_image.get_rendition("fill-320x200|format-webp").url in card.html


def test_an_edited_photo_reaches_a_card_built_with_the_others(client):
    articles = [make_article() for _ in range(3)]
    client.get("/news/")
    photo = articles[1].hero_image
    photo.focal_point_x, photo.focal_point_y = 10, 10
    photo.focal_point_width, photo.focal_point_height = 20, 20
    photo.save()
    new = photo.get_rendition("fill-320x200|format-webp").url
    assert new in client.get("/news/").content.decode()


def test_one_stored_card_serves_every_listing_at_its_heading_level(client):
    """/news/ shows a card's headline as <h2>, an author's page as <h3>: one stored card
    (articles/templatetags/article_cards.py), its level set as it is shown."""
    from newsdesk.articles.models import ArticleAuthor

    article = make_article("A card shown twice")
    author = ArticleAuthor.objects.get(article=article).author
    news = client.get("/news/").content.decode()
    cards = Part.objects.filter(subject=store.subject("card", article))
    assert list(cards.values_list("key", flat=True)) == [store.key("card", article, "standfirst")]
    with CaptureQueriesContext(connection) as captured:
        by_author = client.get(author.get_absolute_url()).content.decode()
    assert not _sql(captured, 'INSERT INTO "parts_part"')  # the card was not built again
    assert cards.count() == 1
    headline = f'<a href="{article.url}">A card shown twice</a>'
    assert f'<h2 class="card__title">{headline}</h2>' in news
    assert f'<h3 class="card__title">{headline}</h3>' in by_author
    assert '<h2 class="card__title">' not in by_author


def test_a_request_deletes_older_versions_of_its_parts_in_two_statements(client):
    """A cold listing page stores its cards and itself: their older versions (none here, or
    another process's copy) go in one DELETE for the tags and one for the parts."""
    articles = [make_article() for _ in range(4)]
    with CaptureQueriesContext(connection) as captured:
        assert client.get("/news/").status_code == 200
    deletes = _sql(captured, "DELETE FROM")
    assert len(deletes) == 2, deletes
    stored = Part.objects.filter(subject__in=[store.subject("card", a) for a in articles])
    assert stored.count() == 4
