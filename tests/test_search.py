"""Reader search: /search/, /api/search, the query cleaner, snippets and ranking.

Saving content only queues an indexing task (the worker runs it), so tests index what they
create themselves with `indexed()`.
"""

import importlib
import json
import os
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import SimpleNamespace

import pytest
from bs4 import BeautifulSoup
from django.apps import apps as django_apps
from django.db import connection
from django.utils import timezone
from wagtail.search import index
from wagtail.search.backends import get_search_backend

from newsdesk.live.actions import delete_update
from newsdesk.search import highlight, searcher
from newsdesk.search.query import MAX_QUERY_CHARS, MAX_TERMS, parse
from newsdesk.search.ranking import Candidate, rank, recency_boost
from tests.conftest import launch_chromium
from tests.factories import ensure_site_structure, make_article, make_live_feed, paragraphs, post

NOW = datetime(2025, 5, 1, 12, 0, tzinfo=UTC)


def indexed(*objects):
    for obj in objects:
        index.insert_or_update_object(obj)
    return objects


def article(title, *texts, age=timedelta(hours=1), **fields):
    page = make_article(
        title,
        body=paragraphs(*texts),
        published_at=timezone.now() - age,
        hero=False,
        **fields,
    )
    indexed(page)
    return page


def page_of(response):
    assert response.status_code == 200, response.content[:300]
    return BeautifulSoup(response.content, "html.parser")


def result_titles(client, q, **params):
    page = page_of(client.get("/search/", {"q": q, **params}))
    return [a.get_text() for a in page.select(".search-result .card__title a")]


# --- The query cleaner (pure) ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "terms"),
    [
        ("Harbour", ("harbour",)),
        ("  harbour   ferry ", ("harbour", "ferry")),
        ("harbour harbour HARBOUR", ("harbour",)),
        ('"harbour" AND ferry*', ("harbour", "ferry")),
        ("NEAR(harbour ferry, 3)", ("harbour", "ferry", "3")),
        ("-harbour", ("harbour",)),
        ("title:harbour {body}:ferry", ("title", "harbour", "body", "ferry")),
        ("the state of the harbour", ("state", "harbour")),
        ("Kyiv's port_authority", ("kyiv", "port", "authority")),
        ("Суми, Харків", ("суми", "харків")),
        ("harbour\x00ferry", ("harbour", "ferry")),
        ("ＨＡＲＢＯＵＲ", ("harbour",)),
        ("'; DROP TABLE x; --", ("drop", "table")),
        ("<script>alert(1)</script>", ("script", "alert", "1")),
        ("", ()),
        (None, ()),
        ('"*-()^:', ()),
        ("the and of", ()),
        ("x" * 500, ()),
    ],
)
def test_parse_keeps_only_plain_terms(raw, terms):
    assert parse(raw).terms == terms


def test_parse_bounds_length_and_terms():
    query = parse(" ".join(f"word{n}" for n in range(100)))
    assert len(query.text) <= MAX_QUERY_CHARS
    assert len(query.terms) == MAX_TERMS
    assert parse("a" * 10_000 + " harbour").text == "a" * MAX_QUERY_CHARS


# --- Snippets (pure) -------------------------------------------------------------------------


def test_highlight_escapes_everything_and_marks_matches():
    pattern = highlight.matcher(["harbour"])
    text = 'Harbours & <b>"harbour"</b> reopened'
    assert highlight.highlight(text, pattern) == (
        "<mark>Harbours</mark> &amp; &lt;b&gt;&quot;<mark>harbour</mark>&quot;&lt;/b&gt; reopened"
    )


def test_highlight_matches_word_starts_and_simple_endings():
    pattern = highlight.matcher(["flooding"])
    marked = highlight.highlight("Floods flooded the floodplain; no reflood.", pattern)
    assert marked.count("<mark>") == 3
    assert "re<mark>" not in marked


def test_snippet_is_a_window_around_the_first_match():
    text = " ".join(["filler"] * 100) + " the harbour reopened " + " ".join(["more"] * 100)
    snippet = highlight.snippet(text, ["harbour"])
    assert snippet.startswith("… ") and snippet.endswith(" …")
    assert "<mark>harbour</mark>" in snippet
    assert len(re.sub("<[^>]+>", "", snippet)) <= highlight.SNIPPET_CHARS + 4


