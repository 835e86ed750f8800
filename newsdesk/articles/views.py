from django.shortcuts import get_object_or_404, render

from newsdesk.articles.models import ArticlePage, Author, Topic, paginate


def author_detail(request, slug):
    author = get_object_or_404(Author.objects.select_related("photo"), slug=slug)
    articles = paginate(request, ArticlePage.objects.by_author(author).as_cards())
    return render(request, "articles/author.html", {"author": author, "articles": articles})


def topic_detail(request, slug):
    topic = get_object_or_404(Topic, slug=slug)
    articles = paginate(request, ArticlePage.objects.on_topic(topic).as_cards())
    return render(request, "articles/topic.html", {"topic": topic, "articles": articles})
