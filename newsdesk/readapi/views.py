"""The read API: Wagtail's pages endpoint under /api/v2/, for anonymous readers.

It is Wagtail's PagesAPIViewSet (wagtail.api.v2) with these changes (docs/api.md, "Read API"):

- Only live pages outside private sections, the same for everyone. Wagtail's own base
  queryset asks each view restriction whether this request may pass (reading the session for
  password restrictions, the user for login ones); here no request is ever asked, so the API
  never touches the session (Django would add `Vary: Cookie`), sets no cookie, and a page
  someone unlocked in their browser stays out of it. No authentication, no CSRF: GET only.
- Which fields each page type has is listed here (API_FIELDS), not on the models, so the
  whole public shape of the API is in one place and checked for what it leaks
  (tests/test_read_api.py). Pictures are renditions only; originals are never linked.
- `?search=` ranks as reader search does (newsdesk.search) instead of through Wagtail's
  SearchFilter. That filter hands the query to the search backend as typed and asks it to
  order by relevance, which on SQLite scores through the backend's correlated subquery,
  quadratic in the matches (see search/fts.py), and passes FTS syntax through. Swapping the
  filter class is clean: it must stay last (it orders the queryset), and it returns a plain
  queryset, so counting and paging work as on any listing.
- Responses carry `Cache-Control: public, max-age=60`, like /api/search.
- There is no rate limit (Wagtail's API has none, and neither do reader pages): a proxy in
  front is the place for one; noted for the hardening work.
- There is no images or documents endpoint: Wagtail's would publish the original files'
  addresses and metadata, and originals are not public. Pages carry the renditions they use.
"""

from django.core.exceptions import ValidationError
from django.db.models import (
    Case,
    Count,
    IntegerField,
    OuterRef,
    Subquery,
    Value,
    When,
    prefetch_related_objects,
)
from django.db.models.functions import Coalesce
from django.utils.cache import patch_cache_control
from rest_framework.filters import BaseFilterBackend
from rest_framework.permissions import AllowAny
from rest_framework.renderers import JSONRenderer
from wagtail.api import APIField
from wagtail.api.v2 import filters as wagtail_filters
from wagtail.api.v2.pagination import WagtailPagination
from wagtail.api.v2.router import WagtailAPIRouter
from wagtail.api.v2.utils import BadRequestError
from wagtail.api.v2.views import PagesAPIViewSet
from wagtail.models import Page, Site

from newsdesk.articles.models import ArticlePage, NewsIndexPage
from newsdesk.feeds import content
from newsdesk.live.models import LiveFeedPage, LiveUpdate
from newsdesk.readapi import fields
from newsdesk.readapi.serializers import PageSerializer
from newsdesk.search import searcher
from newsdesk.search.query import parse

MAX_AGE = 60
MAX_OFFSET = 100_000
"""Deeper offsets are refused: SQLite cannot even take some of them (a 500), and no reader
pages that far; ?order= and the filters reach any page sooner."""

API_FIELDS = {
    ArticlePage: [
        APIField("standfirst"),
        APIField("authors", serializer=fields.Byline()),
        APIField("topics", serializer=fields.Topics()),
        APIField("last_substantive_update"),
        APIField("reading_minutes"),
        APIField("hero", serializer=fields.Hero()),
        APIField("narration", serializer=fields.Narration()),
        APIField("body", serializer=fields.Body()),
    ],
    LiveFeedPage: [
        APIField("summary"),
        APIField("status"),
        APIField("coverage_start"),
        APIField("coverage_end"),
        APIField("update_count", serializer=fields.UpdateCount()),
        APIField("last_sequence", serializer=fields.LastSequence()),
        APIField("latest_updates", serializer=fields.LatestUpdates()),
    ],
    NewsIndexPage: [APIField("intro")],
}
"""The fields of each page type beyond Wagtail's own (id, title, and the meta fields type,
detail_url, html_url, slug, show_in_menus, seo_title, search_description,
first_published_at, alias_of, parent). The home page and the index pages have no others."""

LISTING_FIELDS = {
    ArticlePage: ["standfirst", "authors", "hero", "reading_minutes"],
    LiveFeedPage: ["summary", "status", "update_count"],
}
"""Shown in a listing filtered to one type (?type=articles.ArticlePage) without ?fields=."""


def _articles(queryset):
    return queryset.select_related("hero_image", "narration").prefetch_related(
        "byline__author", "topics", content.rendition_prefetch("hero_image", content.HERO_SPEC)
    )


def _live_feeds(queryset):
    visible = (
        LiveUpdate.objects.filter(feed=OuterRef("pk"))
        .visible()
        .order_by()
        .values("feed")
        .annotate(count=Count("pk"))
        .values("count")
    )
    return queryset.select_related("sequence").annotate(
        api_update_count=Coalesce(Subquery(visible), Value(0))
    )


LISTING_QUERIES = {ArticlePage: _articles, LiveFeedPage: _live_feeds}
"""What a listing of one type loads up front, so its fields cost no query per page."""


