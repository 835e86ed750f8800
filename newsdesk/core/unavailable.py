"""The answer for a change that could not be saved for a reason outside the request (the
database is down, the disk is full): 503 with Retry-After, as a page or as JSON, rendered
without touching the database or the disk.

newsdesk/core/db_errors.py and newsdesk/core/storage_errors.py say when; this says how.
"""

from django.http import HttpResponse, JsonResponse
from django.template.loader import render_to_string


def causes(error):
    """`error`, then each error it was raised from or during, once each."""
    seen = set()
    while error is not None and id(error) not in seen:
        seen.add(id(error))
        yield error
        error = error.__cause__ or error.__context__


def wants_json(request):
    return request.path.startswith("/api/") or "application/json" in request.headers.get(
        "Accept", ""
    )


def try_again_response(request, *, title, message, hint="", retry_after):
    """503: the condition is temporary, and clients and proxies retry a 503 by themselves."""
    if wants_json(request):
        response = JsonResponse(
            {"errors": {"__all__": [message]}},
            status=503,
            json_dumps_params={"ensure_ascii": False},
        )
    else:
        # A standalone template (no base.html, no context processors): it must render with
        # the database gone and no room on the disk.
        context = {"title": title, "message": message, "hint": hint}
        response = HttpResponse(render_to_string("core/try_again.html", context), status=503)
    response["Retry-After"] = str(retry_after)
    response["Cache-Control"] = "no-store"
    # The caller logs the condition once; Django's request logger would add a line per 503.
    response._has_been_logged = True
    return response
