"""GET /api/search?q=&page=: the reader search as JSON (docs/api.md, "Search API")."""

from urllib.parse import urlencode

from django.http import JsonResponse
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.cache import cache_control
from django.views.decorators.http import require_safe

from newsdesk.core.templatetags.newsdesk import absolute
from newsdesk.search import searcher
from newsdesk.search.query import parse


@require_safe
@cache_control(public=True, max_age=60)
def search(request):
    query = parse(request.GET.get("q"))
    if not query.text:
        return _error("q", "Give the words to search for in ?q=.")
    number = _page_number(request.GET.get("page"))
    if number is None:
        return _error("page", "The page must be a whole number from 1.")
    results = searcher.search(query, number, request) if query else None
    pages = results.page.paginator.num_pages if results else 1
    if number > pages:
        return _error("page", f"There are {pages} pages of results.", status=404)
    body = {
        "query": query.text,
        "count": results.count if results else 0,
        "page": number,
        "pages": pages,
        "next": _page_link(query, number + 1) if number < pages else None,
        "previous": _page_link(query, number - 1) if number > 1 else None,
        "results": [_result(hit) for hit in results.hits] if results else [],
    }
    return JsonResponse(body, json_dumps_params={"ensure_ascii": False})


def _error(field, message, status=400):
    return JsonResponse({"errors": {field: [message]}}, status=status)


def _page_number(value):
    """A positive whole number, 1 when absent; None when malformed."""
    if not value:
        return 1
    if not (value.isascii() and value.isdigit()) or len(value) > 6 or int(value) < 1:
        return None
    return int(value)


def _page_link(query, number):
    return absolute(f"{reverse('search-api')}?{urlencode({'q': query.text, 'page': number})}")


def _result(hit):
    return {
        "type": hit.kind,
        "title": hit.title,
        "url": absolute(hit.url),
        "snippet": str(hit.snippet_html),
        "published": (
            timezone.localtime(hit.published).isoformat(timespec="seconds")
            if hit.published
            else None
        ),
    }
