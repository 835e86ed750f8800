from django.conf import settings
from django.db import connection
from django.http import HttpResponse
from django.views.decorators.cache import never_cache
from django.views.static import serve


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


def media(request, path):
    """Uploaded files, for sites without nginx in front (docs/operations.md)."""
    return serve(request, path, document_root=settings.MEDIA_ROOT)
