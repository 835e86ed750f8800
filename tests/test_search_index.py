"""Reader search's own index pieces: the postings on SQLite, the index's change counter and
the kept candidates (newsdesk/search/postings.py, impact.py, sqlite_backend.py, models.py,
searcher.py).

Saving content only queues an indexing task, so tests index what they create themselves.
"""

from datetime import timedelta

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from wagtail.models import PageViewRestriction
from wagtail.search import index

from newsdesk.live.actions import delete_update
from newsdesk.search import impact, postings, searcher
from newsdesk.search.models import IndexState
from newsdesk.search.query import parse
from tests.factories import ensure_site_structure, make_article, make_live_feed, paragraphs, post

on_sqlite = pytest.mark.skipif(connection.vendor != "sqlite", reason="postings on SQLite only")
ARTICLES = impact.KINDS["articles", "articlepage"]
UPDATES = impact.KINDS["live", "liveupdate"]


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


def posted_ids(kind, word):
    """Ids of the entries of `kind` that have a posting for `word` (impact.py)."""
    found = impact._postings(connection.cursor(), [kind], [word]).get((kind, word))
    return [] if found is None else sorted(int(pk) for pk in found[0])


def titles(q):
    return [hit.title for hit in searcher.search(parse(q)).hits]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Flood-water, FLOODS; flood_gate", ["flood", "water", "floods", "flood", "gate"]),
        ("Café crème à Zürich", ["cafe", "creme", "a", "zurich"]),
        ("Москва й Київ", ["москва", "й", "київ"]),  # accents kept outside Latin, as FTS5
        ("Route 66, 2026", ["route", "66", "2026"]),
    ],
)
def test_words_are_split_and_folded_as_fts5_does(text, expected):
    assert postings.words(text) == expected


def test_impact_rises_with_the_count_saturates_and_falls_with_length():
    assert postings.impact(2, 100, 100) > postings.impact(1, 100, 100)
    assert postings.impact(50, 100, 100) < postings.K1 + 1
    assert postings.impact(1, 50, 100) > postings.impact(1, 200, 100)
    # Held by more than half the entries: a millionth, as FTS5's bm25() counts it.
    assert postings.idf(100, 60) == 1e-6
    assert postings.idf(100, 1) > postings.idf(100, 10) > 0


def test_postings_flag_the_words_of_the_title():
    found = {p.term: p for p in postings.postings("Ferry timetable", "The ferry runs.", 5.0)}
    assert found["ferry"].in_title and not found["runs"].in_title
    assert found["ferry"].impact > found["runs"].impact  # named twice


@on_sqlite
@pytest.mark.django_db
def test_scores_and_order_are_fts5s_bm25_with_the_headline_bonus():
    """The stored impacts, added up with idf, give what FTS5's bm25() gives over the same
    entries (in a scratch FTS5 table), times the headline bonus."""
    texts = {
        1: ("Harbour crane", "The crane at the harbour was repaired. Crane crane."),
        2: ("Harbour news", "A crane is due at the harbour next week, says the harbour office."),
        3: ("Market day", "Stalls near the harbour; a crane lifts the roof of the hall."),
        4: ("Crane harbour works", "Works."),
        5: ("Bakery", "Nothing about the port at all."),
    }
    impact.rebuild(impact.KINDS["articles", "articlepage"], texts)
    with connection.cursor() as cursor:
        cursor.execute("CREATE VIRTUAL TABLE temp.scratch USING fts5(title, body)")
        for pk, (title, body) in texts.items():
            cursor.execute(
                "INSERT INTO temp.scratch (rowid, title, body) VALUES (%s, %s, %s)",
                [pk, title, body],
            )
        for words in (["crane"], ["harbour", "crane"]):
            match = " AND ".join(f'"{word}"' for word in words)
            cursor.execute(
                "SELECT rowid, bm25(scratch) * CASE WHEN rowid IN (SELECT rowid FROM scratch "
                "WHERE scratch MATCH %s) THEN 10.0 ELSE 1.0 END AS score FROM scratch "
                "WHERE scratch MATCH %s ORDER BY score, rowid",
                ["{title} : (" + match + ")", match],
            )
            expected = cursor.fetchall()
            ((found, count),) = impact.best([ARTICLES], words, 10).values()
            assert [pk for pk, _ in found] == [pk for pk, _ in expected]
            assert [score for _, score in found] == pytest.approx(
                [s for _, s in expected], rel=1e-5
            )
            assert count == len(expected)
        cursor.execute("DROP TABLE temp.scratch")


