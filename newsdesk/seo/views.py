"""/sitemap.xml, /sitemap-<section>.xml, /news-sitemap.xml and /robots.txt.

All are the same for everyone and cacheable for CACHE_SECONDS; none touches the session, so
none sets a cookie. Addresses in them are absolute, from NEWSDESK_BASE_URL.
"""

from datetime import timedelta

from django.conf import settings
from django.contrib.sitemaps import views as django_sitemaps
from django.http import Http404, HttpResponse
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.http import http_date
from django.views.decorators.cache import cache_control
from django.views.decorators.http import require_safe

from newsdesk.articles.models import ArticlePage
from newsdesk.core.templatetags.newsdesk import absolute
from newsdesk.seo import sitemaps
from newsdesk.seo.sitemaps import SECTIONS, latest

CACHE_SECONDS = 300
NEWS_WINDOW = timedelta(hours=48)
"""Google News takes articles published in the last two days from a news sitemap."""
NEWS_LIMIT = 1_000
"""The most URLs a news sitemap may hold."""
XML = "application/xml; charset=utf-8"

cacheable = cache_control(public=True, max_age=CACHE_SECONDS)


@require_safe
@cacheable
def sitemap(request):
    """One <urlset> while every URL fits in one file; a <sitemapindex> of files after that."""
    sections = {name: section() for name, section in SECTIONS.items()}
    counts = {name: section.paginator.count for name, section in sections.items()}
    if sum(counts.values()) <= sitemaps.PAGE_SIZE:
        return django_sitemaps.sitemap(
            request, sections, template_name="seo/sitemap.xml", content_type=XML
        )
    files = []
    for name, section in sections.items():
        if not counts[name]:
            continue
        location = absolute(reverse("sitemap-section", kwargs={"section": name}))
        for number in section.paginator.page_range:
            suffix = f"?p={number}" if number > 1 else ""
            files.append(
                django_sitemaps.SitemapIndexItem(location + suffix, section.page_lastmod(number))
            )
    return _xml(request, "seo/sitemap_index.xml", {"sitemaps": files}, [f.last_mod for f in files])


@require_safe
@cacheable
def sitemap_section(request, section):
    """One file of one section; ?p=2 and on for the files after the first."""
    if section not in SECTIONS:
        raise Http404("No such sitemap.")
    return django_sitemaps.sitemap(
        request,
        {section: SECTIONS[section]()},
        section=section,
        template_name="seo/sitemap.xml",
        content_type=XML,
    )


@require_safe
@cacheable
def news_sitemap(request):
    """Articles of the last 48 hours in the Google News sitemap format, newest first."""
    since = timezone.now() - NEWS_WINDOW
    articles = (
        ArticlePage.objects.for_readers()
        .filter(first_published_at__gte=since)
        .defer_streamfields()
        .order_by("-first_published_at", "-pk")[:NEWS_LIMIT]
    )
    entries = [
        {
            "location": absolute(article.get_url_parts()[2]),
            "published": latest(article.first_published_at),
            "title": article.title,
        }
        for article in articles
    ]
    context = {
        "entries": entries,
        "publication": settings.NEWSDESK_SITE_NAME,
        "language": news_language(settings.LANGUAGE_CODE),
    }
    return _xml(request, "seo/news_sitemap.xml", context, [e["published"] for e in entries])


def news_language(code):
    """The ISO 639 code Google News expects: "en", "uk"; Chinese keeps its script."""
    code = code.lower()
    return code if code in ("zh-cn", "zh-tw") else code.split("-")[0]


def _xml(request, template, context, moments):
    response = TemplateResponse(request, template, context, content_type=XML)
    if last := latest(*moments):
        response.headers["Last-Modified"] = http_date(last.timestamp())
    response.headers["X-Robots-Tag"] = "noindex"
    return response


@require_safe
@cacheable
def robots_txt(request):
    base = settings.NEWSDESK_BASE_URL
    lines = [
        "User-agent: *",
        "Disallow: /admin/",
        "Disallow: /desk/",
        "Disallow: /api/",
        # Live event streams never end; a crawler gains nothing from holding one open.
        "Disallow: /live/*/events",
        "Allow: /",
        "",
        f"Sitemap: {base}{reverse('sitemap')}",
        f"Sitemap: {base}{reverse('news-sitemap')}",
    ]
    return HttpResponse("\n".join(lines) + "\n", content_type="text/plain; charset=utf-8")
