import io

import pytest
from django.core.management import call_command

from newsdesk.articles.models import ArticlePage, Author

pytestmark = pytest.mark.django_db


def run_demo(*args):
    out = io.StringIO()
    call_command("demo", *args, stdout=out)
    return out.getvalue()


def test_demo_content_loads_once_and_renders(client):
    first = run_demo()
    assert "Demo content loaded" in first
    articles = list(ArticlePage.objects.published())
    assert len(articles) >= 6
    assert Author.objects.filter(kind=Author.Kind.DESK).exists()
    bylines = {tuple(author.pk for author in article.authors) for article in articles}
    assert len(bylines) == len(articles), "each demo article has its own byline"
    assert all(article.hero_image and article.hero_alt for article in articles)

    second = run_demo()
    assert "nothing created or changed" in second
    assert ArticlePage.objects.count() == len(articles)

    for article in articles:
        response = client.get(article.url)
        assert response.status_code == 200
        assert b"min read" in response.content
        assert b"Author:" in response.content or b"Authors:" in response.content


def test_demo_admin_credentials_are_generated_once(settings):
    first = run_demo("--with-admin")
    password_file = settings.DATA_DIR / "demo-admin-password"
    password = password_file.read_text().strip()
    assert len(password) >= 20
    assert password in first
    assert (password_file.stat().st_mode & 0o777) == 0o600
    assert password in run_demo("--with-admin")
