"""What /sitemap.xml lists: the front page and indexes, articles, live feeds, authors, topics.

Built on django.contrib.sitemaps (pagination, Last-Modified), with two changes: addresses come
from NEWSDESK_BASE_URL, never from the request's Host header (as for canonical links and
structured data), and lastmod carries the time with the newsroom's UTC offset, because news
changes within a day.
"""

from urllib.parse import urlsplit

from django.conf import settings
from django.contrib.sitemaps import Sitemap
from django.core.paginator import Paginator
from django.db.models import Max, Q
from django.utils.functional import cached_property
from wagtail.models import Page, Site

from newsdesk.articles.models import ArticlePage, Author, HomePage, NewsIndexPage, Topic
from newsdesk.live.models import LiveFeedPage, LiveIndexPage

PAGE_SIZE = 5_000
"""URLs per sitemap file. The protocol allows 50,000 (and 50 MB); smaller files are quicker to
build and to fetch, and a section that outgrows one file only adds a page to the index."""


def latest(*moments):
    """The latest of some optional datetimes, to the second (W3C format has no need for more)."""
    known = [moment for moment in moments if moment is not None]
    return max(known).replace(microsecond=0) if known else None


class NewsdeskSitemap(Sitemap):
    @property
    def limit(self):
        return PAGE_SIZE  # read at request time, so tests can make it small

    @cached_property
    def paginator(self):
        # Django builds a new one (and counts again) on every access.
        return Paginator(self._items(), self.limit)

    def get_protocol(self, protocol=None):
        return urlsplit(settings.NEWSDESK_BASE_URL).scheme

    def get_domain(self, site=None):
        parts = urlsplit(settings.NEWSDESK_BASE_URL)
        return parts.netloc + parts.path

    def page_lastmod(self, number):
        """The latest lastmod in one file of this section, for the sitemap index."""
        return latest(*(self.lastmod(item) for item in self.paginator.page(number).object_list))


class PageSitemap(NewsdeskSitemap):
    def location(self, page):
        # The path only: page.url would be a full URL on a multi-site install.
        return page.get_url_parts()[2]

    @cached_property
    def site_roots(self):
        """Wagtail's site root paths, the deepest first."""
        roots = Site.get_site_root_paths()
        return sorted((root.root_path for root in roots), key=len, reverse=True)

    def path_of(self, url_path):
        """A page's public path from its url_path, as Page.get_url_parts finds it for page
        types that keep Wagtail's routing (no multi-language prefixes here)."""
        for root in self.site_roots:
            if url_path.startswith(root):
                return url_path[len(root) - 1 :]
        return None


class IndexPagesSitemap(PageSitemap):
    """Home, /news/ and /live/: they change whenever what they list does."""

    def items(self):
        pages = Page.objects.live().public().type(HomePage, NewsIndexPage, LiveIndexPage)
        return list(pages.order_by("path"))

    @cached_property
    def latest_article_change(self):
        return ArticlePage.objects.live().aggregate(last=Max("last_published_at"))["last"]

    @cached_property
    def latest_live_change(self):
        return LiveFeedPage.objects.live().aggregate(
            last=Max("updates__updated_at", filter=Q(updates__is_published=True))
        )["last"]

    def lastmod(self, page):
        kind = page.specific_class
        if kind is NewsIndexPage:
            changes = [self.latest_article_change]
        elif kind is LiveIndexPage:
            changes = [self.latest_live_change]
        else:
            changes = [self.latest_article_change, self.latest_live_change]
        return latest(page.last_published_at, page.first_published_at, *changes)


class ArticleSitemap(PageSitemap):
    """Rows, not pages: building 5,000 page objects and asking each for its URL took most of
    a second per file."""

    def items(self):
        # Oldest first, so a file's contents stay put as new articles are added at the end.
        return (
            ArticlePage.objects.for_readers()
            .order_by("pk")
            .values("pk", "url_path", "first_published_at", "last_substantive_update")
        )

    def location(self, article):
        return self.path_of(article["url_path"])

    def lastmod(self, article):
        """Publication, or the last substantive update editors marked (not every typo fix)."""
        return latest(article["first_published_at"], article["last_substantive_update"])

    def page_lastmod(self, number):
        # One aggregate query rather than loading a whole file's worth of pages.
        start = (number - 1) * self.limit
        ids = self.items().values("pk")[start : start + self.limit]
        dates = ArticlePage.objects.filter(pk__in=ids).aggregate(
            first=Max("first_published_at"), updated=Max("last_substantive_update")
        )
        return latest(*dates.values())


class LiveFeedSitemap(PageSitemap):
    def items(self):
        return (
            LiveFeedPage.objects.for_readers()
            .annotate(last_update=Max("updates__updated_at", filter=Q(updates__is_published=True)))
            .order_by("pk")
        )

    def lastmod(self, feed):
        return latest(feed.last_published_at, feed.last_update)


class AuthorSitemap(NewsdeskSitemap):
    """Authors with at least one published article: the others' pages are empty."""

    def items(self):
        return (
            Author.objects.annotate(
                last_article=Max(
                    "article_links__article__last_published_at",
                    filter=Q(article_links__article__live=True),
                )
            )
            .filter(last_article__isnull=False)
            .order_by("pk")
        )

    def _items(self):
        return list(self.items())  # counted and listed from one aggregate query

    def lastmod(self, author):
        return latest(author.last_article)


class TopicSitemap(NewsdeskSitemap):
    """Topics with at least one published article."""

    def items(self):
        return (
            Topic.objects.annotate(
                last_article=Max("articlepage__last_published_at", filter=Q(articlepage__live=True))
            )
            .filter(last_article__isnull=False)
            .order_by("pk")
        )

    def _items(self):
        return list(self.items())

    def lastmod(self, topic):
        return latest(topic.last_article)


SECTIONS = {
    "pages": IndexPagesSitemap,
    "articles": ArticleSitemap,
    "live": LiveFeedSitemap,
    "authors": AuthorSitemap,
    "topics": TopicSitemap,
}
"""Section name (in /sitemap-<section>.xml) → sitemap class."""
