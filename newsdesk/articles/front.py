"""The front page's sections, each read by one function with what it shows fetched with it.

The home page (HomePage.get_context) calls these and nothing else, so each section's queries
are here to count, cache or replace on their own. Every story section draws on one pool, the
newest published articles (one query, plus one for their topics): a story gets one card on the
page, in the most prominent place it earns (the topic sections further down may repeat a
headline of the "Latest" list), and adding a section adds no query.
"""

from dataclasses import dataclass, field
from itertools import groupby

from django.utils import timezone

from newsdesk.live.feed import running_with_latest
from newsdesk.live.models import zone_label
from newsdesk.pagecache import recorder
from newsdesk.parts import store

POOL_SIZE = 60
"""How far back the front page looks: enough for the lead, secondaries, the latest list and a
few topic sections on a busy day."""
SECONDARY = 3
LATEST = 10
TOPIC_SECTIONS = 3
TOPIC_STORIES = 4
TOPIC_MIN_STORIES = 2
"""A topic gets a section of its own once it has this many stories not shown higher up."""
LIVE_FEEDS = 3
LIVE_UPDATES = 3


@dataclass
class TopicSection:
    topic: object
    articles: list = field(default_factory=list)


def story_pool(limit=POOL_SIZE):
    """The newest published articles with their topics (two queries): only the columns a
    card shows, as the lead and the cards are stored parts (parts/store.py) and the latest
    list shows titles; a lead or card built anew reads its photo then."""
    from newsdesk.articles.models import ArticlePage

    pool = list(ArticlePage.objects.cards()[:limit])
    attach_topics(pool)
    return pool


def attach_topics(articles):
    """Each article's topics, by name, as `pool_topics`: one query through the link table
    (modelcluster's prefetch of a ParentalManyToManyField builds a queryset per article,
    the largest share of a stored front page's cost)."""
    from newsdesk.articles.models import ArticlePage

    by_article = {article.pk: [] for article in articles}
    # Topic instances (not values), so the page is tagged by them; in Topic's order (name).
    links = (
        ArticlePage.topics.through.objects.filter(articlepage_id__in=list(by_article))
        .select_related("topic")
        .order_by("topic__name", "topic_id")
    )
    for link in links:
        by_article[link.articlepage_id].append(link.topic)
    for article in articles:
        article.pool_topics = by_article[article.pk]


def top_stories(pool, lead_id=None):
    """(lead, secondary): the editors' chosen lead, or the newest story with a photo (the
    newest of all when none has one), then the next few newest."""
    from newsdesk.articles.models import ArticlePage

    lead = None
    if lead_id:
        lead = next((article for article in pool if article.pk == lead_id), None)
        if lead is None:  # chosen, but older than the pool: one more query
            lead = ArticlePage.objects.cards().filter(pk=lead_id).first()
            if lead is not None:
                attach_topics([lead])
    if lead is None and pool:
        lead = next((article for article in pool if article.hero_image_id), pool[0])
    rest = [article for article in pool if article != lead]
    return lead, rest[:SECONDARY]


def latest(pool, shown, limit=LATEST):
    """The newest stories not shown above, grouped by the newsroom's calendar day:
    [(date, [articles])]. Dates, not "today": a cached front page stays true after midnight."""
    stories = [article for article in pool if article not in shown][:limit]
    return [
        (day, list(articles))
        for day, articles in groupby(
            stories, key=lambda article: timezone.localtime(article.first_published_at).date()
        )
    ]


def topic_sections(pool, shown):
    """Topics with the most stories not shown higher up, freshest topic first; each story in
    one section only."""
    sections: dict[int, TopicSection] = {}
    taken = set(shown)
    for article in pool:
        if article in taken:
            continue
        for topic in article.pool_topics:  # read with the pool
            section = sections.setdefault(topic.pk, TopicSection(topic))
            if len(section.articles) < TOPIC_STORIES:
                section.articles.append(article)
                taken.add(article)
                break
    chosen = [s for s in sections.values() if len(s.articles) >= TOPIC_MIN_STORIES]
    chosen.sort(key=lambda s: len(s.articles), reverse=True)
    chosen = chosen[:TOPIC_SECTIONS]
    chosen.sort(key=lambda s: s.articles[0].first_published_at, reverse=True)
    return chosen


def running_feeds():
    """Running live feeds, newest coverage first, each with its latest updates (not its
    pinned one, which the feed's page leads with) and its sequence: two queries."""
    return running_with_latest(LIVE_FEEDS, LIVE_UPDATES)


class Shared:
    """What several stored parts of the front page show (the story pool's sections, the
    running live feeds), read once, when the first of them is built; None of it is read when
    they are all stored.

    Each part is tagged by what was loaded while it was built (parts/store.py), so the
    objects loaded for the first part are added to the recording of every part that reads
    them later: a region built second is dropped by the same changes as the first.

    A part is stored only if no invalidation committed since its build began (the
    generation it read first); a region built second began after this was read, so it is
    read again if an invalidation has committed since (one small query, on builds only)."""

    def __init__(self, read):
        self._read = read
        self._value = None
        self._recorded = None
        self._generation = None
        self._read_for = []  # the recordings (parts being built) that read it

    @property
    def value(self):
        current = recorder.current()
        first = not any(current is seen for seen in self._read_for)
        if self._recorded is None or (
            current is not None and first and store.current_generation() != self._generation
        ):
            self._generation = store.current_generation()
            with recorder.nested() as recorded:
                self._value = self._read()
            self._recorded = recorded
        if current is not None and first:
            self._read_for.append(current)
            recorder.merge_recorded(current, self._recorded)
        return self._value

    def __getitem__(self, name):  # {{ front.lead }} in a template
        return self.value[name]

    def __iter__(self):  # {% for feed in live_feeds %}
        return iter(self.value)

    def __bool__(self):
        return bool(self.value)


def regions(home):
    """The home page's context: the story sections and the running live feeds, each read
    only when a stored part of the page is built (templates articles/front/*.html)."""
    store.prefetch("front", [home])
    return {
        "front": Shared(lambda: front_page(home)),
        "live_feeds": Shared(running_feeds),
        "live_updates_shown": LIVE_UPDATES,  # and kept at that by live.js
    }


def front_page(home):
    """Everything the home page shows but its live feeds, section by section."""
    from newsdesk.articles.models import NewsIndexPage

    pool = story_pool()
    lead, secondary = top_stories(pool, home.lead_article_id)
    sections = topic_sections(pool, [lead, *secondary])
    return {
        "lead": lead,
        "secondary": secondary,
        "latest_days": latest(pool, [lead, *secondary]),
        "topic_sections": sections,
        # Every story shown as a card, for one read of their stored cards (parts/store.py).
        # (The lead's is a variant of its card: the same read.)
        "carded": [
            *([lead] if lead else []),
            *secondary,
            *(article for section in sections for article in section.articles),
        ],
        "news_index": NewsIndexPage.objects.live().first(),
        # The offset of the times shown, not today's: summer stories show summer times.
        "zone_label": zone_label(pool[0].first_published_at if pool else None),
    }
