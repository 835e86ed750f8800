"""A large, deterministic news site for benchmarks: `build(articles=10_000, authors=50,
topics=100, seed=1)`.

Shared by the feed, search and mirror benchmarks, so that they measure the same site. Call it
once, on a freshly migrated database (the migrations create the home page and /news/), after
`django.setup()`. The same arguments on a fresh database give the same rows: the same titles,
slugs, bodies, dates, bylines, topics, translation keys and page ids.

What it makes:

- `authors` authors (one of them the collective "News Desk"), `topics` topics, `images`
  small generated photos (real files, so renditions work);
- `articles` published articles under /news/, one every 47 minutes or so from 1 January 2024
  (UTC), each with a standfirst, a hero photo (most of them), 6 to 12 paragraphs of 30 to 70
  words, now and then a heading, a quotation, an image in the body, a link to an earlier
  article in its rich text, a correction or a substantive update. Bylines have one or two
  authors and articles one to three topics, both skewed as in a real newsroom: a few authors
  and topics carry much of the output. `topic_slug(0)` and `author_slug(0)` are the busiest;
- a finished narration for a `narrated` share of the articles, all pointing at one real
  one-second MP3 (the files are named by content hash in production too, so sharing is
  normal); durations are what the text would take to read.

`live_feed(updates=5_000, seed=1)` adds one published live feed (`LIVE_SLUG`) with that many
published updates, five minutes apart (fixed dates), each with a headline, one or two short
paragraphs and who reported it; every 40th is a key event. The HTTP benchmark uses both.

It is fast because it skips what a benchmark of reading does not need: no page revisions, no
search index entries (run `newsdesk update_index` if you need them), no reference index, no
narration tasks. Pages are written in bulk with their tree paths computed here (treebeard's
materialised path: one step of 4 characters per level), then checked with `find_problems`.
"""

import io
import random
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

WORDS_PER_MINUTE = 165
START = datetime(2024, 1, 1, 6, 0, tzinfo=UTC)
FIRST_NAMES = [
    "Olena", "Taras", "Iryna", "Mykola", "Sofiia", "Andrii", "Kateryna", "Bohdan", "Lesia",
    "Yurii", "Oksana", "Dmytro", "Halyna", "Petro", "Mariia", "Serhii", "Nadiia", "Ivan",
]  # fmt: skip
LAST_NAMES = [
    "Koval", "Shevchuk", "Bondar", "Tkachenko", "Kravets", "Melnyk", "Oliinyk", "Lysenko",
    "Savchuk", "Rudenko", "Marchenko", "Hnatiuk", "Pavliuk", "Verbenko", "Zaiets", "Moroz",
]  # fmt: skip
SUBJECTS = [
    "Energy", "Water", "Schools", "Hospitals", "Railways", "Roads", "Budget", "Prices",
    "Farming", "Weather", "Demining", "Shelters", "Culture", "Sport", "Courts", "Elections",
    "Housing", "Transport", "Heating", "Science",
]  # fmt: skip
PLACES = [
    "Zelenobrid", "Brid valley", "the north", "the coast", "the capital", "the border",
    "the oblast", "the river towns", "the villages", "the suburbs",
]  # fmt: skip
SAMPLE_TEXT = (
    "the city council said on Tuesday that repairs to the main water line would take three "
    "more days while crews from two districts worked through the night to restore power to "
    "about 4,500 homes and the regional administration asked residents to keep bottles of "
    "water and charged phones ready because another storm was expected before the weekend "
    "according to forecasters who also warned of strong winds along the river where the "
    "bridge reopened to traffic after inspectors found no damage to its supports and "
    "teachers said lessons would continue online until the heating returns"
)
VOCABULARY = SAMPLE_TEXT.split()


@dataclass
class Dataset:
    articles: int
    authors: int
    topics: int
    narrated: int
    seconds: float

    def line(self):
        return (
            f"{self.articles:,} articles, {self.authors} authors, {self.topics} topics "
            f"({self.narrated:,} narrated) built in {self.seconds:.1f} s"
        )


def author_slug(number):
    return "news-desk" if number == 0 else f"writer-{number:03d}"


def topic_slug(number):
    return f"topic-{number:03d}"


