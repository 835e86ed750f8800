"""Stored parts (newsdesk/parts): an uncached article assembles them with few queries, and
whatever they show reaches readers as promptly as before (docs/caching.md#stored-parts)."""

import pytest

from newsdesk.live.actions import correct_update
from newsdesk.parts import store
from newsdesk.parts.models import Part
from tests.factories import make_article, make_live_feed, make_topic, post

pytestmark = pytest.mark.django_db

STORED_ARTICLE_QUERIES = 4
"""An uncached article whose parts are stored (the issue's bound is 6). Four, each small: the
article and its narration (prepared queries, core/prepared.py), whether any view restriction
exists, and the page's parts together with the related-stories parts of its topics, found
through its link rows in a subquery (articles/related.py prefetch)."""


def html_of(client, article):
    response = client.get(article.url)
    assert response.status_code == 200
    return response.content.decode()


def test_an_article_with_its_parts_stored_costs_few_queries(client, django_assert_max_num_queries):
    topic = make_topic()
    for _ in range(3):
        make_article(topics=[topic])
    article = make_article(topics=[topic])
    first = html_of(client, article)
    # Its head, main block and what it brings to related stories (articles/related.py).
    assert (
        Part.objects.filter(key__contains=f":article:articles.articlepage.{article.pk}:").count()
        == 3
    )
    with django_assert_max_num_queries(STORED_ARTICLE_QUERIES):
        again = html_of(client, article)
    assert again == first


def test_an_edited_image_credit_appears(client):
    article = make_article()
    assert "Newsroom photo desk" in html_of(client, article)
    image = article.hero_image
    image.credit = "Photo: Olena Kovalenko"
    image.save()
    page = html_of(client, article)
    assert "Photo: Olena Kovalenko" in page
    assert "Newsroom photo desk" not in page


def test_a_renamed_author_appears(client):
    article = make_article()
    author = article.authors[0]
    assert author.name in html_of(client, article)
    author.name = "Mariia Hrytsenko"
    author.save()
    assert "Mariia Hrytsenko" in html_of(client, article)


def test_a_renamed_topic_and_a_new_story_on_it_appear(client):
    topic = make_topic("Energy")
    article = make_article(topics=[topic])
    assert "Energy" in html_of(client, article)
    topic.name = "Power grid"
    topic.save()
    page = html_of(client, article)
    assert "Power grid" in page and ">Energy<" not in page
    newer = make_article("Substation repaired overnight", topics=[topic])
    assert newer.title in html_of(client, article)  # related stories gained it


def test_an_edited_article_appears(client):
    article = make_article("First headline")
    assert "First headline" in html_of(client, article)
    article.title = "Second headline"
    article.save_revision().publish()
    page = html_of(client, article)
    assert "Second headline" in page and "First headline" not in page


def test_a_correction_added_and_an_edited_one_appear(client):
    from datetime import UTC, datetime

    from newsdesk.articles.models import ArticleCorrection

    article = make_article()
    assert 'class="corrections"' not in html_of(client, article)
    article.corrections.add(
        ArticleCorrection(
            published_at=datetime(2024, 1, 28, 9, tzinfo=UTC), text="The dam is 40 m high."
        )
    )
    article.save_revision().publish()
    assert "The dam is 40 m high." in html_of(client, article)
    article = article.get_latest_revision_as_object()
    correction = article.corrections.get()
    correction.text = "The dam is 45 m high."
    article.corrections = [correction]
    article.save_revision().publish()  # corrections change with the page, as editors edit them
    page = html_of(client, article)
    assert "The dam is 45 m high." in page and "40 m" not in page


def test_a_corrected_live_update_appears_under_an_article(client):
    feed = make_live_feed()
    update = post(feed, "Bridge closed", body="<p>Police closed the bridge at 9 AM.</p>")
    article = make_article(live_feed=feed)
    assert "Police closed the bridge at 9 AM." in html_of(client, article)
    correct_update(
        update,
        text="An earlier version gave the wrong time.",
        body="<p>Police closed the bridge at 10 AM.</p>",
    )
    assert "Police closed the bridge at 10 AM." in html_of(client, article)


def test_a_part_read_before_a_change_is_not_stored_after_it(client, rf):
    article = make_article()
    started = store.current_generation()
    article.hero_image.save()  # a change commits while the part is being built
    key = store.key("article", article, "main")
    assert not store.store(key, store.subject("article", article), "<p>old</p>", {"x"}, started)
    assert not Part.objects.filter(key=key).exists()
    assert store.store(
        key, store.subject("article", article), "<p>new</p>", {"x"}, store.current_generation()
    )


def test_a_change_drops_the_parts_that_carry_its_tags(client):
    one = make_article()
    other = make_article()
    html_of(client, one)
    html_of(client, other)
    one.hero_image.save()
    assert not Part.objects.filter(key__contains=f"articles.articlepage.{one.pk}:").exists()
    assert Part.objects.filter(key__contains=f"articles.articlepage.{other.pk}:").exists()


def test_parts_are_dropped_even_with_the_page_cache_off(client, settings):
    settings.NEWSDESK_CACHE = False
    article = make_article()
    html_of(client, article)
    assert Part.objects.exists()
    article.authors[0].save()
    assert not Part.objects.filter(key__contains=f"articles.articlepage.{article.pk}:").exists()


def test_a_preview_never_uses_or_stores_parts(client, rf):
    from django.template import Context, Template

    from newsdesk.pagecache import recorder

    article = make_article("Published headline")
    html_of(client, article)  # parts stored from the published page
    stored = set(Part.objects.values_list("key", "html"))
    article.title = "Draft headline"
    request = rf.get(article.url)
    request.is_preview = True
    template = Template(
        '{% load parts %}{% part "article" page "main" %}{{ page.title }}{% endpart %}'
    )
    token, recording = store.begin_request(), recorder.start_token()
    try:
        shown = template.render(Context({"page": article, "request": request}))
    finally:
        recorder.stop(recording)
        store.end_request(token)
    assert shown == "Draft headline"
    assert set(Part.objects.values_list("key", "html")) == stored
    assert "Published headline" in html_of(client, article)


def test_parts_of_an_earlier_version_are_deleted_after_an_hour(client):
    import datetime

    from django.utils import timezone

    article = make_article()
    html_of(client, article)
    current = set(Part.objects.values_list("key", flat=True))
    assert current
    old = Part.objects.create(key="0ldc0de:en:article-main:x", subject="0ldc0de:en", html="old")
    recent = Part.objects.create(key="0ldc0de:en:article-main:y", subject="0ldc0de:en", html="new")
    an_hour_ago = timezone.now() - datetime.timedelta(hours=1, seconds=1)
    Part.objects.filter(pk=old.pk).update(built_at=an_hour_ago)
    Part.objects.filter(key__in=current).update(built_at=an_hour_ago)

    assert store.drop_other_code() == 1
    # This code's parts stay however old; another code's stay for an hour (a rolling deploy).
    assert set(Part.objects.values_list("key", flat=True)) == current | {recent.key}