def test_snippet_without_a_match_is_the_beginning():
    assert highlight.snippet("Short text.", ["harbour"]) == "Short text."


# --- Ranking (pure) --------------------------------------------------------------------------


def test_recency_boost_halves_every_half_life():
    assert recency_boost(0) == 1.5
    assert recency_boost(72) == pytest.approx(1.25)
    assert recency_boost(24 * 365) == pytest.approx(1.0)
    assert recency_boost(-5) == 1.5  # a future date counts as new


def test_rank_prefers_newer_among_equals_and_keeps_much_better_older_ahead():
    older, newer = NOW - timedelta(days=10), NOW - timedelta(hours=1)
    equal = rank([Candidate("article", 1, -4.0, older), Candidate("article", 2, -4.0, newer)], NOW)
    assert [c.pk for c in equal] == [2, 1]
    better = rank([Candidate("article", 1, -9.0, older), Candidate("article", 2, -3.0, newer)], NOW)
    assert [c.pk for c in better] == [1, 2]
    # PostgreSQL's scores are positive: the magnitude counts either way.
    positive = rank([Candidate("article", 1, 0.9, older), Candidate("x", 2, 0.3, newer)], NOW)
    assert [c.pk for c in positive] == [1, 2]


# --- Finding things --------------------------------------------------------------------------


@pytest.mark.django_db
def test_finds_an_article_by_a_word_of_its_body(client):
    found = article("Night session", "Deputies approved the sunflower export quota.")
    article("Another story", "Nothing about crops here.")
    page = page_of(client.get("/search/", {"q": "sunflower"}))
    links = page.select(".search-result .card__title a")
    assert [link["href"] for link in links] == [found.url]
    assert "1 result for “sunflower”" in page.select_one(".search-summary").get_text()
    assert page.select_one(".search-result__kind").get_text() == "Article"


@pytest.mark.django_db
def test_finds_a_live_update_by_its_headline(client):
    feed = make_live_feed("Storm over the coast")
    update = post(feed, "Lighthouse keeper evacuated", body="<p>Crews reached him at 9.</p>")
    indexed(update)
    page = page_of(client.get("/search/", {"q": "lighthouse"}))
    result = page.select_one(".search-result")
    assert result.select_one("a")["href"] == f"{feed.url}updates/{update.pk}/"
    assert "Storm over the coast" in result.select_one(".search-result__kind").get_text()
    assert result.select_one("mark").get_text() == "Lighthouse"


@pytest.mark.django_db
def test_the_article_named_by_the_query_outranks_short_updates_that_mention_it(client):
    # The demo's case: "water pumping" listed four short storm updates before the article
    # whose headline is about exactly that, because a long body scores low in BM25 and the
    # updates' headlines were indexed as body text. Headlines now weigh as titles on both.
    for number in range(6):  # BM25 needs documents without the words to weigh them at all
        article(f"Council session {number}", "Deputies discussed the budget and school meals.")
    background = "Crews worked through the night across the district to restore supply. " * 12
    story = article(
        "Running water returns after pumping station repair",
        "Engineers replaced two pumps at the pumping station, and water reached homes on Tuesday.",
        background,
        age=timedelta(hours=20),
    )
    feed = make_live_feed("Storm over the coast")
    updates = [
        post(feed, "Pumping station back on grid power", body="<p>The water utility said so.</p>"),
        post(feed, "Weak pressure on upper floors", body="<p>No water until pumping resumes.</p>"),
    ]
    indexed(*updates)
    titles = result_titles(client, "water pumping")
    assert titles[0] == story.title
    assert set(titles[1:]) == {update.headline for update in updates}


@pytest.mark.django_db
def test_finds_words_in_any_script_whatever_their_case(client):
    found = article("Світло повертається", "Енергетики відновили живлення в Сумах і Шостці.")
    assert result_titles(client, "ШОСТЦІ") == [found.title]


