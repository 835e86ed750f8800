from django.urls import include, path, re_path
from wagtail import urls as wagtail_urls
from wagtail.admin import urls as wagtailadmin_urls
from wagtail.documents import urls as wagtaildocs_urls

from newsdesk.articles import views as article_views
from newsdesk.core import views as core_views

urlpatterns = [
    path("healthz", core_views.healthz, name="healthz"),
    path("admin/", include(wagtailadmin_urls)),
    path("documents/", include(wagtaildocs_urls)),
    path("authors/<str:slug>/", article_views.author_detail, name="author"),
    path("topics/<str:slug>/", article_views.topic_detail, name="topic"),
    # Uploaded images are served by the app so that one command gives a complete site;
    # docs/operations.md shows how to let nginx serve /media/ instead.
    re_path(r"^media/(?P<path>.*)$", core_views.media),
    path("", include(wagtail_urls)),
]
