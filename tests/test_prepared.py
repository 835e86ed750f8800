"""Prepared queries (core/prepared.py) read exactly what the ORM reads, and refuse what they
cannot run again (a Django or Wagtail upgrade that compiles differently fails here)."""

import pytest
from django.db import models as db_models

from newsdesk.articles.models import (
    ARTICLE_AT_URL_PATH,
    CORRECTIONS_OF_ARTICLE,
    NARRATION_OF_ARTICLE,
    ArticleCorrection,
    ArticlePage,
)
from newsdesk.core.prepared import PreparedQuery
from newsdesk.narration.models import AudioStatus, Narration
from tests.factories import make_article

pytestmark = pytest.mark.django_db


def field_values(instance):
    return {
        field.attname: getattr(instance, field.attname) for field in instance._meta.concrete_fields
    }


def test_the_article_route_reads_every_field_as_the_orm_does():
    first = make_article()
    second = make_article()
    for article in (first, second):  # the second run reuses the first's compiled SQL
        found = ARTICLE_AT_URL_PATH.first(article.slug, article.depth, article.url_path)
        expected = ArticlePage.objects.get(pk=article.pk)
        assert type(found) is ArticlePage
        assert field_values(found) == field_values(expected)
        assert found._state.adding is False and found._state.db == "default"
        # Converted as the ORM converts: dates are datetimes, JSON is parsed, not strings.
        assert isinstance(found.first_published_at, type(expected.first_published_at))
        assert list(found.body.raw_data) == list(expected.body.raw_data)
    assert ARTICLE_AT_URL_PATH.first(first.slug, first.depth + 1, first.url_path) is None
    assert ARTICLE_AT_URL_PATH.first("no-such-story", first.depth, first.url_path) is None


def test_the_narration_of_an_article():
    article = make_article()  # publishing creates its narration row
    found = NARRATION_OF_ARTICLE.first(article.pk)
    assert field_values(found) == field_values(Narration.objects.get(article=article))
    Narration.objects.filter(article=article).delete()
    assert NARRATION_OF_ARTICLE.first(article.pk) is None


def test_the_corrections_of_an_article_in_the_editors_order():
    from datetime import UTC, datetime

    article = make_article()
    assert CORRECTIONS_OF_ARTICLE.all(article.pk) == []
    for order, day in ((1, 28), (0, 29)):  # the editor put the later one first
        article.corrections.add(
            ArticleCorrection(
                published_at=datetime(2024, 1, day, tzinfo=UTC), text=f"day {day}", sort_order=order
            )
        )
    article.save_revision().publish()
    found = CORRECTIONS_OF_ARTICLE.all(article.pk)
    expected = list(ArticlePage.objects.get(pk=article.pk).corrections.all())
    assert [c.text for c in found] == ["day 29", "day 28"]
    assert [field_values(c) for c in found] == [field_values(c) for c in expected]
    # A draft's corrections, held in memory (a preview), are read from memory.
    draft = ArticlePage.objects.get(pk=article.pk).get_latest_revision_as_object()
    draft.corrections = [ArticleCorrection(published_at=datetime(2024, 2, 1, tzinfo=UTC), text="x")]
    assert [c.text for c in draft.correction_list] == ["x"]


def test_an_article_page_shows_its_narration_read_by_the_route(client):
    article = make_article()
    Narration.objects.filter(article=article).update(
        status=AudioStatus.READY, audio="narration/a.mp3", duration=61
    )
    page = client.get(article.url).content.decode()
    assert "This audio is created with AI assistance" in page


@pytest.mark.parametrize(
    "build, message",
    [
        (
            lambda model, slug: model.objects.filter(slug=slug).select_related("owner"),
            "select_related",
        ),
        (lambda model, slug: model.objects.filter(slug=slug).only("title"), "only"),
        (lambda model, slug: model.objects.filter(slug__startswith=slug), "exactly once"),
        (lambda model, slug: model.objects.filter(slug=slug, title=slug), "exactly once"),
        (
            lambda model, slug: model.objects.filter(slug=slug).annotate(n=db_models.Value(1)),
            "annotations",
        ),
    ],
)
def test_what_cannot_be_run_again_is_refused_with_the_reason(build, message):
    with pytest.raises(ValueError, match=message):
        PreparedQuery(ArticlePage, build).first("harbour")


def test_values_of_other_types_are_refused():
    query = PreparedQuery(ArticlePage, lambda model, live: model.objects.filter(live=live))
    with pytest.raises(TypeError, match="boolean"):
        query.first(True)


def test_prepared_rows_read_columns_as_the_orm_does():
    from datetime import timedelta

    from django.utils import timezone

    from newsdesk.core.prepared import PreparedRows

    first, second = make_article(), make_article()
    rows = PreparedRows(
        ArticlePage,
        lambda model, since: (
            model.objects.filter(first_published_at__gte=since)
            .order_by("pk")
            .values_list("pk", "first_published_at", "narration__article_id", "title")
        ),
    )
    since = min(first.first_published_at, second.first_published_at)
    for moment in (since, since - timedelta(days=1)):  # the second run reuses the SQL
        expected = list(
            ArticlePage.objects.filter(first_published_at__gte=moment)
            .order_by("pk")
            .values_list("pk", "first_published_at", "narration__article_id", "title")
        )
        found = rows.all(moment)
        assert found == expected and len(found) == 2
        assert all(type(row) is tuple for row in found)
        assert timezone.is_aware(found[0][1])
    assert rows.all(timezone.now() + timedelta(days=1)) == []
    with pytest.raises(ValueError, match="aware"):
        rows.all(since.replace(tzinfo=None))


def test_prepared_rows_take_values_list_only():
    from newsdesk.core.prepared import PreparedRows

    with pytest.raises(ValueError, match="values_list"):
        PreparedRows(ArticlePage, lambda model, slug: model.objects.filter(slug=slug)).all("x")