@pytest.mark.django_db
def test_drafts_withdrawn_and_unpublished_content_are_not_found(client):
    feed = make_live_feed()
    shown = post(feed, "Quarry blast shown")
    draft = post(feed, "Quarry blast draft", publish=False)
    withdrawn = post(feed, "Quarry blast withdrawn")
    delete_update(withdrawn)
    closed = make_live_feed("Closed coverage")
    on_unpublished_feed = post(closed, "Quarry blast elsewhere")
    closed.unpublish()
    unpublished = make_article("Quarry blast article", body=paragraphs("Quarry."), publish=False)
    indexed(shown, draft, withdrawn, on_unpublished_feed, unpublished)
    assert result_titles(client, "quarry blast") == ["Quarry blast shown"]


@pytest.mark.django_db
def test_newer_of_two_equally_relevant_articles_comes_first(client):
    text = "The dam at Kakhovka was inspected by engineers."
    article("Dam inspection", text, slug="dam-old", age=timedelta(days=5))
    newer = article("Dam inspection", text, slug="dam-new", age=timedelta(hours=1))
    page = page_of(client.get("/search/", {"q": "kakhovka"}))
    assert [a["href"] for a in page.select(".search-result .card__title a")][0] == newer.url


@pytest.mark.django_db
def test_a_much_more_relevant_older_article_stays_ahead(client):
    # The old story is about the dam: a short headline naming it, and the name all through a
    # short text. The new one names it once in passing, deep in a long text under a long
    # headline. Both backends score the old one several times higher (measured: about 5x on
    # SQLite's BM25, far more on PostgreSQL's title-weighted ts_rank), well beyond the 1.5x
    # the recency boost can give.
    old = article(
        "Kakhovka dam",
        "Kakhovka dam engineers described the Kakhovka reservoir.",
        "The Kakhovka dam was built in 1956; Kakhovka residents remember.",
        standfirst="What happened at the Kakhovka dam.",
        age=timedelta(days=10),
    )
    passing = (
        "Traders in Odesa raised prices for wheat and barley this week as shipping costs grew, "
        "insurers changed their terms and buyers in several countries waited to see more. "
    )
    new = article(
        "Grain prices rise again as shipping and insurance costs grow",
        passing * 3,
        "Among many other factors, one trader mentioned Kakhovka in passing.",
        passing * 3,
        age=timedelta(minutes=5),
    )
    page = page_of(client.get("/search/", {"q": "kakhovka"}))
    assert [a["href"] for a in page.select(".search-result .card__title a")] == [old.url, new.url]


@pytest.mark.django_db
def test_snippet_marks_matches_and_escapes_the_text(client):
    article(
        "Port reopens",
        "Officials said &lt;b&gt;harbour&lt;/b&gt; fees &amp; tolls stay; the harbour opens.",
    )
    response = client.get("/search/", {"q": "harbour"})
    html = response.content.decode()
    snippet = page_of(response).select_one(".search-result__snippet")
    assert [mark.get_text() for mark in snippet.select("mark")] == ["harbour", "harbour"]
    assert snippet.select("b") == []  # the article's "<b>" is text, not markup
    assert "&lt;b&gt;<mark>harbour</mark>&lt;/b&gt;" in html
    assert "fees &amp; tolls" in html


@pytest.mark.django_db
def test_results_are_paged_ten_at_a_time_and_links_keep_the_query(client):
    for number in range(12):
        article(f"Ferry report {number}", "The ferry ran late.", age=timedelta(hours=number + 1))
    first = page_of(client.get("/search/", {"q": "ferry late"}))
    assert len(first.select(".search-result")) == 10
    assert "12 results for “ferry late”" in first.select_one(".search-summary").get_text()
    next_link = first.select_one('.pagination a[rel="next"]')["href"]
    assert next_link == "?q=ferry%20late&page=2"
    second = page_of(client.get("/search/" + next_link))
    assert len(second.select(".search-result")) == 2
    assert second.select_one(".search-results")["start"] == "11"
    assert second.select_one('.pagination a[rel="prev"]')["href"] == "?q=ferry%20late&page=1"
    assert "Page 2 of 2" in second.select_one(".pagination__status").get_text()


