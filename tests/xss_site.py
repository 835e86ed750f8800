"""The hostile site for tests/test_xss_corpus.py: the corpus written into every editable
field, the way each field is filled in production where that way transforms the text.

Rich text goes in as the admin's editor posts it (Draftail contentstate), live updates
through the desk form and the posting API (text, HTML and Markdown bodies), pages through
`newsdesk import`. Plain-text fields (names, captions, lexicon terms) are stored as typed on
every path, so those are written with the ORM; their safety is in the output.
"""

import json
import uuid
from concurrent.futures import ThreadPoolExecutor
from io import StringIO

from django.core.management import call_command
from django.db import connection
from wagtail.embeds.embeds import get_embed_hash
from wagtail.embeds.models import Embed
from wagtail.models import APIToken
from wagtail.search import index
from wagtail.test.utils.form_data import inline_formset, nested_form_data, streamfield

from newsdesk.accounts import roles
from newsdesk.articles.models import ArticlePage, Author, NewsIndexPage, Topic
from newsdesk.live.models import LiveUpdate
from newsdesk.narration.models import LexiconEntry
from tests import xss
from tests.factories import ensure_site_structure, make_image, make_live_feed, make_user

PAYLOADS = xss.corpus()
ARTICLES = 6  # the corpus is spread over this many articles, about 55 payloads each
EMBED_URL = "https://video.example/clip/1"

# Field numbers, so a report names the field a payload ran from.
FIELDS = [
    "(unknown)",
    "article title",
    "standfirst",
    "hero alt",
    "hero caption",
    "hero credit",
    "paragraph text",
    "paragraph link",
    "heading block",
    "quote text",
    "quote attribution",
    "image block alt",
    "image block caption",
    "image block credit",
    "embed caption",
    "correction",
    "author name",
    "author role",
    "author bio",
    "topic name",
    "topic description",
    "image title",
    "image credit",
    "live feed title",
    "live feed summary",
    "desk headline",
    "desk body",
    "desk source",
    "desk channel",
    "api headline",
    "api html body",
    "api markdown body",
    "api text body",
    "api source",
    "lexicon term",
    "lexicon pronunciation",
    "lexicon note",
    "import text",
    "import html",
    "search query",
    "page path",
    "polled update",
    "seo title",
    "search description",
    "live correction",
]
F = {name: number for number, name in enumerate(FIELDS)}


def texts(field, payloads=PAYLOADS, limit=None):
    """The payloads as written into `field`, leaving out those longer than its limit."""
    written = [payload.text(F[field]) for payload in payloads]
    return [text for text in written if limit is None or len(text) <= limit]


def describe_family(hit):
    """The family of the payload a hook report names ("call(payload 12 in …)")."""
    number = int(hit.split("payload ")[1].split(" ")[0]) if "payload " in hit else 0
    return PAYLOADS[number - 1].family.split(" (")[0] if number else "?"


def describe(number):
    field, payload = divmod(int(number), xss.FIELD_STRIDE)
    name = FIELDS[field] if 0 <= field < len(FIELDS) else "?"
    template = PAYLOADS[payload - 1].template if 0 < payload <= len(PAYLOADS) else "?"
    return f"payload {payload} in {name}: {template}"


# --- Writing the corpus ----------------------------------------------------------------------


def contentstate(text, link_url):
    """One Draftail paragraph: the text, then the word "link" linking to link_url."""
    entities = {"0": {"type": "LINK", "mutability": "MUTABLE", "data": {"url": link_url}}}
    block = {
        "key": uuid.uuid4().hex[:5],
        "type": "unstyled",
        "depth": 0,
        "text": f"{text} link",
        "inlineStyleRanges": [],
        "entityRanges": [{"offset": len(text) + 1, "length": 4, "key": 0}],
        "data": {},
    }
    return json.dumps({"blocks": [block], "entityMap": entities})


def body_blocks(payloads, image):
    blocks = []
    for payload in payloads:
        text = payload.text
        blocks += [
            (
                "paragraph",
                {"text": contentstate(text(F["paragraph text"]), text(F["paragraph link"]))},
            ),
            ("heading", {"text": text(F["heading block"])[:200], "level": "h2"}),
            (
                "quote",
                {"text": text(F["quote text"]), "attribution": text(F["quote attribution"])},
            ),
            (
                "image",
                {
                    "image": image.pk,
                    "alt": text(F["image block alt"]),
                    "caption": text(F["image block caption"]),
                    "credit": text(F["image block credit"]),
                },
            ),
            ("embed", {"embed": EMBED_URL, "caption": text(F["embed caption"])}),
        ]
    return streamfield(blocks)


