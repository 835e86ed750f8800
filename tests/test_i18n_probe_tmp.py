import pytest
from django.utils import translation
from tests.factories import make_article

pytestmark = pytest.mark.django_db

def test_probe(client, settings):
    settings.LANGUAGE_CODE = "uk"
    article = make_article()
    r = client.get(article.url)
    print("status", r.status_code)
    from wagtail.models import Locale
    print(list(Locale.objects.values_list("language_code", flat=True)), article.locale)
