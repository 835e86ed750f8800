import re

from django.conf import settings
from django.urls import include, path, re_path
from wagtail import urls as wagtail_urls
from wagtail.admin import urls as wagtailadmin_urls
from wagtail.documents import urls as wagtaildocs_urls

from newsdesk.articles import views as article_views
from newsdesk.core import views as core_views
from newsdesk.demo import views as demo_views
from newsdesk.feeds import views as feed_views
from newsdesk.live import api as live_api
from newsdesk.live import views as live_views
from newsdesk.media import views as media_views
from newsdesk.media.config import app_media_path
from newsdesk.narration import podcast
from newsdesk.readapi.views import router as read_api
from newsdesk.search import api as search_api
from newsdesk.search import views as search_views
from newsdesk.seo import views as seo_views

APP_MEDIA_PATH = app_media_path(settings.MEDIA_URL)

urlpatterns = [
    path("healthz", core_views.healthz, name="healthz"),
    path("robots.txt", seo_views.robots_txt, name="robots"),
    path("demo/sources/<str:slug>", demo_views.source_feed, name="demo-source-feed"),
    path("sitemap.xml", seo_views.sitemap, name="sitemap"),
    path("sitemap-<slug:section>.xml", seo_views.sitemap_section, name="sitemap-section"),
    path("news-sitemap.xml", seo_views.news_sitemap, name="news-sitemap"),
    path("search/", search_views.search, name="search"),
    path("offline-search/", search_views.offline_search, name="offline-search"),
    path(
        "offline-search/index.js",
        search_views.offline_search_index,
        name="offline-search-index",
    ),
    path("api/search", search_api.search, name="search-api"),
    path("api/v2/", read_api.urls),
    path("admin/", include(wagtailadmin_urls)),
    path("documents/", include(wagtaildocs_urls)),
    path("authors/<str:slug>/", article_views.author_detail, name="author"),
    path("topics/<str:slug>/", article_views.topic_detail, name="topic"),
    path("desk/", include("newsdesk.desk.urls")),
    path("api/live/", live_api.api.urls),
    path("feeds/podcast.xml", feed_views.podcast, name="podcast"),
    path("feeds/podcast-cover.png", podcast.cover, name="podcast-cover"),
    path("live/<str:slug>/updates.json", live_views.updates_json, name="live-updates-json"),
    path(
        "live/<str:slug>/updates/<int:update_id>/",
        live_views.update_detail,
        name="live-update",
    ),
    # Media is served by the app so that one command gives a complete site (from the bucket
    # when NEWSDESK_MEDIA_STORAGE is set); docs/operations.md shows how to let nginx, a load
    # balancer or a CDN serve /media/ instead.
    re_path(rf"^{re.escape(APP_MEDIA_PATH[1:])}(?P<path>.*)$", media_views.media),
    # Site, topic, author and live feeds (docs/distribution.md).
    path("", include("newsdesk.feeds.urls")),
    # Wagtail's own front-end URLs, with pages served through core_views.serve_page.
    *(pattern for pattern in wagtail_urls.urlpatterns if pattern.name != "wagtail_serve"),
    re_path(wagtail_urls.serve_pattern, core_views.serve_page, name="wagtail_serve"),
]

# A database outage answers 503 "try again" instead of a 500 (core/db_errors.py).
handler500 = "newsdesk.core.db_errors.server_error"
