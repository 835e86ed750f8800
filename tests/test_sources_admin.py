"""Sources in the Wagtail admin: the status row in plain words, and who may change what."""

from datetime import timedelta

import pytest
from django.utils import timezone

from newsdesk.accounts.roles import CONTRIBUTORS, EDITORS
from newsdesk.sources.models import Source
from tests.factories import ensure_site_structure, make_source

pytestmark = pytest.mark.django_db
LIST = "/admin/snippets/sources/source/"


@pytest.fixture(autouse=True)
def _roles():
    ensure_site_structure()


def test_editors_read_the_status_row_in_plain_words(client_for):
    now = timezone.now()
    make_source(
        name="Oblast administration",
        kind="telegram",
        url="https://t.me/s/oblast_admin_example",
        last_fetch_at=now - timedelta(minutes=40),
        last_new_item_at=now - timedelta(hours=5),
        last_error="The server answered 503 Service Unavailable.",
        last_error_at=now - timedelta(minutes=40),
        failures=2,
        next_fetch_at=now + timedelta(hours=4),
    )
    client, _ = client_for(EDITORS)
    page = client.get(LIST).content.decode()
    assert "Oblast administration" in page
    assert "Fetched 40 min ago." in page
    assert "Last new item 5 h ago." in page
    assert "Error 40 min ago: The server answered 503 Service Unavailable." in page
    assert "Failed 2 times in a row; next try in 4 h." in page


def test_editors_add_sources_and_contributors_only_read_them(client_for):
    editor, _ = client_for(EDITORS)
    answer = editor.post(
        f"{LIST}add/",
        {
            "name": "Water authority",
            "kind": "rss",
            "url": "https://water.example.org/feed.xml",
            "folder": "",
            "interval": "120",
            "language": "en",
            "verification": "official",
            "enabled": "on",
        },
    )
    assert answer.status_code == 302
    source = Source.objects.get(name="Water authority")
    assert (source.verification, source.allow_private) == ("official", False)

    contributor, _ = client_for(CONTRIBUTORS)
    assert "Water authority" in contributor.get(LIST).content.decode()
    assert contributor.get(f"{LIST}add/").status_code in (302, 403)
    assert contributor.post(f"{LIST}delete/{source.pk}/").status_code in (302, 403)
    assert Source.objects.filter(pk=source.pk).exists()


def test_a_source_without_its_address_is_refused_in_the_form(client_for):
    editor, _ = client_for(EDITORS)
    answer = editor.post(
        f"{LIST}add/",
        {"name": "Wire", "kind": "ninjs", "url": "", "folder": "", "interval": "60",
         "language": "en", "verification": "unverified", "enabled": "on"},
    )  # fmt: skip
    assert answer.status_code == 200
    assert "This kind of source needs an address." in answer.content.decode()
    assert not Source.objects.exists()
