"""/feeds/podcast.xml: the narrated articles as a podcast (RSS 2.0 with the iTunes tags).

Episode GUIDs are the narration's own UUID, so a regenerated recording is the same episode to
podcast apps (they replace the file instead of listing a new episode).
"""

import html
import io
from functools import cache

from django.conf import settings
from django.contrib.syndication.views import Feed
from django.http import HttpResponse
from django.utils.feedgenerator import Rss201rev2Feed
from django.views.decorators.cache import cache_control
from PIL import Image, ImageDraw, ImageFont

from newsdesk.core.templatetags.newsdesk import absolute
from newsdesk.narration.models import Narration

EPISODES = 50
COVER_SIZE = 1400  # the smallest square podcast directories accept
ITUNES = "http://www.itunes.com/dtds/podcast-1.0.dtd"


def itunes_duration(seconds):
    whole = round(seconds or 0)
    hours, rest = divmod(whole, 3600)
    minutes, seconds = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{seconds:02d}" if hours else f"{minutes}:{seconds:02d}"


class PodcastRss(Rss201rev2Feed):
    def rss_attributes(self):
        return {**super().rss_attributes(), "xmlns:itunes": ITUNES}

    def add_root_elements(self, handler):
        super().add_root_elements(handler)
        feed = self.feed
        handler.addQuickElement("itunes:author", feed["author_name"])
        handler.addQuickElement("itunes:summary", feed["description"])
        handler.addQuickElement("itunes:explicit", "false")
        handler.addQuickElement("itunes:type", "episodic")
        handler.addQuickElement("itunes:image", attrs={"href": feed["cover"]})
        handler.addQuickElement("itunes:category", attrs={"text": "News"})
        handler.startElement("image", {})
        handler.addQuickElement("url", feed["cover"])
        handler.addQuickElement("title", feed["title"])
        handler.addQuickElement("link", feed["link"])
        handler.endElement("image")

    def add_item_elements(self, handler, item):
        super().add_item_elements(handler, item)
        handler.addQuickElement("itunes:duration", item["duration"])
        handler.addQuickElement("itunes:episodeType", "full")
        handler.addQuickElement("itunes:explicit", "false")
        if item.get("item_author"):
            handler.addQuickElement("itunes:author", item["item_author"])


class PodcastFeed(Feed):
    feed_type = PodcastRss

    def __call__(self, request, *args, **kwargs):
        response = super().__call__(request, *args, **kwargs)
        response["Cache-Control"] = "public, max-age=300"
        return response

    def title(self):
        return f"{settings.NEWSDESK_SITE_NAME}: narrated articles"

    def link(self):
        return absolute("/")

    def description(self):
        return (
            f"Articles from {settings.NEWSDESK_SITE_NAME}, read aloud. The audio is created "
            "with AI assistance (a synthetic voice) from the published text."
        )

    def author_name(self):
        return settings.NEWSDESK_SITE_NAME

    def feed_extra_kwargs(self, obj):
        return {"cover": absolute("/feeds/podcast-cover.png")}

    def items(self):
        return (
            Narration.objects.with_audio()
            .filter(article__live=True)
            .select_related("article")
            .order_by("-article__first_published_at")[:EPISODES]
        )

    def item_title(self, narration):
        return narration.article.title

    def item_link(self, narration):
        return absolute(narration.article.url)

    def item_description(self, narration):
        # Podcast apps render a description as HTML; the standfirst is plain text.
        text = narration.article.standfirst or narration.article.search_description
        return html.escape(text, quote=False)

    def item_guid(self, narration):
        return f"urn:uuid:{narration.guid}"

    def item_guid_is_permalink(self, narration):
        return False

    def item_pubdate(self, narration):
        return narration.article.first_published_at

    def item_updateddate(self, narration):
        return narration.audio_updated_at

    def item_author_name(self, narration):
        return ", ".join(author.name for author in narration.article.authors) or None

    def item_enclosures(self, narration):
        from django.utils.feedgenerator import Enclosure

        return [Enclosure(absolute(narration.audio_url), str(narration.audio_bytes), "audio/mpeg")]

    def item_extra_kwargs(self, narration):
        return {
            "duration": itunes_duration(narration.duration),
            "item_author": self.item_author_name(narration),
        }


@cache
def _cover_png(name):
    image = Image.new("RGB", (COVER_SIZE, COVER_SIZE), "#12263a")
    draw = ImageDraw.Draw(image)
    title = ImageFont.load_default(size=150)
    small = ImageFont.load_default(size=80)
    draw.rectangle((0, 1100, COVER_SIZE, COVER_SIZE), fill="#c8102e")
    draw.text((100, 420), name, font=title, fill="white")
    draw.text((100, 1190), "Audio articles", font=small, fill="white")
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", optimize=True)
    return buffer.getvalue()


@cache_control(public=True, max_age=86400)
def cover(request):
    """Square cover art for podcast apps, drawn from the site's name."""
    return HttpResponse(_cover_png(settings.NEWSDESK_SITE_NAME), content_type="image/png")
