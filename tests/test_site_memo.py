"""Serving keeps the Site and home page in memory (newsdesk/core/sites.py): what clears it,
and that no request sees another's changes or a stale home page."""

import pytest
from bs4 import BeautifulSoup
from wagtail.models import Site

from newsdesk.articles.models import HomePage
from newsdesk.core import sites
from newsdesk.pagecache import cache
from tests.factories import make_article

pytestmark = pytest.mark.django_db


def served(client, path="/"):
    response = client.get(path)
    assert response.status_code == 200
    return response


def test_a_page_request_remembers_the_site_with_its_home_page(client):
    article = make_article("Bridge reopens")
    served(client, article.url)
    (site,) = sites._memo.values()
    assert site == Site.objects.get(is_default_site=True)
    assert isinstance(site.root_page, HomePage)


def test_publishing_the_home_page_forgets_it_and_shows_the_new_lead(client):
    chosen = make_article("Chosen lead")
    make_article("Newer story")
    served(client)
    assert sites._memo
    home = HomePage.objects.get()
    home.lead_article = chosen
    home.save_revision().publish()
    assert not sites._memo
    page = BeautifulSoup(served(client).content, "html.parser")
    assert "Chosen lead" in page.select_one(".home-lead").get_text()


def test_publishing_an_article_keeps_it(client):
    article = make_article("First story")
    served(client, article.url)
    make_article("Second story")
    assert sites._memo


def test_a_site_change_forgets_it(client):
    served(client)
    site = Site.objects.get(is_default_site=True)
    site.site_name = "Renamed"
    site.save()
    assert not sites._memo


def test_another_process_announcing_a_home_page_change_forgets_it(client):
    # What every process runs when a committed invalidation reaches it (pagecache/cache.py).
    served(client)
    cache.drop({"articles"})
    assert sites._memo
    cache.drop({f"page:{HomePage.objects.get().pk}"})
    assert not sites._memo


def test_a_request_changes_only_its_own_copy(client):
    article = make_article("Copied story")
    served(client, article.url)
    (site,) = sites._memo.values()
    before = dict(site.root_page.__dict__)
    served(client, article.url)
    served(client)
    assert site.root_page.__dict__.keys() == before.keys()


def test_nothing_is_kept_when_the_page_cache_is_off(client, settings):
    # Without the cache's announcements other processes would never hear of a change.
    settings.NEWSDESK_CACHE = False
    served(client)
    assert not sites._memo
