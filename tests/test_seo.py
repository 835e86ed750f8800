"""Sitemaps, the Google News sitemap and robots.txt, parsed as a crawler would."""

import re
import xml.etree.ElementTree as ET
from datetime import timedelta
from urllib.parse import urlsplit

import pytest
from django.utils import timezone

from newsdesk.seo import sitemaps
from tests.factories import make_article, make_author, make_live_feed, make_topic, post

pytestmark = pytest.mark.django_db

BASE = "https://news.example.org"
SM = "{http://www.sitemaps.org/schemas/sitemap/0.9}"
NEWS = "{http://www.google.com/schemas/sitemap-news/0.9}"
# W3C Datetime as the sitemap protocol allows it: a date, or a time with a zone.
W3C_DATETIME = re.compile(r"^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2}))?$")


@pytest.fixture(autouse=True)
def _public_origin(settings):
    settings.NEWSDESK_BASE_URL = BASE


@pytest.fixture
def site():
    """Two recent articles, an old one, a draft, a live feed, and who and what they are about."""
    now = timezone.now()
    reporter, idle = make_author("Olena Reporter"), make_author("Idle Writer")
    energy, unused = make_topic("Energy"), make_topic("Unused topic")
    recent = make_article(
        "Grid repairs & blackouts",
        authors=[reporter],
        topics=[energy],
        published_at=now - timedelta(hours=2),
        hero=False,
    )
    today = make_article("Dam inspected", published_at=now - timedelta(hours=30), hero=False)
    old = make_article("Old story", published_at=now - timedelta(hours=49), hero=False)
    draft = make_article("Draft story", publish=False, hero=False)
    feed = make_live_feed("Storm over the coast")
    post(feed, "Water levels rise")
    return {
        "articles": [recent, today, old],
        "draft": draft,
        "feed": feed,
        "author": reporter,
        "idle_author": idle,
        "topic": energy,
        "unused_topic": unused,
    }


def fetch(client, url, status=200):
    response = client.get(url)
    assert response.status_code == status, response.content[:300]
    return response


def xml_of(response):
    assert response["Content-Type"] == "application/xml; charset=utf-8"
    return ET.fromstring(response.content)


def urlset_entries(root, lastmod_required=True):
    """{loc: lastmod} of a <urlset>, checking what the sitemap XSD requires of each <url>
    (lastmod is optional there; Newsdesk gives one wherever it knows a date)."""
    assert root.tag == f"{SM}urlset"
    entries = {}
    for url in root:
        assert url.tag == f"{SM}url"
        loc = url.find(f"{SM}loc")
        assert loc is not None and loc.text.startswith(f"{BASE}/")
        assert len(loc.text) < 2048
        lastmod = url.find(f"{SM}lastmod")
        if lastmod_required or lastmod is not None:
            assert lastmod is not None and W3C_DATETIME.match(lastmod.text), loc.text
        assert loc.text not in entries, f"{loc.text} listed twice"
        entries[loc.text] = lastmod.text if lastmod is not None else None
    return entries


def test_sitemap_lists_every_public_page_with_lastmod(client, site):
    entries = urlset_entries(xml_of(fetch(client, "/sitemap.xml")))
    expected = {
        "/",
        "/news/",
        "/live/",
        *(article.url for article in site["articles"]),
        site["feed"].url,
        site["topic"].get_absolute_url(),
        # Every author with a published article (the factory gives each article one).
        *(author.get_absolute_url() for article in site["articles"] for author in article.authors),
    }
    assert site["author"].get_absolute_url() in expected
    assert set(entries) == {BASE + path for path in expected}
    # Drafts are not listed, nor authors and topics whose pages would be empty.
    assert BASE + site["idle_author"].get_absolute_url() not in entries
    assert BASE + site["unused_topic"].get_absolute_url() not in entries
    recent = site["articles"][0]
    assert (
        entries[BASE + recent.url]
        == timezone.localtime(recent.first_published_at).replace(microsecond=0).isoformat()
    )


def test_sitemap_lastmod_follows_substantive_updates(client, site):
    article = site["articles"][2]
    article.last_substantive_update = timezone.now()
    article.save_revision().publish()
    entries = urlset_entries(xml_of(fetch(client, "/sitemap.xml")))
    expected = timezone.localtime(article.last_substantive_update).replace(microsecond=0)
    assert entries[BASE + article.url] == expected.isoformat()


