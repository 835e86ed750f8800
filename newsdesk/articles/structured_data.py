"""schema.org NewsArticle data for an article, as search engines and aggregators read it."""

from django.conf import settings
from django.templatetags.static import static
from django.utils import timezone

from newsdesk.core.templatetags.newsdesk import absolute


def iso(moment):
    """ISO 8601 with the newsroom's UTC offset, e.g. 2024-01-27T15:34:00+02:00."""
    return timezone.localtime(moment).isoformat(timespec="seconds") if moment else None


def publisher():
    return {
        "@type": "NewsMediaOrganization",
        "name": settings.NEWSDESK_SITE_NAME,
        "url": settings.NEWSDESK_BASE_URL + "/",
        "logo": {
            "@type": "ImageObject",
            "url": absolute(static("newsdesk/logo.png")),
            "width": 600,
            "height": 60,
        },
    }


def person_or_desk(author):
    return {
        "@type": "Organization" if author.is_desk else "Person",
        "name": author.name,
        "url": absolute(author.get_absolute_url()),
    }


def news_article(article, image_url=None):
    modified = article.last_substantive_update or article.last_published_at
    data = {
        "@context": "https://schema.org",
        "@type": "NewsArticle",
        "mainEntityOfPage": absolute(article.url),
        "headline": article.title[:110],
        "datePublished": iso(article.first_published_at),
        "dateModified": iso(modified or article.first_published_at),
        "author": [person_or_desk(author) for author in article.authors],
        "publisher": publisher(),
        "keywords": [topic.name for topic in article.topic_list],
        "wordCount": article.word_count,
        "inLanguage": settings.LANGUAGE_CODE,
    }
    if article.standfirst:
        data["description"] = article.standfirst
    if image_url:
        data["image"] = [absolute(image_url)]
    return data