@pytest.mark.django_db
def test_search_query_count_is_bounded(client, django_assert_max_num_queries):
    feed = make_live_feed()
    for number in range(8):
        article(f"Ferry report {number}", "The ferry ran late.")
        indexed(post(feed, f"Ferry delayed {number}"))
    client.get("/search/", {"q": "ferry"})  # warm the site-root cache
    with django_assert_max_num_queries(9):
        assert len(page_of(client.get("/search/", {"q": "ferry"})).select(".search-result")) == 10


@pytest.mark.django_db
def test_empty_query_shows_the_form_and_runs_no_search(client, monkeypatch):
    def fail(*args, **kwargs):
        raise AssertionError("searched")

    monkeypatch.setattr(searcher, "search", fail)
    page = page_of(client.get("/search/"))
    assert page.select_one("main form[role=search] input[name=q]")["value"] == ""
    assert "Type a word or two" in page.select_one("main").get_text()
    assert page.select(".search-result") == []
    punctuation = page_of(client.get("/search/", {"q": '" * - ( )'}))
    assert "nothing to search for" in punctuation.select_one("main").get_text()


@pytest.mark.django_db
def test_nothing_found_says_so(client):
    page = page_of(client.get("/search/", {"q": "zeppelin"}))
    assert "Nothing found for “zeppelin”" in page.get_text()


@pytest.mark.django_db
def test_long_query_is_cut_and_still_answers(client):
    article("Harbour works", "The harbour works finished.")
    page = page_of(client.get("/search/", {"q": "harbour " + "x" * 10_000}))
    assert len(page.select_one("#search-page-q")["value"]) <= MAX_QUERY_CHARS
    assert result_titles(client, "harbour " * 2_000) == ["Harbour works"]


def test_every_page_has_an_accessible_search_form_in_the_header(client, db):
    page = page_of(client.get("/search/"))
    form = page.select_one("header.masthead form[role=search]")
    assert form["action"] == "/search/" and form["method"] == "get"
    field = form.select_one("input[name=q]")
    assert form.select_one(f"label[for={field['id']}]").get_text() == "Search"
    assert form.select_one("button[type=submit]")
    assert page.select_one("meta[name=robots]")["content"] == "noindex"


@pytest.mark.django_db
def test_search_pages_are_cacheable_and_set_no_cookie(client):
    response = client.get("/search/", {"q": "harbour"})
    assert response["Cache-Control"] == "public, max-age=60"
    assert not response.cookies


HOSTILE = [
    '"',
    '"unterminated phrase',
    "harbour*",
    "*",
    "NEAR(harbour ferry, 2)",
    "AND(",
    "harbour AND",
    "OR OR OR",
    "-harbour",
    "harbour -ferry",
    "- - -",
    "title:harbour",
    "{title body}: harbour",
    "^harbour",
    "harbour\x00ferry",
    "\x00",
    "a" * 10_000,
    "harbour " * 2_000,
    "'; DROP TABLE wagtailsearch_indexentry; --",
    "1' OR '1'='1",
    "harbour') OR 1=1 --",
    "<script>alert(1)</script>",
    '"><img src=x onerror=alert(1)>',
    "</title><svg onload=alert(1)>",
    "&lt;b&gt; &amp; &#x3C;",
    "%",
    "%s %d %(x)s",
    "\\",
    "harbour\\",
    "🙂 ☃",
    "\u202eharbour",
    "Суми' OR 1=1",
]


@pytest.mark.django_db
@pytest.mark.parametrize("q", HOSTILE)
def test_hostile_queries_never_fail_or_come_back_unescaped(client, q):
    article("Harbour works", "The harbour works finished.")
    response = client.get("/search/", {"q": q})
    assert response.status_code == 200
    html = response.content.decode()
    if len(q) > 1 and re.search(r"[<>\"'&]", q):
        assert q not in html
        assert q[:MAX_QUERY_CHARS] not in html
    page = BeautifulSoup(html, "html.parser")
    assert page.select("script, img, svg") == []
    assert not [name for tag in page.find_all(True) for name in tag.attrs if name.startswith("on")]
    api = client.get("/api/search", {"q": q})
    assert api.status_code in (200, 400)
    body = api.json()
    for result in body.get("results", []):
        assert "<script" not in result["snippet"]


