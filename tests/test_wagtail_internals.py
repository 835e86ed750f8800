"""What Newsdesk relies on inside Wagtail beyond its documented API, one test per reliance, so
that a Wagtail upgrade that changes one fails here, by name, rather than as a slow page or a
private page shown in a listing. docs/development.md, "Upgrade checklist", lists them with why
each is kept; go through it when this file fails.
"""

import inspect

import pytest
import wagtail
from django.db import connection
from django.test import RequestFactory
from wagtail.models import PageViewRestriction, Site
from wagtail.query import PageQuerySet
from wagtail.search import index
from wagtail.search.backends import get_search_backend

from newsdesk.articles.models import ArticlePage
from newsdesk.core import restrictions, sites
from newsdesk.search import fts
from tests.factories import ensure_site_structure, make_article, paragraphs

REVIEWED = (8, 0)
"""The Wagtail release the checklist was last gone through against (pyproject pins 8.0.x)."""

pytestmark = pytest.mark.django_db


def test_the_checklist_was_gone_through_for_this_wagtail():
    assert wagtail.VERSION[:2] == REVIEWED, (
        f"Wagtail {wagtail.__version__}: go through docs/development.md, 'Upgrade checklist', "
        "then set REVIEWED here"
    )


# --- core/sites.py: Site._find_for_request -------------------------------------------------


@pytest.mark.parametrize("host", ["testserver", "elsewhere.example", "testserver:8080"])
def test_find_for_request_without_its_cache_finds_what_wagtail_finds(host, settings):
    """site_for_request() memoises the private, uncached half of Site.find_for_request
    (which keeps its answer on the request only); both must agree for every kind of host."""
    settings.ALLOWED_HOSTS = ["*"]
    ensure_site_structure()
    assert hasattr(Site, "_find_for_request"), "Wagtail renamed Site._find_for_request"
    request = RequestFactory().get("/", HTTP_HOST=host)
    expected = Site.find_for_request(RequestFactory().get("/", HTTP_HOST=host))
    assert Site._find_for_request(request) == expected
    assert sites.site_for_request(RequestFactory().get("/", HTTP_HOST=host)) == expected


# --- core/restrictions.py: PageQuerySet.private_q and Page.get_view_restrictions ----------


def test_public_is_built_on_private_q():
    """PublicPageQuerySet overrides private_q(), the method Wagtail's public() excludes by;
    a public() that stopped calling it would read the restrictions on its own again."""
    assert "self.private_q()" in inspect.getsource(PageQuerySet.public)
    assert "private_q" in vars(PageQuerySet)


def test_public_hides_a_restricted_page_with_one_read_while_serving(django_assert_num_queries):
    ensure_site_structure()
    hidden = make_article("Members only", body=paragraphs("Secret."))
    shown = make_article("For everyone", body=paragraphs("Open."))
    PageViewRestriction.objects.create(page=hidden, restriction_type="login")
    with restrictions.serving():
        restrictions.all_restrictions()  # the one read of the page served
        with django_assert_num_queries(1):  # the articles only: restrictions are kept
            found = set(ArticlePage.objects.public().values_list("pk", flat=True))
    assert shown.pk in found and hidden.pk not in found


def test_the_serving_check_still_asks_get_view_restrictions(client):
    """RestrictionsOnceMixin answers Wagtail's check before serving through
    get_view_restrictions(); Wagtail must still ask it (and deny what it returns)."""
    from wagtail import wagtail_hooks

    source = inspect.getsource(wagtail_hooks.check_view_restrictions)
    assert "page.get_view_restrictions()" in source
    ensure_site_structure()
    article = make_article("Members only", body=paragraphs("Secret."))
    PageViewRestriction.objects.create(page=article, restriction_type="login")
    response = client.get(article.url, secure=True)
    assert response.status_code == 302 and "login" in response["Location"]
    assert "Secret." not in response.content.decode()


# --- search/fts.py and search migration 0004: Wagtail's SQLite search tables ---------------


def test_the_index_tables_have_the_columns_our_sql_names():
    """The lean tables' triggers (search/migrations/0004) and fts.py read these by name."""
    from wagtail.search.models import IndexEntry

    assert IndexEntry._meta.db_table == "wagtailsearch_indexentry"
    columns = {field.column for field in IndexEntry._meta.concrete_fields}
    assert {"id", "content_type_id", "object_id", "title", "body", "title_norm"} <= columns


@pytest.mark.skipif(connection.vendor != "sqlite", reason="Wagtail's SQLite FTS5 backend")
def test_our_fts_query_finds_what_wagtails_backend_finds():
    """The SQLite backend's module path, its FTS table's rowid (the index entry's id) and its
    matching: fts.py's one-query ranking must find the same pages as Wagtail's own search."""
    from wagtail.search.models import SQLiteFTSIndexEntry

    assert SQLiteFTSIndexEntry._meta.db_table
    ensure_site_structure()
    pages = [
        make_article("Ferry timetable", body=paragraphs("The ferry runs twice a day.")),
        make_article("Harbour works", body=paragraphs("The ferry pier is closed.")),
        make_article("Bus times", body=paragraphs("Buses replace the boat.")),
    ]
    for page in pages:
        index.insert_or_update_object(page)
    backend = get_search_backend()
    assert fts.applies(backend)
    queryset = ArticlePage.objects.for_readers()
    wagtails = {page.pk for page in backend.search("ferry", queryset, operator="and")}
    ours, count = fts.best_matches(queryset, ["ferry"], 10)
    assert {pk for pk, _ in ours} == wagtails == {pages[0].pk, pages[1].pk}
    assert count == 2


# --- readapi/views.py: Wagtail's API v2 pages endpoint, subclassed ---------------------------


def test_the_read_api_still_narrows_wagtails_queryset_through_get_base_queryset():
    """ReadPagesViewSet keeps private pages out by overriding get_base_queryset(), and lists
    its fields through the private _convert_api_fields(); tests/test_read_api.py checks what
    comes out (test_drafts_private_and_unpublished_pages_never_appear)."""
    from wagtail.api.v2.views import PagesAPIViewSet

    assert "self.get_base_queryset()" in inspect.getsource(PagesAPIViewSet.get_queryset)
    assert callable(getattr(PagesAPIViewSet, "_convert_api_fields", None))
    assert {"fields", "search", "order"} <= PagesAPIViewSet.known_query_parameters