def post_article(client, number, payloads, author, topics, image, feed):
    title, _ = xss.pack(texts("article title", payloads), 255)
    fields = {
        "title": title or f"Hostile article {number}",
        "slug": f"hostile-{number}",
        "standfirst": xss.pack(texts("standfirst", payloads), 400)[0],
        "byline": inline_formset([{"author": author.pk}]),
        "hero_image": image.pk,
        "hero_alt": xss.pack(texts("hero alt", payloads), 300)[0],
        "hero_caption": xss.pack(texts("hero caption", payloads), 500)[0],
        "hero_credit": xss.pack(texts("hero credit", payloads), 255)[0],
        "body": body_blocks(payloads, image),
        "topics": [topic.pk for topic in topics],
        "live_feed": feed.pk if number == 0 else "",  # its updates shown under the article
        "corrections": inline_formset(
            [{"published_at": "2025-03-14 10:00", "text": " ".join(texts("correction", payloads))}]
        ),
        "related_links": inline_formset([]),
        "comments": inline_formset([]),
        "first_published_at": "",
        "last_substantive_update": "",
        "go_live_at": "",
        "expire_at": "",
        "seo_title": xss.pack(texts("seo title", payloads), 255)[0],
        "search_description": " ".join(texts("search description", payloads)),
        "reading_minutes_override": "",
    }
    news = NewsIndexPage.objects.get()
    data = nested_form_data(fields)
    data["action-publish"] = "1"
    response = client.post(f"/admin/pages/add/articles/articlepage/{news.pk}/", data)
    assert response.status_code == 302, response.context["form"].errors
    return ArticlePage.objects.get(slug=f"hostile-{number}")


