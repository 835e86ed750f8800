"""Reader search's own index pieces: the lean SQLite tables, the index's change counter and
the kept candidates (newsdesk/search/fts.py, models.py, searcher.py).

Saving content only queues an indexing task, so tests index what they create themselves.
"""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from wagtail.search import index

from newsdesk.live.actions import delete_update
from newsdesk.search import fts, searcher
from newsdesk.search.models import IndexState
from newsdesk.search.query import parse
from tests.factories import ensure_site_structure, make_article, make_live_feed, paragraphs, post

on_sqlite = pytest.mark.skipif(connection.vendor != "sqlite", reason="SQLite's FTS5 tables")


def indexed(*objects):
    for obj in objects:
        index.insert_or_update_object(obj)
    return objects


def article(title, *texts, **fields):
    page = make_article(
        title, body=paragraphs(*texts), published_at=timezone.now() - timedelta(hours=1),
        hero=False, **fields,
    )  # fmt: skip
    indexed(page)
    return page


def lean_rows(table, word):
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT rowid FROM {table} WHERE {table} MATCH %s", [f'"{word}"'])  # noqa: S608 - constant table names
        return sorted(row[0] for row in cursor.fetchall())


def titles(q):
    return [hit.title for hit in searcher.search(parse(q)).hits]


@on_sqlite
@pytest.mark.django_db
def test_lean_tables_follow_wagtails_index_as_it_is_written():
    story = article("Ferry timetable", "The ferry to the island runs twice a day.")
    feed = make_live_feed()
    (update,) = indexed(post(feed, "Ferry cancelled", body="<p>Strong winds.</p>"))
    assert lean_rows("search_article_fts", "ferry") == [story.pk]
    assert lean_rows("search_update_fts", "ferry") == [update.pk]
    story.title = "Bus timetable"
    story.body = paragraphs("Buses replace the boat this week.")
    story.save_revision().publish()
    indexed(story)
    assert lean_rows("search_article_fts", "ferry") == []
    assert lean_rows("search_article_fts", "buses") == [story.pk]
    index.remove_object(update)
    assert lean_rows("search_update_fts", "ferry") == []


@on_sqlite
@pytest.mark.django_db
def test_lean_tables_leave_out_what_readers_may_not_see():
    shown = article("Quarry blast heard", "Windows shook in the village.")
    hidden = make_article("Quarry blast draft", body=paragraphs("Quarry."), publish=False)
    indexed(hidden)
    found, count = fts.best_matches(
        searcher.article_queryset(), ["quarry"], 10, searcher.hidden_articles()
    )
    assert [pk for pk, _ in found] == [shown.pk]
    assert count == 1


@pytest.mark.django_db
def test_the_index_counter_grows_with_every_write_to_the_index():
    IndexState.objects.all().delete()  # as a flush leaves it: the counter starts again
    assert searcher.generation() is None
    story = article("Harbour office", "The harbour office opens at eight.")
    before = IndexState.objects.get().generation
    indexed(story)
    after_insert = IndexState.objects.get().generation
    assert after_insert > before
    index.remove_object(story)
    assert IndexState.objects.get().generation > after_insert


@pytest.mark.django_db(transaction=True)
def test_kept_candidates_never_outlive_a_change(settings):
    settings.NEWSDESK_CACHE = True
    ensure_site_structure()  # an earlier transactional test may have emptied every table
    first = article("Tram depot reopens", "Trams leave the depot again.")
    assert titles("tram depot") == [first.title]
    with CaptureQueriesContext(connection) as queries:
        assert titles("tram depot") == [first.title]
    assert not any("MATCH" in q["sql"] or "ts_rank" in q["sql"] for q in queries), (
        "the repeated search was scored again"
    )
    second = article("Tram depot gets new trams", "Ten trams arrive at the depot.")
    assert sorted(titles("tram depot")) == sorted([first.title, second.title])
    first.unpublish()
    assert titles("tram depot") == [second.title]
    assert searcher.search(parse("tram depot")).count == 1
    feed = make_live_feed()
    (update,) = indexed(post(feed, "Tram depot fire", body="<p>Out by noon.</p>"))
    assert "Tram depot fire" in titles("tram depot")
    delete_update(update)
    assert "Tram depot fire" not in titles("tram depot")


@pytest.mark.django_db
def test_nothing_is_kept_without_the_page_cache(settings):
    settings.NEWSDESK_CACHE = False
    assert searcher.generation() is None
    story = article("Bridge repair", "The bridge closes at night.")
    assert titles("bridge") == [story.title]