@pytest.mark.django_db
@pytest.mark.parametrize("number", ["0", "-1", "abc", "1e3", "99999999999999999999", "2.5", "٣"])
def test_bad_page_numbers_never_fail(client, number):
    article("Harbour works", "The harbour works finished.")
    assert client.get("/search/", {"q": "harbour", "page": number}).status_code == 200
    assert client.get("/api/search", {"q": "harbour", "page": number}).status_code in (400, 404)


# --- The JSON API ----------------------------------------------------------------------------


@pytest.mark.django_db
def test_api_answers_results_in_a_small_json_shape(client, settings):
    settings.NEWSDESK_BASE_URL = "https://news.example.org"
    found = article("Harbour & ferries", "The harbour reopened <i>today</i>.")
    feed = make_live_feed()
    update = indexed(post(feed, "Harbour closed again"))[0]
    for number in range(10):
        article(f"Harbour note {number}", "The harbour.", age=timedelta(days=30))
    response = client.get("/api/search", {"q": "harbour", "page": "1"})
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    assert response["Cache-Control"] == "public, max-age=60"
    body = json.loads(response.content)
    assert set(body) == {"query", "count", "page", "pages", "next", "previous", "results"}
    assert (body["query"], body["count"], body["page"], body["pages"]) == ("harbour", 12, 1, 2)
    assert body["next"] == "https://news.example.org/api/search?q=harbour&page=2"
    assert body["previous"] is None
    assert len(body["results"]) == 10
    for result in body["results"]:
        assert set(result) == {"type", "title", "url", "snippet", "published"}
        assert result["url"].startswith("https://news.example.org/")
        assert datetime.fromisoformat(result["published"]).tzinfo is not None
    by_url = {result["url"]: result for result in body["results"]}
    first = by_url[f"https://news.example.org{found.url}"]
    assert first["type"] == "article"
    assert first["title"] == "Harbour & ferries"
    assert first["snippet"] == "The <mark>harbour</mark> reopened today."
    live = by_url[f"https://news.example.org{feed.url}updates/{update.pk}/"]
    assert live["type"] == "live_update"
    second = client.get("/api/search", {"q": "harbour", "page": "2"}).json()
    assert second["previous"] == "https://news.example.org/api/search?q=harbour&page=1"
    assert len(second["results"]) == 2 and second["next"] is None


@pytest.mark.django_db
def test_api_errors(client):
    assert client.get("/api/search").json() == {
        "errors": {"q": ["Give the words to search for in ?q=."]}
    }
    assert client.get("/api/search", {"q": "  "}).status_code == 400
    assert client.get("/api/search", {"q": "x", "page": "abc"}).status_code == 400
    assert client.get("/api/search", {"q": "zeppelin", "page": "2"}).status_code == 404
    nothing = client.get("/api/search", {"q": "the"})
    assert nothing.status_code == 200 and nothing.json()["results"] == []
    assert client.post("/api/search", {"q": "x"}).status_code == 405


# --- Indexing live updates that existed before search ----------------------------------------


@pytest.mark.django_db
def test_migration_indexes_existing_live_updates(client):
    update = post(make_live_feed(), "Sandbags handed out")
    backend = get_search_backend()
    backend.delete(update)
    assert result_titles(client, "sandbags") == []
    migration = importlib.import_module(
        "newsdesk.search.migrations.0001_index_existing_live_updates"
    )
    migration.index_existing_updates(django_apps, SimpleNamespace(connection=connection))
    assert result_titles(client, "sandbags") == ["Sandbags handed out"]


# --- In a browser ----------------------------------------------------------------------------

CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = Path(__file__).resolve().parents[1] / "test-artifacts"
VIEWPORTS = {"phone": {"width": 390, "height": 844}, "desktop": {"width": 1366, "height": 900}}