@on_sqlite
@pytest.mark.django_db
def test_postings_follow_wagtails_index_as_it_is_written():
    story = article("Ferry timetable", "The ferry to the island runs twice a day.")
    feed = make_live_feed()
    (update,) = indexed(post(feed, "Ferry cancelled", body="<p>Strong winds.</p>"))
    assert posted_ids(ARTICLES, "ferry") == [story.pk]
    assert posted_ids(UPDATES, "ferry") == [update.pk]
    story.title = "Bus timetable"
    story.body = paragraphs("Buses replace the boat this week.")
    story.save_revision().publish()
    indexed(story)
    assert posted_ids(ARTICLES, "ferry") == []
    assert posted_ids(ARTICLES, "buses") == [story.pk]
    index.remove_object(update)
    assert posted_ids(UPDATES, "ferry") == []


@on_sqlite
@pytest.mark.django_db
def test_hidden_entries_are_left_out_of_results_and_count():
    shown = article("Quarry blast heard", "Windows shook in the village.")
    hidden = make_article("Quarry blast draft", body=paragraphs("Quarry."), publish=False)
    indexed(hidden)
    hidden = {ARTICLES: searcher.hidden_ids()[searcher.ARTICLE]}
    ((found, count),) = impact.best([ARTICLES], ["quarry"], 10, lambda: hidden).values()
    assert [pk for pk, _ in found] == [shown.pk]
    assert count == 1


@pytest.mark.django_db
def test_a_newly_published_article_is_found_at_once():
    assert titles("lighthouse") == []
    story = article("Lighthouse keeper retires", "After forty years at the lamp.")
    assert titles("lighthouse") == [story.title]
    assert searcher.search(parse("lighthouse")).count == 1


@pytest.mark.django_db
def test_unpublished_or_restricted_articles_disappear_at_once():
    first = article("Orchard fire contained", "Crews held the orchard fire overnight.")
    second = article("Orchard harvest begins", "Pickers are back in the orchard.")
    assert sorted(titles("orchard")) == sorted([first.title, second.title])
    first.unpublish()
    assert titles("orchard") == [second.title]
    PageViewRestriction.objects.create(page=second, restriction_type=PageViewRestriction.LOGIN)
    assert titles("orchard") == []
    assert searcher.search(parse("orchard")).count == 0


@pytest.mark.django_db
def test_an_edited_headline_changes_the_ranking():
    canal = article("Canal towpath closed", "The canal towpath is shut for repairs to the lock.")
    other = article("Lock repairs", "Repairs to the lock on the canal start on Monday.")
    assert titles("canal")[0] == canal.title
    canal.title = "Towpath closed"
    canal.save_revision().publish()
    indexed(canal)
    other.title = "Canal lock repairs"
    other.save_revision().publish()
    indexed(other)
    assert titles("canal") == [other.title, canal.title]


@pytest.mark.django_db
def test_deleted_or_withdrawn_live_updates_disappear():
    feed = make_live_feed()
    (gone, withdrawn, kept) = indexed(
        post(feed, "Sandbags handed out", body="<p>At the depot.</p>"),
        post(feed, "Sandbags run short", body="<p>More are coming.</p>"),
        post(feed, "Sandbags arrive", body="<p>Two lorries.</p>"),
    )
    assert len(titles("sandbags")) == 3
    delete_update(gone)
    withdrawn.is_published = False
    withdrawn.save(update_fields=["is_published"])
    assert titles("sandbags") == [kept.headline]
    assert searcher.search(parse("sandbags")).count == 1
    feed.unpublish()  # a closed feed's updates go with it
    assert titles("sandbags") == []
    assert searcher.search(parse("sandbags")).count == 0


@on_sqlite
@pytest.mark.django_db
def test_the_postings_survive_a_rebuild_of_the_index():
    story = article("Tidal barrier test", "The tidal barrier closes at noon.")
    feed = make_live_feed()
    (update,) = indexed(post(feed, "Barrier closing", body="<p>Sirens at noon.</p>"))
    before = impact.best([ARTICLES], ["barrier"], 10)
    call_command("update_index", verbosity=0)
    assert impact.best([ARTICLES], ["barrier"], 10) == before
    assert posted_ids(UPDATES, "barrier") == [update.pk]
    assert titles("barrier")[0] == story.title or titles("barrier")[0] == update.headline
    assert sorted(titles("barrier")) == sorted([story.title, update.headline])


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
    scoring = ("search_impact", "MATCH", "ts_rank")  # SQLite's postings, or PostgreSQL
    assert not any(word in q["sql"] for q in queries for word in scoring), (
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
