from django.db import connection
from django.http import HttpResponse
from django.views.decorators.cache import never_cache
from wagtail.views import serve as wagtail_serve

from newsdesk.core import sites


def serve_page(request, path):
    """Wagtail's page view, with the Site and home page from this process's memo
    (core/sites.py) instead of two queries per request."""
    sites.attach_site(request)
    return wagtail_serve(request, path)


@never_cache
def healthz(request):
    """200 when the database answers a query, 503 otherwise (for load balancers and monitors)."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception as error:  # noqa: BLE001 - any database failure means "unhealthy"
        return HttpResponse(
            f"database unavailable: {type(error).__name__}\n",
            status=503,
            content_type="text/plain",
        )
    return HttpResponse("ok\n", content_type="text/plain")