def build(articles=10_000, authors=50, topics=100, seed=1, *, images=20, narrated=0.25):
    """Write the data set into the current database and say what was made and how fast."""
    from django.db import transaction

    started = time.perf_counter()
    rng = random.Random(seed)  # noqa: S311 - made-up test data, not secrets
    with transaction.atomic():
        author_ids = _authors(authors)
        topic_ids = _topics(topics)
        image_ids = _images(images, rng)
        pages = _pages(articles, rng)
        page_ids = [page.pk for page in pages]
        choices = _Choices(rng, author_ids, topic_ids, image_ids)
        rows = [choices.article(number, page_ids) for number in range(articles)]
        _articles(pages, rows)
        _relations(pages, rows)
        made = _narrations(pages, rows, rng, narrated)
    _check_tree()
    return Dataset(articles, authors, topics, made, time.perf_counter() - started)


def _authors(count):
    from newsdesk.articles.models import Author

    rows = [Author(name="News Desk", slug=author_slug(0), kind=Author.Kind.DESK)]
    for number in range(1, count):
        first = FIRST_NAMES[number % len(FIRST_NAMES)]
        last = LAST_NAMES[(number * 7) % len(LAST_NAMES)]
        rows.append(
            Author(
                name=f"{first} {last}",
                slug=author_slug(number),
                role="Reporter",
                bio=f"{first} reports for the benchmark newsroom, which does not exist.",
            )
        )
    return [author.pk for author in Author.objects.bulk_create(rows)]