@pytest.fixture(scope="module")
def chromium():
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"  # Playwright's loop runs in this thread
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = launch_chromium(playwright)
        yield browser
        browser.close()
    os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(
    not CHROMIUM.exists() and not os.environ.get("CI"),
    reason="Debian's chromium is not installed (apt-get install chromium)",
)
def test_results_page_in_a_browser(chromium, live_server):
    """The header form works without JavaScript; on phone and desktop, light and dark,
    nothing overflows sideways and axe-core finds no WCAG 2.2 A/AA problem."""
    from axe_playwright_python.sync_playwright import Axe

    ensure_site_structure()
    feed = make_live_feed("Storm over the coast")
    indexed(post(feed, "Harbour wall breached", body="<p>The harbour wall gave way at 4.</p>"))
    for number in range(12):
        article(f"Harbour works, part {number}", "The harbour works go on.")
    ARTIFACTS.mkdir(exist_ok=True)
    proxy = {"X-Forwarded-Proto": "https"}  # what the TLS proxy adds in production

    context = chromium.new_context(java_script_enabled=False, extra_http_headers=proxy)
    page = context.new_page()
    page.goto(live_server.url + "/", wait_until="load")
    page.fill("#masthead-q", "harbour")
    # Without JavaScript Playwright cannot watch the navigation it starts: wait for the URL.
    page.press("#masthead-q", "Enter", no_wait_after=True)
    page.wait_for_url("**/search/?q=harbour")
    assert page.locator(".search-result").count() == 10
    context.close()

    axe_rules = {
        "runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21aa", "wcag22aa"]}
    }
    problems = {}
    for viewport_name, viewport in VIEWPORTS.items():
        for scheme in ("light", "dark"):
            context = chromium.new_context(
                viewport=viewport,
                color_scheme=scheme,
                bypass_csp=True,  # axe-core is injected with a script tag
                extra_http_headers=proxy,
            )
            page = context.new_page()
            page.goto(live_server.url + "/search/?q=harbour", wait_until="load")
            assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
            report = Axe().run(page, options=axe_rules)
            if report.violations_count:
                problems[f"{viewport_name}, {scheme}"] = report.generate_report()
            if scheme == "light":
                page.screenshot(path=ARTIFACTS / f"search-{viewport_name}.png", full_page=True)
            context.close()
    assert not problems, "\n\n".join(f"{name}:\n{text}" for name, text in problems.items())


# --- Search for the static mirror: /offline-search/ -------------------------------------------


def offline_index(client):
    response = client.get("/offline-search/index.js")
    assert response["Content-Type"] == "text/javascript; charset=utf-8"
    body = response.content.decode()
    prefix, suffix = "window.newsdeskSearchIndex=", ";\n"
    assert body.startswith(prefix) and body.endswith(suffix)
    return json.loads(body[len(prefix) : -len(suffix)])


@pytest.mark.django_db
def test_the_offline_index_lists_what_readers_may_open_newest_first(client):
    older = article("Ferry timetable changes", standfirst="Winter times.", age=timedelta(days=2))
    newer = article("Bridge reopens </script><b>", standfirst="Traffic flows again.")
    make_article("Draft about the bridge", body=paragraphs("Draft."), publish=False)
    feed = make_live_feed("Storm over the coast", summary="Live updates as the storm passes.")
    items = offline_index(client)
    assert [item[:4] for item in items] == [
        ["l", feed.url, "Storm over the coast", "Live updates as the storm passes."],
        ["a", newer.url, "Bridge reopens </script><b>", "Traffic flows again."],
        ["a", older.url, "Ferry timetable changes", "Winter times."],
    ]
    assert all(item[4] for item in items)  # the date, written the newsroom's way


@pytest.mark.django_db
def test_the_offline_search_page_works_without_a_server_query(client):
    page = page_of(client.get("/offline-search/?q=anything"))
    assert page.select_one("meta[name=robots]")["content"] == "noindex"
    scripts = [script["src"] for script in page.select("script[src]")]
    assert scripts[0] == "/offline-search/index.js" and scripts[1].endswith("offline.js")
    form = page.select_one("[data-offline-search] form")
    assert form.get("action") is None and form.select_one("input[name=q]")
    assert page.select_one("[data-needs-script]").get_text(strip=True)
