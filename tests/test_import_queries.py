"""How many queries an import makes: a dump's live block must cost a fixed number of queries
per entry, not a number that grows with the entries already written (no N+1, no N²)."""

from datetime import datetime, timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from newsdesk.articles.models import ArticlePage
from newsdesk.live.models import LiveUpdate

pytestmark = pytest.mark.django_db

ARTICLE_TIME = datetime(2025, 6, 9, 15, 34)


def clock(moment):
    return f"{moment.hour % 12 or 12}:{moment.minute:02d} {'AM' if moment.hour < 12 else 'PM'}"


def dump(entries, tmp_path, name="feed.txt"):
    """A page dump with `entries` live entries 17 minutes apart, running back past midnight."""
    lines = [
        "Ferry service on the Brid River suspended after a night of storms",
        "by Zelenobrid news desk June 9, 2025 3:34 PM 1 min read",
        "",
        "The river ferry between Zelenobrid and Lukivka will not run until June 11.",
        "",
        "Author: Zelenobrid news desk",
    ]
    moment = ARTICLE_TIME - timedelta(minutes=9)
    for number in range(entries):
        lines += ["", clock(moment), f"Storm update number {number}", "", f"Entry {number}."]
        moment -= timedelta(minutes=17)
    path = tmp_path / name
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def run(path, *args):
    call_command("import", str(path), *args, stdout=StringIO(), stderr=StringIO())


def count_queries(path, *args):
    with CaptureQueriesContext(connection) as queries:
        run(path, *args)
    return len(queries)


# Measured on SQLite and PostgreSQL (docs/import.md): creating the article and the feed
# costs about 190 queries (Wagtail pages, revisions, publishing, search-index tasks, page
# cache invalidation), and each new entry 17 (the live app's post_update: sequence number,
# row, change record, search-index task, page cache invalidation with its savepoints, and
# since stored parts two more: the invalidation's count (Generation) raised and the parts
# carrying the feed's tag looked up to be deleted, parts/store.py drop). Importing the same
# dump again costs 10 queries whatever the number of entries. The base leaves some room for
# those apps to change; an N+1 (or N²) in the importer overruns the budget at 60 entries.
DUMP_BASE, PER_ENTRY, REIMPORT = 220, 17, 15


@pytest.mark.parametrize("entries", [5, 60])
def test_a_live_block_costs_a_fixed_number_of_queries_per_entry(
    entries, tmp_path, django_assert_max_num_queries
):
    path = dump(entries, tmp_path)
    with django_assert_max_num_queries(DUMP_BASE + PER_ENTRY * entries):
        run(path, "--publish")
    assert LiveUpdate.objects.filter(is_published=True).count() == entries
    with django_assert_max_num_queries(REIMPORT):
        run(path, "--publish")
    assert LiveUpdate.objects.count() == entries


def test_entries_already_posted_by_another_dump_are_found_in_bulk(
    tmp_path, django_assert_max_num_queries
):
    """A second dump of the same day (another file, so no import record of its entries)
    finds the updates the first one posted by time and headline: no per-entry lookups."""
    run(dump(40, tmp_path), "--publish")
    other = dump(40, tmp_path, "same-day.txt")
    other.write_text(other.read_text().replace("Ferry service", "Ferry services"))
    with django_assert_max_num_queries(DUMP_BASE):
        run(other, "--publish")
    assert LiveUpdate.objects.count() == 40


def test_same_headline_on_many_days_does_not_cost_more_each_day(tmp_path):
    counts = []
    for day in range(1, 9):
        path = dump(0, tmp_path, f"day-{day}.txt")
        path.write_text(path.read_text().replace("June 9", f"June {day}"))
        counts.append(count_queries(path, "--publish"))
    assert counts[-1] <= counts[1], counts  # the eighth slug costs what the second did
    assert ArticlePage.objects.filter(slug__endswith="-8").count() == 1


def export(posts, tmp_path):
    items = []
    for number in range(posts):
        items.append(f"""<item><title>Council briefing {number}</title>
<link>https://evening.example/2025/03/briefing-{number}/</link>
<dc:creator><![CDATA[okravets]]></dc:creator>
<guid isPermaLink="false">https://evening.example/?p={100 + number}</guid>
<content:encoded><![CDATA[<p>The council met on March {1 + number % 28}.</p>]]></content:encoded>
<wp:post_id>{100 + number}</wp:post_id>
<wp:post_date_gmt><![CDATA[2025-03-{1 + number % 28:02d} 08:05:00]]></wp:post_date_gmt>
<wp:post_name><![CDATA[briefing-{number}]]></wp:post_name>
<wp:status><![CDATA[publish]]></wp:status><wp:post_type><![CDATA[post]]></wp:post_type>
<category domain="category" nicename="city"><![CDATA[City]]></category>
<category domain="post_tag" nicename="t{number % 3}"><![CDATA[Tag {number % 3}]]></category>
</item>""")
    path = tmp_path / "export.xml"
    path.write_text(
        f"""<?xml version="1.0" encoding="UTF-8" ?>
<rss version="2.0" xmlns:excerpt="http://wordpress.org/export/1.2/excerpt/"
 xmlns:content="http://purl.org/rss/1.0/modules/content/"
 xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:wp="http://wordpress.org/export/1.2/">
<channel><title>Evening Post</title><wp:wxr_version>1.2</wp:wxr_version>
<wp:author><wp:author_login><![CDATA[okravets]]></wp:author_login>
<wp:author_display_name><![CDATA[Olha Kravets]]></wp:author_display_name></wp:author>
{"".join(items)}</channel></rss>""",
        encoding="utf-8",
    )
    return path


# A WordPress post costs about 100 queries to create (Wagtail page, revision, publish,
# redirect, topics, cache invalidation) and 7 to find unchanged.
WXR_BASE, PER_POST, PER_POST_AGAIN = 40, 115, 8


@pytest.mark.parametrize("posts", [3, 15])
def test_a_wordpress_export_costs_a_fixed_number_of_queries_per_post(
    posts, tmp_path, django_assert_max_num_queries
):
    path = export(posts, tmp_path)
    with django_assert_max_num_queries(WXR_BASE + PER_POST * posts):
        run(path, "--publish")
    assert ArticlePage.objects.live().count() == posts
    with django_assert_max_num_queries(WXR_BASE + PER_POST_AGAIN * posts):
        run(path, "--publish")
    assert ArticlePage.objects.count() == posts
