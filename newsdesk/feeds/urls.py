from django.urls import path

from newsdesk.feeds import views
from newsdesk.feeds.sources import FILES

PLACES = {
    "site": "feeds/",
    "topic": "topics/<str:slug>/",
    "author": "authors/<str:slug>/",
    "live": "live/<str:slug>/",
}

# Named "<kind>-<format>": site-rss, topic-atom, author-json, live-rss and so on.
urlpatterns = [
    path(place + name, views.feed, {"kind": kind, "fmt": fmt}, name=f"{kind}-{fmt}")
    for kind, place in PLACES.items()
    for fmt, name in FILES.items()
]
