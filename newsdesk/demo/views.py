"""The demo's own source feeds (newsdesk/demo/sources.py), served in debug mode only."""

from django.conf import settings
from django.http import Http404, HttpResponse
from django.utils import timezone
from django.views.decorators.cache import never_cache

from newsdesk.demo import sources


@never_cache
def source_feed(request, slug):
    if not settings.DEBUG:
        raise Http404  # a demo's invented statements have no place on a real site
    try:
        body, content_type = sources.feed(slug, timezone.now())
    except KeyError:
        raise Http404 from None
    return HttpResponse(body, content_type=content_type)
