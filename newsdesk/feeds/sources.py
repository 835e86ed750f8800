"""The feeds Newsdesk publishes, and what each one is made of.

Every feed is offered in three formats at the same place: `rss.xml`, `atom.xml` and
`feed.json` under

- `/feeds/`: the whole site;
- `/topics/<slug>/` and `/authors/<slug>/`: beside the topic's or author's page;
- `/live/<slug>/`: a live feed's updates.

A source knows its cheap `version` (for conditional requests, conditional.py) and builds its
`Feed` (entries.py) only when a reader needs the bytes.
"""

import uuid
from datetime import UTC, datetime
from functools import cached_property

from django.conf import settings
from django.shortcuts import get_object_or_404
from django.templatetags.static import static
from django.utils import timezone
from django.utils.translation import gettext as _

from newsdesk.articles.models import ArticlePage, Author, Topic
from newsdesk.core.templatetags.newsdesk import absolute
from newsdesk.feeds import articles, live, stored
from newsdesk.feeds.conditional import CACHE_CONTROL, LIVE_CACHE_CONTROL, Version
from newsdesk.feeds.entries import Feed, Person
from newsdesk.live.models import LiveFeedPage
from newsdesk.narration.models import Narration
from newsdesk.narration.podcast import EPISODES

FILES = {"rss": "rss.xml", "atom": "atom.xml", "json": "feed.json"}
NEVER = datetime(1970, 1, 1, tzinfo=UTC)
"""Atom wants an `updated` date even for a feed with nothing in it yet."""


def full_text():
    """NEWSDESK_FEED_CONTENT: `full` (the default) or `summary`."""
    return settings.NEWSDESK_FEED_CONTENT != "summary"


def feed_id(*parts):
    """A feed's own id: a name-based UUID of the site's address and what the feed covers."""
    name = "/".join([settings.NEWSDESK_BASE_URL, "feeds", *map(str, parts)])
    return f"urn:uuid:{uuid.uuid5(uuid.NAMESPACE_URL, name)}"


def site_person():
    return Person(settings.NEWSDESK_SITE_NAME, settings.NEWSDESK_BASE_URL + "/")


class Source:
    cache_control = CACHE_CONTROL

    def __init__(self, *, key, path, title, description, home=None, authors=None, identity=()):
        self.key = key
        self.path = path
        """Where the feed's files are: `path` + rss.xml, atom.xml, feed.json."""
        self.home = home or path
        """The page the feed follows."""
        self.title = title
        self.description = description
        self.authors = authors or [site_person()]
        self.identity = identity
        """What the feed's own title and description depend on, for the ETag."""

    @cached_property
    def version(self):
        raise NotImplementedError

    def entries(self, fmt=None):
        """The feed's entries; when writing `fmt`, entries may come already written in it."""
        raise NotImplementedError

    def feed(self, fmt=None):
        return Feed(
            id=feed_id(*self.key),
            title=self.title,
            description=self.description,
            home_page_url=absolute(self.home),
            urls={fmt: absolute(self.path + name) for fmt, name in FILES.items()},
            language=settings.LANGUAGE_CODE,
            updated=timezone.localtime(self.version.last_modified or NEVER),
            authors=self.authors,
            icon=absolute(static("newsdesk/favicon.png")),
            entries=self.entries(fmt),
        )


class ArticleSource(Source):
    def __init__(self, queryset, rows=None, **kwargs):
        super().__init__(**kwargs)
        self.queryset = queryset
        self.read_rows = rows or (lambda: articles.version_rows(queryset))
        """How its version rows are read (the site feed's: a prepared query)."""

    @cached_property
    def rows(self):
        return self.read_rows()

    @cached_property
    def version(self):
        times = [moment for row in self.rows for moment in row[1:] if moment]
        return Version((*self.key, *self.identity, *self.rows), max(times, default=None))

    def entries(self, fmt=None):
        ids = [row[0] for row in self.rows]
        if fmt is not None:
            return stored.written_entries(ids, fmt, full=full_text())
        return articles.entries(articles.for_feed(ids), full=full_text())


class LiveSource(Source):
    cache_control = LIVE_CACHE_CONTROL

    def __init__(self, page, **kwargs):
        super().__init__(**kwargs)
        self.page = page

    @cached_property
    def version(self):
        sequence, changed, pictures = live.version(self.page)
        published = self.page.last_published_at
        newest = max((moment for moment in (published, changed) if moment), default=None)
        return Version((*self.key, *self.identity, published, sequence, pictures), newest)

    def entries(self, fmt=None):
        return live.entries(self.page, live.for_feed(self.page), full=full_text())


def site(slug=None):
    name = settings.NEWSDESK_SITE_NAME
    return ArticleSource(
        None,  # published() reads the view restrictions: site_version_rows does, once
        rows=articles.site_version_rows,
        key=("site",),
        path="/feeds/",
        home="/",
        title=name,
        description=_("The latest news from %(site)s.") % {"site": name},
    )


def topic(slug):
    found = get_object_or_404(Topic, slug=slug)
    site_name = settings.NEWSDESK_SITE_NAME
    return ArticleSource(
        ArticlePage.objects.on_topic(found),
        key=("topic", found.pk),
        path=found.get_absolute_url(),
        title=f"{found.name} · {site_name}",
        description=found.description
        or _("Articles about %(topic)s from %(site)s.") % {"topic": found.name, "site": site_name},
        identity=(found.name, found.slug, found.description),
    )


def author(slug):
    found = get_object_or_404(Author, slug=slug)
    site_name = settings.NEWSDESK_SITE_NAME
    return ArticleSource(
        ArticlePage.objects.by_author(found),
        key=("author", found.pk),
        path=found.get_absolute_url(),
        title=f"{found.name} · {site_name}",
        description=found.bio
        or _("Articles by %(author)s in %(site)s.") % {"author": found.name, "site": site_name},
        authors=[Person(found.name, absolute(found.get_absolute_url()))],
        identity=(found.name, found.slug, found.bio),
    )


def live_feed(slug):
    page = get_object_or_404(LiveFeedPage.objects.for_readers(), slug=slug)
    return LiveSource(
        page,
        key=("live", page.translation_key),
        path=page.url,
        title=f"{page.title} · {settings.NEWSDESK_SITE_NAME}",
        description=page.summary or page.title,
        identity=(page.slug,),
    )


SOURCES = {"site": site, "topic": topic, "author": author, "live": live_feed}


def podcast_version():
    """/feeds/podcast.xml's version: the episodes in it and when each last changed."""
    rows = list(
        Narration.objects.with_audio()
        .filter(article__live=True)
        .order_by("-article__first_published_at")
        .values_list("pk", "audio_updated_at", "article__last_published_at")[:EPISODES]
    )
    times = [moment for row in rows for moment in row[1:] if moment]
    return Version(("podcast", *rows), max(times, default=None))
