"""Feed views: look the source up, answer 304 when the reader is current, else write it."""

from django.http import HttpResponse
from django.views.decorators.http import require_safe

from newsdesk.feeds import sources, writers
from newsdesk.feeds.conditional import conditional, respond
from newsdesk.narration.podcast import PodcastFeed


@require_safe
def feed(request, kind, fmt, slug=None):
    source = sources.SOURCES[kind](slug)
    return respond(request, source.version, lambda: _write(source, fmt), source.cache_control)


def _write(source, fmt):
    body = writers.WRITERS[fmt](source.feed(fmt))
    return HttpResponse(body, content_type=writers.MIME_TYPES[fmt])


podcast = require_safe(conditional(lambda: sources.podcast_version())(PodcastFeed()))
"""/feeds/podcast.xml: the narration app's feed, with the same conditional requests."""
