from django.shortcuts import get_object_or_404, render

from newsdesk.articles.listings import listing
from newsdesk.articles.models import ArticlePage, Author, Topic
from newsdesk.core import sites


def with_site(request):
    """The Site from this process's memo, as page views have it (core/views.py): a card built
    anew links to its article ({% pageurl %}), and Wagtail would otherwise look the Site up
    with a query of its own, about 3 ms on every listing page whose cards are not stored."""
    request._wagtail_site = sites.site_for_request(request)


def author_detail(request, slug):
    with_site(request)
    author = get_object_or_404(Author.objects.select_related("photo"), slug=slug)
    articles = listing(
        request,
        author,
        lambda: ArticlePage.objects.by_author(author).as_cards(),
        "articles/author_listing.html",
        {"author": author},
        f"author-list:{author.pk}",
    )
    return render(request, "articles/author.html", {"author": author, "listing": articles})


def topic_detail(request, slug):
    with_site(request)
    topic = get_object_or_404(Topic, slug=slug)
    articles = listing(
        request,
        topic,
        lambda: ArticlePage.objects.on_topic(topic).as_cards(),
        "articles/topic_listing.html",
        {"topic": topic},
        f"topic-list:{topic.pk}",
    )
    return render(request, "articles/topic.html", {"topic": topic, "listing": articles})