def _topics(count):
    from newsdesk.articles.models import Topic

    rows = []
    for number in range(count):
        subject = SUBJECTS[number % len(SUBJECTS)]
        place = PLACES[(number // len(SUBJECTS)) % len(PLACES)]
        suffix = f" {number // (len(SUBJECTS) * len(PLACES)) + 1}" if number >= 200 else ""
        name = f"{subject} in {place}{suffix}"
        rows.append(Topic(name=name, slug=topic_slug(number), description=f"News on {name}."))
    return [topic.pk for topic in Topic.objects.bulk_create(rows)]


def _images(count, rng):
    from django.core.files.images import ImageFile
    from PIL import Image as PillowImage
    from wagtail.images import get_image_model

    ids = []
    for number in range(count):
        buffer = io.BytesIO()
        colour = (rng.randrange(256), rng.randrange(256), rng.randrange(256))
        PillowImage.new("RGB", (1600, 1000), colour).save(buffer, format="JPEG", quality=70)
        image = get_image_model()(title=f"Benchmark photo {number}", credit="Benchmark desk")
        image.file = ImageFile(buffer, name=f"benchmark-{number:03d}.jpg")
        image.save()
        ids.append(image.pk)
    return ids


def _pages(count, rng):
    """The wagtailcore_page rows of the articles, in one bulk insert; returns their ids."""
    from django.contrib.contenttypes.models import ContentType
    from django.db.models import F
    from django.utils.text import slugify
    from wagtail.models import Page

    from newsdesk.articles.models import ArticlePage, NewsIndexPage

    news = NewsIndexPage.objects.get()
    last = news.get_last_child()
    first_step = last._get_lastpos_in_path() + 1 if last else 1
    content_type = ContentType.objects.get_for_model(ArticlePage)
    pages = []
    moment = START
    for number in range(count):
        moment += timedelta(minutes=40 + rng.randrange(15))
        edited = moment + timedelta(minutes=rng.choice([0, 0, 0, 12, 95]))
        title = _title(rng, number)
        slug = f"{slugify(' '.join(title.split()[:6]))}-{number}"
        pages.append(
            Page(
                title=title,
                draft_title=title,
                slug=slug,
                content_type=content_type,
                locale_id=news.locale_id,
                path=Page._get_path(news.path, news.depth + 1, first_step + number),
                depth=news.depth + 1,
                numchild=0,
                url_path=f"{news.url_path}{slug}/",
                live=True,
                has_unpublished_changes=False,
                first_published_at=moment,
                last_published_at=edited,
                translation_key=uuid.UUID(int=rng.getrandbits(128), version=4),
            )
        )
    created = Page.objects.bulk_create(pages, batch_size=500)
    Page.objects.filter(pk=news.pk).update(numchild=F("numchild") + count)
    return created


def _title(rng, number):
    text = " ".join(rng.sample(VOCABULARY, 6))
    return f"{text[0].upper()}{text[1:]} ({number})"


class _Choices:
    """Everything about one article that is drawn at random (from the seeded generator)."""

    def __init__(self, rng, author_ids, topic_ids, image_ids):
        self.rng = rng
        self.author_ids = author_ids
        self.topic_ids = topic_ids
        self.image_ids = image_ids
        # Skewed like a newsroom: the desk and a few reporters write most of it.
        self.author_weights = [1 / (rank + 1) for rank in range(len(author_ids))]
        self.topic_weights = [1 / (rank + 1) ** 0.8 for rank in range(len(topic_ids))]

    def article(self, number, page_ids):
        rng = self.rng
        body = self.body(number, page_ids)
        words = sum(len(_text(block).split()) for block in body)
        return {
            "standfirst": self.sentence(18, 30),
            "hero": rng.choice(self.image_ids) if self.image_ids and rng.random() < 0.9 else None,
            "body": body,
            "words": words,
            "authors": self.distinct(
                self.author_ids, self.author_weights, rng.choice([1] * 4 + [2])
            ),
            "topics": self.distinct(self.topic_ids, self.topic_weights, rng.choice([1, 2, 2, 3])),
            "corrected": rng.random() < 0.05,
            "updated": rng.random() < 0.1,
        }

    def distinct(self, ids, weights, count):
        chosen = []
        while len(chosen) < min(count, len(ids)):
            pick = self.rng.choices(ids, weights)[0]
            if pick not in chosen:
                chosen.append(pick)
        return chosen

    def sentence(self, low, high):
        words = [self.rng.choice(VOCABULARY) for _ in range(self.rng.randint(low, high))]
        return " ".join(words).capitalize() + "."

    def body(self, number, page_ids):
        rng = self.rng
        blocks = []
        for position in range(rng.randint(6, 12)):
            text = " ".join(self.sentence(8, 20) for _ in range(3))
            if position == 1 and number > 0 and rng.random() < 0.2:
                earlier = page_ids[rng.randrange(number)]
                text += f' <a linktype="page" id="{earlier}">Read our earlier report</a>.'
            blocks.append(self.block("paragraph", {"text": f"<p>{text}</p>"}))
            if position == 3 and rng.random() < 0.3:
                heading = {"text": self.sentence(3, 6), "level": "h2"}
                blocks.append(self.block("heading", heading))
            if position == 4 and rng.random() < 0.2:
                quote = {"text": self.sentence(10, 20), "attribution": "A city official"}
                blocks.append(self.block("quote", quote))
            if position == 5 and self.image_ids and rng.random() < 0.15:
                image = {
                    "image": rng.choice(self.image_ids),
                    "alt": "A generated benchmark photo",
                    "caption": self.sentence(4, 8),
                    "credit": "",
                }
                blocks.append(self.block("image", image))
        return blocks

    def block(self, kind, value):
        if kind != "image":
            value = {**value, "exclude_from_audio": False}
        return {"type": kind, "value": value, "id": str(uuid.UUID(int=self.rng.getrandbits(128)))}


def _text(block):
    value = block["value"]
    return value.get("text", "") if block["type"] != "image" else ""


def _articles(pages, rows):
    """The articles_articlepage rows, beside the page rows already written.

    Django cannot bulk-create a multi-table child, so each row is saved on its own, raw:
    only this table, no signals' side effects (search, reference index), in one transaction.
    """
    from newsdesk.articles.models import ArticlePage
    from newsdesk.articles.reading import reading_minutes

    for page, row in zip(pages, rows, strict=True):
        # A substantive update two hours after publication, for one story in ten.
        update = page.first_published_at + timedelta(hours=2) if row["updated"] else None
        article = ArticlePage(
            page_ptr_id=page.pk,
            last_substantive_update=update,
            standfirst=row["standfirst"],
            hero_image_id=row["hero"],
            hero_alt="A generated benchmark photo" if row["hero"] else "",
            hero_caption="Benchmark caption." if row["hero"] else "",
            body=row["body"],
            word_count=row["words"],
            reading_minutes=reading_minutes(row["words"]),
        )
        article.save_base(raw=True, force_insert=True)


def _relations(pages, rows):
    from newsdesk.articles.models import ArticleAuthor, ArticleCorrection, ArticlePage

    bylines, topic_links, corrections = [], [], []
    Through = ArticlePage.topics.through
    for page, row in zip(pages, rows, strict=True):
        page_id = page.pk
        for position, author_id in enumerate(row["authors"]):
            bylines.append(
                ArticleAuthor(article_id=page_id, author_id=author_id, sort_order=position)
            )
        for topic_id in row["topics"]:
            topic_links.append(Through(articlepage_id=page_id, topic_id=topic_id))
        if row["corrected"]:
            corrections.append(
                ArticleCorrection(
                    article_id=page_id,
                    sort_order=0,
                    published_at=page.first_published_at + timedelta(hours=3),
                    text="An earlier version of this article gave the wrong date.",
                )
            )
    ArticleAuthor.objects.bulk_create(bylines, batch_size=1000)
    Through.objects.bulk_create(topic_links, batch_size=1000)
    ArticleCorrection.objects.bulk_create(corrections, batch_size=1000)


def _narrations(pages, rows, rng, share):
    from django.conf import settings
    from numpy import int16, zeros

    from newsdesk.narration.audio import encode_mp3
    from newsdesk.narration.models import AudioStatus, Narration

    if share <= 0:
        return 0
    mp3 = encode_mp3(zeros(22050, dtype=int16), 22050)
    folder = Path(settings.MEDIA_ROOT) / "narration"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "benchmark-silence.mp3").write_bytes(mp3)
    narrations = [
        Narration(
            article_id=page.pk,
            status=AudioStatus.READY,
            audio="narration/benchmark-silence.mp3",
            audio_bytes=len(mp3),
            duration=round(row["words"] / WORDS_PER_MINUTE * 60, 1),
            guid=uuid.UUID(int=rng.getrandbits(128), version=4),
            finished_at=page.last_published_at + timedelta(minutes=2),
            audio_updated_at=page.last_published_at + timedelta(minutes=2),
        )
        for page, row in zip(pages, rows, strict=True)
        if rng.random() < share
    ]
    Narration.objects.bulk_create(narrations, batch_size=1000)
    return len(narrations)


def _check_tree():
    from wagtail.models import Page

    problems = Page.find_problems()
    if any(problems):
        raise RuntimeError(f"the generated page tree is inconsistent: {problems}")


LIVE_SLUG = "benchmark-live"
SOURCES = ["the regional administration", "the city council", "the emergency service", "police"]


def live_feed(updates=5_000, seed=1, slug=LIVE_SLUG):
    """One published live feed with `updates` published updates, written in bulk; returns it.

    Sequence numbers are 1..updates, as if each had been posted through post_update, and the
    feed's FeedSequence says so, so streams and `Last-Event-ID` work on it as on a real one.
    """
    from newsdesk.live.models import FeedSequence, LiveFeedPage, LiveIndexPage, LiveUpdate

    rng = random.Random(seed)  # noqa: S311 - made-up benchmark data
    feed = LiveFeedPage(
        title="Benchmark storm: live",
        slug=slug,
        summary="A generated live feed.",
        coverage_start=START + timedelta(days=380),
        live=False,
    )
    LiveIndexPage.objects.get().add_child(instance=feed)
    feed.save_revision().publish()
    # Fixed dates, like the articles', so a rebuilt data set is the same data set.
    newest = START + timedelta(days=400)
    rows = []
    for sequence in range(1, updates + 1):
        moment = newest - timedelta(minutes=5 * (updates - sequence))
        words = [rng.choice(VOCABULARY) for _ in range(rng.randint(25, 70))]
        paragraphs = [" ".join(words[7:]).capitalize() + "."]
        if rng.random() < 0.4:
            paragraphs.append(" ".join(rng.sample(VOCABULARY, 12)).capitalize() + ".")
        rows.append(
            LiveUpdate(
                feed=feed,
                sequence=sequence,
                headline=" ".join(words[:7]).capitalize(),
                body="".join(f"<p>{text}</p>" for text in paragraphs),
                source_name=rng.choice(SOURCES),
                source_time=moment - timedelta(minutes=rng.randrange(1, 20)),
                published_at=moment,
                is_key_event=sequence % 40 == 0,
            )
        )
    LiveUpdate.objects.bulk_create(rows, batch_size=500)
    FeedSequence.objects.update_or_create(feed=feed, defaults={"last": updates})
    return feed