class ReaderSearchFilter(BaseFilterBackend):
    """?search=: the pages reader search would rank, best first (see the module docstring).

    The query is cleaned as on /search/ (newsdesk.search.query): plain words, all of which
    must match, syntax ignored, cut at 200 characters; one with nothing searchable in it
    matches nothing. Paging reaches the searcher.CANDIDATES best matches. With ?order= the
    same matches come in that order instead. `search_operator` is accepted and ignored.
    """

    def filter_queryset(self, request, queryset, view):
        if "search" not in request.GET:
            return queryset
        query = parse(request.GET["search"])
        # The ranking needs only which pages may match, as one id filter: the search
        # backends on PostgreSQL refuse filters on fields they do not index (?slug=).
        plain = Page.objects.filter(pk__in=queryset.order_by().values("pk"))
        ids = searcher.ranked_pages(plain, query) if query else []
        if not ids:
            return queryset.none()
        found = queryset.filter(pk__in=ids)
        if "order" in request.GET:
            return found
        position = Case(
            *(When(pk=pk, then=Value(rank)) for rank, pk in enumerate(ids)),
            output_field=IntegerField(),
        )
        return found.order_by(position)


class FieldsFilter(wagtail_filters.FieldsFilter):
    """Wagtail's ?field=value filters, with a value the field cannot hold answered 400.

    Wagtail converts only booleans, integers and foreign keys; a date, a topic id or a
    StreamField compared with junk raised from the ORM (a 500).
    """

    def filter_queryset(self, request, queryset, view):
        try:
            return super().filter_queryset(request, queryset, view)
        except (ValueError, TypeError, ValidationError) as e:
            raise BadRequestError(f"field filter error: {e}") from e


class Pagination(WagtailPagination):
    def paginate_queryset(self, queryset, request, view=None):
        offset = request.GET.get("offset", "0")
        if offset.isdecimal() and int(offset) > MAX_OFFSET:
            raise BadRequestError(f"offset cannot be higher than {MAX_OFFSET}")
        return super().paginate_queryset(queryset, request, view)


class ReadPagesViewSet(PagesAPIViewSet):
    renderer_classes = [JSONRenderer]
    authentication_classes = []
    permission_classes = [AllowAny]
    pagination_class = Pagination
    base_serializer_class = PageSerializer
    filter_backends = [
        FieldsFilter,
        wagtail_filters.ChildOfFilter,
        wagtail_filters.AncestorOfFilter,
        wagtail_filters.DescendantOfFilter,
        wagtail_filters.OrderingFilter,
        ReaderSearchFilter,  # last: it orders the queryset by rank
    ]
    # One site and one language: no ?site=, ?locale= or ?translation_of=.
    known_query_parameters = PagesAPIViewSet.known_query_parameters - {
        "site",
        "locale",
        "translation_of",
    }
    # The language code of the one locale, at a query per page: left out.
    meta_fields = [name for name in PagesAPIViewSet.meta_fields if name != "locale"]
    detail_only_fields = [*PagesAPIViewSet.detail_only_fields, "body", "latest_updates"]

    @classmethod
    def get_body_fields(cls, model):
        return cls._convert_api_fields(cls.body_fields + API_FIELDS.get(model, []))

    @classmethod
    def get_detail_default_fields(cls, model):
        # Wagtail's removes "locale", which is not a field here at all.
        return cls.get_available_fields(model)

    @classmethod
    def get_listing_default_fields(cls, model):
        return [*super().get_listing_default_fields(model), *LISTING_FIELDS.get(model, [])]

    def get_base_queryset(self):
        """Live, public pages of the site; see the module docstring.

        Built once per request: Wagtail asks for it several times (listing, serializer
        context, parent checks) and each build reads the view restrictions.
        """
        if not hasattr(self, "_base_queryset"):
            site = Site.find_for_request(self.request)
            if site is None:
                self._base_queryset = Page.objects.none()
            else:
                self._base_queryset = (
                    Page.objects.live().public().descendant_of(site.root_page, inclusive=True)
                )
        return self._base_queryset.all()

    def get_queryset(self):
        queryset = super().get_queryset()
        optimise = LISTING_QUERIES.get(queryset.model)
        if optimise and self.action == "listing_view":
            queryset = optimise(queryset)
        return queryset

    def find_object(self, queryset, request):
        try:
            return super().find_object(queryset, request)
        except (ValueError, ValidationError) as e:  # ?id=abc raised from the ORM
            raise BadRequestError("id must be a positive integer") from e

    def get_object(self):
        page = super().get_object()
        if isinstance(page, ArticlePage) and not hasattr(page, "_api_loaded"):
            page._api_loaded = True
            prefetch_related_objects(
                [page],
                "byline__author",
                "topics",
                content.rendition_prefetch("hero_image", content.HERO_SPEC),
            )
        return page

    def get_renderer_context(self):
        context = super().get_renderer_context()
        context["indent"] = None  # compact; Wagtail indents by four
        return context

    def finalize_response(self, request, response, *args, **kwargs):
        response = super().finalize_response(request, response, *args, **kwargs)
        if request.method in ("GET", "HEAD"):
            patch_cache_control(response, public=True, max_age=MAX_AGE)
        return response


router = WagtailAPIRouter("readapi")
router.register_endpoint("pages", ReadPagesViewSet)
