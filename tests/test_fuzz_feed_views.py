"""Hostile text end to end: stored through the models (articles) and the live API (updates),
served by the feed views, parsed back. The writers' own properties are in test_fuzz_feeds.py;
these few cases check that nothing between the database and the writers undoes them."""

import json

import defusedxml.ElementTree as ElementTree
import pytest
from wagtail.models import APIToken

from newsdesk.accounts import roles
from tests.factories import make_article, make_author, make_live_feed, make_user, paragraphs
from tests.test_fuzz_feeds import as_read

pytestmark = pytest.mark.django_db

FILES = ["rss.xml", "atom.xml", "feed.json"]
# Control characters (allowed in the database, forbidden in XML), CDATA ends, markup, quotes,
# a line separator and a byte-order mark, an emoji; and a long headline's worth of it.
HOSTILE = [
    "Flood \x01\x08\x0b\x0c\x1b[31m warning",
    "Dam ]]> breach <![CDATA[ & <script>alert(1)</script>",
    "Quote \"'` \u2028 \ufeff \U0001f30a &amp; &lt;b&gt;",
    ("\x7f\x85\x9f]]>" * 60)[:200],
]


def read(client, url):
    response = client.get(url)
    assert response.status_code == 200, (url, response.status_code)
    if url.endswith(".json"):
        return json.loads(response.content.decode("utf-8"))
    return ElementTree.fromstring(response.content)


def titles(document):
    if isinstance(document, dict):
        return [item["title"] for item in document["items"]]
    rss = [item.findtext("title") for item in document.iter("item")]
    atom_entries = document.iter("{http://www.w3.org/2005/Atom}entry")
    atom = [entry.findtext("{http://www.w3.org/2005/Atom}title") for entry in atom_entries]
    return rss or atom


@pytest.mark.parametrize("title", HOSTILE, ids=range(len(HOSTILE)))
def test_article_feeds_carry_hostile_titles_names_and_bodies(client, settings, title):
    settings.NEWSDESK_FEED_CONTENT = "full"
    make_article(
        title,
        slug="hostile",
        authors=[make_author(f"Reporter {title}"[:120])],  # Author.name holds 120
        body=paragraphs(f"Body {title}".replace("<", "&lt;")),
        hero=False,
    )
    for name in FILES:
        document = read(client, f"/feeds/{name}")
        expected = title if name.endswith(".json") else as_read(title)
        assert titles(document) == [expected], name


@pytest.mark.parametrize("headline", HOSTILE, ids=range(len(HOSTILE)))
def test_live_feeds_carry_updates_posted_through_the_api(client, headline):
    feed = make_live_feed()
    token = APIToken.create_token(user=make_user("wire-bot", roles.EDITORS), name="t")[1]
    body = {"format": "html", "content": f"<p>{headline}</p><p>]]&gt; <b>bold</b></p>"}
    response = client.post(
        f"/api/live/{feed.slug}/updates",
        data=json.dumps({"headline": headline, "body": body, "source": headline[:100]}),
        content_type="application/json",
        headers={"Authorization": f"Bearer {token}"},
    )
    assert response.status_code == 201, response.content
    for name in FILES:
        document = read(client, f"{feed.url}{name}")
        stored = headline.strip()
        expected = stored if name.endswith(".json") else as_read(stored)
        assert titles(document) == [expected], name
