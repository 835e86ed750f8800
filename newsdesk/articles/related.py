"""An article's "Related stories": the editors' picks, then the newest articles that share a
topic with it (ArticlePage.related_articles says the rule; this module stores it in parts).

The block used to be one stored part per article, tagged with the lists of the article's
topics: a new article in a topic with 1,386 articles dropped 1,386 of them, and each was
rebuilt on its next render (about 13 ms of CPU and ten queries; the mirror refreshes every
one). What a new article changes is the same for every article on the topic, so the block is
now made of parts that a new article leaves alone, but for one per topic:

- `"related"` of a topic: the newest PER_TOPIC articles on it, as (publication time, id, card
  HTML), tagged `topic-list:<id>` (a publish, an unpublish or a deletion in the topic) and by
  what the cards loaded (an edited headline or photo);
- `"article" <page> "related-from"`: the article's own topic ids and its editors' picks
  (their cards), tagged by the article's page (a publish changes both) and the picks' pages.
  It is read with the article's other parts, in the same query.

The article's own parts and its topics' parts are read in one query (`prefetch`: the topics
come from the article's link rows, in a subquery, so no round trip waits for the article's
part to name them). A render merges the topics' lists newest first, leaves out the article
itself and its picks, and joins the first cards: no card is rendered and nothing is sorted in
the database. A new article drops one part per topic it is on. Previews show
drafts, so they take the rule from the rows, through the same template.
"""

import json

from django.db.models import CharField, Q, Value
from django.db.models.functions import Cast, Concat
from django.template.loader import get_template, render_to_string
from django.utils.safestring import mark_safe

from newsdesk.articles.models import ArticlePage, RelatedArticle, Topic
from newsdesk.core.prepared import PreparedRows
from newsdesk.core.restrictions import is_public
from newsdesk.parts import store
from newsdesk.parts.models import Part

SHOWN = 3
PER_TOPIC = 2 * SHOWN + 1
"""The block shows SHOWN stories after leaving out the article itself and up to SHOWN picks:
the newest 2 x SHOWN + 1 of each topic always hold them (mirror/changes.py reads as deep)."""
CARD = "components/article_card.html"


def _page_and_topics(model, page_subject, page_id, topic_prefix):
    """The parts of the article's subject and the "related" parts of the topics its link rows
    name: a topic's subject is `topic_prefix` followed by its id (store.subject)."""
    through = ArticlePage.topics.through.objects.filter(articlepage_id=page_id)
    topic_subjects = through.annotate(
        subject=Concat(Value(topic_prefix), Cast("topic_id", CharField()), output_field=CharField())
    ).values("subject")
    rows = model.objects.filter(Q(subject=page_subject) | Q(subject__in=topic_subjects))
    return rows.values_list("subject", "key", "html", "tags")


PAGE_AND_TOPICS = PreparedRows(Part, _page_and_topics)
"""Compiled once per process (core/prepared.py), like the article's route."""


def _topic_ids(model, page_id):
    return model.objects.filter(articlepage_id=page_id).order_by("pk").values_list("topic_id")


TOPIC_IDS = PreparedRows(ArticlePage.topics.through, _topic_ids)


def _picked_ids(model, page_id):
    return model.objects.filter(article_page_id=page_id).values_list("article_id")


PICKED_IDS = PreparedRows(RelatedArticle, _picked_ids)
"""Whether the editors picked any story: most articles have none, and the query that reads
the picks whole (their page rows and photos) cost about 3 ms of CPU to compile (the cold
mirror's related-from part: 3.8 ms an article, 2026-12-03); prepared, these two cost
almost nothing. Neither makes a model instance, so the part's tags are what they were."""


def prefetch(page):
    """Read the article's stored parts ("article": its head, main block and related-from)
    and its topics' "related" parts in one query, for store.get() to find. A topic whose
    part is not stored, or one the article's related-from part names but its link rows no
    longer do, is read (or built) by the block as before: this only saves the round trip."""
    if not store.in_request():
        return  # nothing is read or kept outside a request (parts/middleware.py)
    lang = store.language()
    page_subject = store.subject("article", page, lang)
    topic_prefix = store.subject("related", Topic(pk=0), lang).removesuffix("0")
    store.prefetched(
        [page_subject],
        PAGE_AND_TOPICS.all(page_subject, page.pk, topic_prefix),
    )


def block(request, page):
    """The block's HTML (empty when there is nothing to show)."""
    if not store.usable(request):
        cards = [card(request, article) for article in page.related_articles(SHOWN)]
        return _render(cards)
    source = json.loads(
        store.use(
            store.key("article", page, "related-from"),
            store.subject("article", page),
            lambda: json.dumps(_source(request, page)),
            objects=[page],
        )
    )
    cards = [html for _, html in source["picks"]]
    wanted = SHOWN - len(cards)
    if wanted > 0:
        left_out = {page.pk, *(pk for pk, _ in source["picks"])}
        candidates = {}
        for entries in _topic_lists(request, source["topics"]):
            for published, pk, html in entries:
                if pk not in left_out:
                    candidates[pk] = (published, pk, html)
        newest = sorted(candidates.values(), reverse=True)[:wanted]
        cards += [html for _, _, html in newest]
    return _render(cards)


def card(request, article):
    """The article's card as listings show it (its own stored part). The request goes in the
    context, not to the template's context processors, which a card does not read."""
    return get_template(CARD).render({"article": article, "request": request})


def _render(cards):
    """The block around the cards: HTML our templates rendered and escaped (stored parts)."""
    safe = [mark_safe(html) for html in cards]  # noqa: S308 - see above
    html = render_to_string("articles/related_stories.html", {"cards": safe})
    return mark_safe(html)  # noqa: S308 - see above


def _source(request, page):
    """The article's topic ids and its picks' cards: what it brings to the block itself."""
    topics = [topic_id for (topic_id,) in TOPIC_IDS.all(page.pk)]
    picks = []
    if PICKED_IDS.all(page.pk):
        picks = [
            link.article
            for link in page.related_links.select_related("article__hero_image").all()
            if link.article.live and is_public(link.article)
        ][:SHOWN]
    return {"topics": topics, "picks": [[pick.pk, card(request, pick)] for pick in picks]}


def _topic_lists(request, topic_ids):
    """For each topic, its newest PER_TOPIC articles: stored parts, read in one query."""
    topics = [Topic(pk=pk) for pk in topic_ids]  # only their keys are needed
    store.prefetch("related", topics)
    return [
        json.loads(
            store.use(
                store.key("related", topic),
                store.subject("related", topic),
                lambda topic=topic: json.dumps(_newest_on(request, topic.pk)),
                lists=[f"topic-list:{topic.pk}"],
            )
        )
        for topic in topics
    ]


def _newest_on(request, topic_id):
    """(publication time, id, card HTML) of the topic's newest articles, newest first. The time
    is in UTC with microseconds, so the texts sort as the times do."""
    sharing = ArticlePage.topics.through.objects.filter(topic_id=topic_id).values("articlepage_id")
    newest = ArticlePage.objects.published().filter(pk__in=sharing).as_cards()[:PER_TOPIC]
    return [
        [
            article.first_published_at.isoformat(timespec="microseconds"),
            article.pk,
            card(request, article),
        ]
        for article in newest
    ]