def test_large_sitemap_becomes_an_index_of_paged_files(client, site, monkeypatch):
    every_url = set(urlset_entries(xml_of(fetch(client, "/sitemap.xml"))))
    monkeypatch.setattr(sitemaps, "PAGE_SIZE", 2)
    index = xml_of(fetch(client, "/sitemap.xml"))
    assert index.tag == f"{SM}sitemapindex"
    files = []
    for entry in index:
        assert entry.tag == f"{SM}sitemap"
        loc = entry.find(f"{SM}loc").text
        assert loc.startswith(f"{BASE}/sitemap-")
        lastmod = entry.find(f"{SM}lastmod")
        assert lastmod is not None and W3C_DATETIME.match(lastmod.text)
        files.append(loc)
    assert f"{BASE}/sitemap-articles.xml" in files
    assert f"{BASE}/sitemap-articles.xml?p=2" in files  # three articles, two per file
    listed = {}
    for loc in files:
        parts = urlsplit(loc)
        entries = urlset_entries(
            xml_of(fetch(client, parts.path + (f"?{parts.query}" if parts.query else "")))
        )
        assert 1 <= len(entries) <= 2
        assert not set(entries) & set(listed), "a URL is in two files"
        listed |= entries
    assert set(listed) == every_url


def test_sitemap_files_that_do_not_exist_are_404(client, site, monkeypatch):
    monkeypatch.setattr(sitemaps, "PAGE_SIZE", 2)
    fetch(client, "/sitemap-articles.xml?p=3", status=404)
    fetch(client, "/sitemap-articles.xml?p=x", status=404)
    fetch(client, "/sitemap-nothing.xml", status=404)


def test_news_sitemap_has_the_last_48_hours_in_google_news_format(client, site, settings):
    settings.NEWSDESK_SITE_NAME = "Zelenobrid Courier"
    root = xml_of(fetch(client, "/news-sitemap.xml"))
    assert root.tag == f"{SM}urlset"
    recent, today, old = site["articles"]
    locs = []
    for url in root:
        loc = url.find(f"{SM}loc").text
        locs.append(loc)
        news = url.find(f"{NEWS}news")
        assert news is not None
        publication = news.find(f"{NEWS}publication")
        assert publication.find(f"{NEWS}name").text == "Zelenobrid Courier"
        assert publication.find(f"{NEWS}language").text == "en"
        published = news.find(f"{NEWS}publication_date").text
        assert re.match(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}[+-]\d{2}:\d{2}$", published)
        assert news.find(f"{NEWS}title").text
    assert locs == [BASE + recent.url, BASE + today.url]  # newest first; not the 49-hour one
    first = root.find(f"{SM}url/{NEWS}news")
    assert first.find(f"{NEWS}title").text == "Grid repairs & blackouts"
    published = first.find(f"{NEWS}publication_date").text
    assert (
        published
        == timezone.localtime(recent.first_published_at).replace(microsecond=0).isoformat()
    )


def test_news_sitemap_language_follows_the_newsroom(client, site, settings):
    settings.LANGUAGE_CODE = "uk"
    root = xml_of(fetch(client, "/news-sitemap.xml"))
    assert root.find(f"{SM}url/{NEWS}news/{NEWS}publication/{NEWS}language").text == "uk"


def test_empty_site_still_has_valid_sitemaps(client):
    # Pages made by the migrations have no publication date until an editor publishes them.
    entries = urlset_entries(xml_of(fetch(client, "/sitemap.xml")), lastmod_required=False)
    assert set(entries) == {
        f"{BASE}/",
        f"{BASE}/news/",
        f"{BASE}/live/",
    }
    assert list(xml_of(fetch(client, "/news-sitemap.xml"))) == []


def test_robots_txt(client):
    response = fetch(client, "/robots.txt")
    assert response["Content-Type"] == "text/plain; charset=utf-8"
    lines = response.content.decode().splitlines()
    assert lines[0] == "User-agent: *"
    for path in ("/admin/", "/desk/", "/api/"):
        assert f"Disallow: {path}" in lines
    assert "Allow: /" in lines
    assert not [line for line in lines if line in ("Disallow: /", "Disallow: /news/")]
    assert f"Sitemap: {BASE}/sitemap.xml" in lines
    assert f"Sitemap: {BASE}/news-sitemap.xml" in lines


@pytest.mark.parametrize(
    "url", ["/sitemap.xml", "/sitemap-articles.xml", "/news-sitemap.xml", "/robots.txt"]
)
def test_cacheable_for_a_few_minutes_and_cookie_free(client, site, url):
    response = fetch(client, url)
    assert response["Cache-Control"] == "public, max-age=300"
    assert not response.cookies
    assert "Cookie" not in response.get("Vary", "")


def test_sitemap_queries_do_not_grow_with_the_site(
    client, site, monkeypatch, django_assert_max_num_queries
):
    fetch(client, "/sitemap.xml")  # warm the site-root cache
    with django_assert_max_num_queries(12):
        fetch(client, "/sitemap.xml")
    for number in range(5):
        make_article(f"More news {number}", hero=False)
    with django_assert_max_num_queries(12):
        fetch(client, "/sitemap.xml")
    monkeypatch.setattr(sitemaps, "PAGE_SIZE", 2)
    # The index: 15, and one more per file of articles (four files of two here) for its lastmod.
    with django_assert_max_num_queries(19):
        fetch(client, "/sitemap.xml")
    with django_assert_max_num_queries(3):
        fetch(client, "/sitemap-articles.xml?p=2")