def spread(payloads, parts):
    size = -(-len(payloads) // parts)
    return [payloads[start : start + size] for start in range(0, len(payloads), size)]


def make_authors_and_topics():
    authors, topics = [], []
    for number, chunk in enumerate(spread(PAYLOADS, 4)):
        name, _ = xss.pack(texts("author name", chunk, 120), 120)
        authors.append(
            Author.objects.create(
                name=name,
                slug=f"hostile-author-{number}",
                role=xss.pack(texts("author role", chunk, 120), 120)[0],
                bio=xss.pack(texts("author bio", chunk), 600)[0],
            )
        )
        topics.append(
            Topic.objects.create(
                name=xss.pack(texts("topic name", chunk, 120), 120)[0],
                slug=f"hostile-topic-{number}",
                description=xss.pack(texts("topic description", chunk), 600)[0],
            )
        )
    return authors, topics


def post_live_updates(client, api_token, feed, payloads, per_update=10):
    """The payloads through the desk form and through the API in every body format, ten to
    an update (the API allows a token 60 requests a minute)."""
    for chunk in spread(payloads, -(-len(payloads) // per_update)):

        def joined(field, limit, chunk=chunk):
            return xss.pack(texts(field, chunk, limit), limit)[0] or "Hostile"

        response = client.post(
            "/desk/",
            {
                "feed": feed.pk,
                "headline": joined("desk headline", 200),
                "body": "\n\n".join(texts("desk body", chunk)),
                "source_name": joined("desk source", 200),
                "source_channel": joined("desk channel", 100),
                "source_url": "",
                "verification": "unverified",
                "publish": "publish",
            },
        )
        assert response.status_code == 302, response.content[:500]
        for body_format, field in [
            ("html", "api html body"),
            ("markdown", "api markdown body"),
            ("text", "api text body"),
        ]:
            response = client.post(
                f"/api/live/{feed.slug}/updates",
                data=json.dumps(
                    {
                        "headline": joined("api headline", 200),
                        "body": {
                            "format": body_format,
                            "content": "\n\n".join(texts(field, chunk)),
                        },
                        "source": joined("api source", 200),
                    }
                ),
                content_type="application/json",
                headers={"Authorization": f"Bearer {api_token}"},
            )
            assert response.status_code == 201, response.content[:500]


def correct_live_update(client, update, payloads):
    """A correction note through the desk, which readers see on the update."""
    response = client.post(
        f"/desk/updates/{update.pk}/correct/",
        {
            "sequence": update.sequence,
            "correction": " ".join(texts("live correction", payloads)),
            "headline": update.headline,
            "body": "Corrected.",
            "source_name": "",
            "source_channel": "",
            "source_url": "",
            "verification": "unverified",
        },
    )
    assert response.status_code == 302, response.content[:500]


def make_lexicon(payloads):
    for payload in payloads:
        term = payload.text(F["lexicon term"])
        if len(term) > 100:
            continue
        LexiconEntry.objects.create(
            term=term,
            pronunciation=payload.text(F["lexicon pronunciation"])[:300],
            note=payload.text(F["lexicon note"])[:300],
        )


def storable(text):
    """Whether the importer takes a payload as one line of text (it refuses control
    characters with an error, which is right, but would import nothing)."""
    return all(ch == "\t" or ch >= " " for ch in text) and "\x7f" not in text


def import_text_dump(tmp_path, payloads):
    lines = [text for text in texts("import text", payloads) if storable(text)]
    dump = [
        lines[0][:255],
        f"by {lines[1][:100]} March 14, 2025 3:34 PM 2 min read",
        f"{lines[2]} ({lines[3][:200]})",
        "This audio is created with AI assistance",
        "",
        *[f"{line}\n" for line in lines[4:]],
        f"Author: {lines[1][:100]}",
        "",
        "10:47 AM",
        lines[5][:200],
        "",
        lines[6],
    ]
    path = tmp_path / "hostile.txt"
    path.write_text("\n".join(dump) + "\n", encoding="utf-8")
    return path


def import_html_page(tmp_path, payloads):
    raw = texts("import html", payloads)
    meta = {
        "@context": "https://schema.org",
        "@type": "NewsArticle",
        "headline": raw[0][:255],
        "datePublished": "2025-04-11T18:20:00+03:00",
        "author": [{"@type": "Person", "name": raw[1][:100]}],
        "description": raw[2],
        "keywords": raw[3][:100],
        "image": {"@type": "ImageObject", "url": "https://x.example/a.jpg", "caption": raw[4]},
    }
    # The JSON-LD is as a hostile page might write it: "</script>" inside a string would end
    # the element early, so it is escaped the way publishers' JSON encoders do.
    ld = json.dumps(meta).replace("</", "<\\/")
    body = "\n".join(f"<p>Ferry news paragraph {n}. {text}</p>" for n, text in enumerate(raw))
    page = f"""<!doctype html><html lang="en"><head><meta charset="utf-8">
<title>{raw[5]}</title>
<meta property="og:title" content="{raw[6].replace('"', "&quot;")}">
<script type="application/ld+json">{ld}</script></head>
<body><main><article><h1>Ferry returns</h1>{body}</article></main></body></html>"""
    path = tmp_path / "hostile.html"
    path.write_text(page, encoding="utf-8")
    return path


def run_import(*paths):
    out, err = StringIO(), StringIO()
    call_command("import", *map(str, paths), "--publish", stdout=out, stderr=err)
    return out.getvalue() + err.getvalue()


def off_the_loop(function, *args):
    """Run `function` in a thread of its own: Playwright's sync API keeps an event loop
    running in the test's thread, where Django's test client (async_to_sync) cannot run."""

    def run():
        try:
            return function(*args)
        finally:
            connection.close()

    with ThreadPoolExecutor(1) as pool:
        return pool.submit(run).result()


def build_hostile_site(client_for, tmp_path):
    ensure_site_structure()
    roles.ensure_roles()  # a transactional test starts with the groups flushed
    client, editor = client_for(roles.EDITORS)
    api_token = APIToken.create_token(user=make_user("hostile-bot", roles.EDITORS), name="x")[1]
    Embed.objects.create(
        url=EMBED_URL,
        hash=get_embed_hash(EMBED_URL),
        type="video",
        html='<div class="fake-video">A video</div>',
        title="A video",
    )
    image = make_image(
        title=xss.pack(texts("image title", PAYLOADS[:40]), 255)[0],
        credit=xss.pack(texts("image credit", PAYLOADS[40:80]), 255)[0],
    )
    authors, topics = make_authors_and_topics()
    feed = make_live_feed(
        title=xss.pack(texts("live feed title", PAYLOADS[80:]), 255)[0],
        summary=xss.pack(texts("live feed summary", PAYLOADS[120:]), 600)[0],
    )
    articles = [
        post_article(
            client, number, chunk, authors[number % 4], topics[number % 4 :][:2], image, feed
        )
        for number, chunk in enumerate(spread(PAYLOADS, ARTICLES))
    ]
    post_live_updates(client, api_token, feed, PAYLOADS[::3])
    correct_live_update(client, LiveUpdate.objects.filter(feed=feed).first(), PAYLOADS[2::7])
    make_lexicon(PAYLOADS[::5])
    import_log = run_import(
        import_text_dump(tmp_path, PAYLOADS[::3]), import_html_page(tmp_path, PAYLOADS[1::3])
    )
    imported = ArticlePage.objects.exclude(pk__in=[a.pk for a in articles])
    assert imported.count() == 2, import_log
    for page in ArticlePage.objects.all():
        index.insert_or_update_object(page)
    for update in LiveUpdate.objects.all():
        index.insert_or_update_object(update)
    return {
        "client": client,
        "editor": editor,
        "api_token": api_token,
        "articles": [*articles, *imported],
        "authors": authors,
        "topics": topics,
        "image": image,
        "feed": feed,
    }
