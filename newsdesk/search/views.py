from django.http import HttpResponse
from django.shortcuts import render
from django.views.decorators.cache import cache_control
from django.views.decorators.http import require_safe

from newsdesk.search import offline, searcher
from newsdesk.search.query import parse


@require_safe
@cache_control(public=True, max_age=60)
def search(request):
    """/search/?q=: the same for every reader, so caches may keep it for a minute.

    An empty box shows the form and runs no search; a query with nothing searchable left
    (only punctuation or common words) says so. Only the cleaned query is ever shown back.
    """
    query = parse(request.GET.get("q"))
    results = searcher.search(query, request.GET.get("page"), request) if query else None
    return render(request, "search/results.html", {"query": query, "results": results})


@require_safe
@cache_control(public=True, max_age=300)
def offline_search(request):
    """/offline-search/: search in the browser, for the static mirror (search/offline.py)."""
    return render(request, "search/offline.html")


@require_safe
@cache_control(public=True, max_age=300)
def offline_search_index(request):
    """/offline-search/index.js: the headlines that page searches."""
    body = offline.script(offline.entries())
    return HttpResponse(body, content_type="text/javascript; charset=utf-8")
