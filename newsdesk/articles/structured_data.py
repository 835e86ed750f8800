"""schema.org NewsArticle data for an article, as search engines and aggregators read it."""

from django.conf import settings
from django.core.exceptions import ObjectDoesNotExist

from newsdesk.core.structured_data import iso, publisher
from newsdesk.core.templatetags.newsdesk import absolute


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
    audio = audio_object(article)
    if audio:
        data["audio"] = audio
    return data


def iso_duration(seconds):
    """ISO 8601 duration, as schema.org wants it: 252.4 seconds is "PT4M12S"."""
    minutes, seconds = divmod(round(seconds), 60)
    hours, minutes = divmod(minutes, 60)
    parts = [f"{hours}H" if hours else "", f"{minutes}M" if minutes else ""]
    if seconds or not (hours or minutes):
        parts.append(f"{seconds}S")
    return "PT" + "".join(parts)


def audio_object(article):
    """The AI-narrated reading of the article, once there is one; None until then."""
    try:
        narration = article.narration
    except ObjectDoesNotExist:
        return None
    if not narration.has_audio:
        return None
    data = {
        "@type": "AudioObject",
        "name": f"{article.title[:100]} (AI narration)",
        "description": (
            "An AI-narrated reading of the article, made with a synthetic voice from the "
            "published text."
        ),
        "contentUrl": absolute(narration.audio_url),
        "encodingFormat": "audio/mpeg",
        "inLanguage": settings.LANGUAGE_CODE,
    }
    if narration.duration:
        data["duration"] = iso_duration(narration.duration)
    if narration.audio_updated_at:
        data["uploadDate"] = iso(narration.audio_updated_at)
    return data
