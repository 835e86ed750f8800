from django.shortcuts import get_object_or_404, render

from newsdesk.articles.listings import listing
from newsdesk.articles.models import ArticlePage, Author, Topic
from newsdesk.core import sites

# Both pages take the Site from the memo, as page views do: a card built anew links to its
# article, and Wagtail would look the Site up for it (~3 ms on a listing page not stored).


def author_detail(request, slug):
    sites.attach_site(request)
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
    sites.attach_site(request)
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
