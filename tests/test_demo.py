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
    # The two-step secret's provisioning URI is kept beside the password, to be found again.
    from django_otp.plugins.otp_totp.models import TOTPDevice

    otpauth = settings.DATA_DIR / "demo-admin-otpauth"
    assert otpauth.read_text().strip() == TOTPDevice.objects.get(user__username="admin").config_url
    assert (otpauth.stat().st_mode & 0o777) == 0o600
    # The block ends with what is typed: user name, password, secret, where they are kept.
    tail = first.rstrip().splitlines()[-8:]
    assert tail[0].endswith("/admin/") and tail[1].endswith("admin") and password in tail[2]


def test_demo_live_feed_spans_a_night_and_is_linked_from_home(client):
    from django.utils import timezone

    from newsdesk.live.models import LiveFeedPage, LiveUpdate, LiveUpdateCorrection

    run_demo()
    feed = LiveFeedPage.objects.live().get(slug="zelenobrid-storm")
    assert feed.is_live
    visible = list(LiveUpdate.objects.filter(feed=feed).visible().order_by("sequence"))
    assert len(visible) >= 20
    local_days = {timezone.localdate(update.published_at) for update in visible}
    assert len(local_days) >= 2, "the night crosses local midnight"
    assert max(update.published_at for update in visible) < timezone.now()
    assert sum(update.is_key_event for update in visible) >= 3
    assert sum(update.is_pinned for update in visible) == 1
    assert all(update.source_name and update.authors.exists() for update in visible)
    verifications = [update.verification for update in visible]
    assert set(verifications) == {"confirmed", "official", "unverified", "disputed", "retracted"}
    assert verifications.count("retracted") == 1
    assert LiveUpdateCorrection.objects.filter(update__feed=feed).count() == 1
    posts = [update for update in visible if not update.changes.exclude(action="post").exists()]
    assert [u.published_at for u in posts] == sorted(u.published_at for u in posts)

    home = client.get("/")
    assert home.status_code == 200
    assert f'href="{feed.url}"'.encode() in home.content
    page = client.get(feed.url)
    assert page.status_code == 200
    assert b"Where to find shelter" in page.content
    # The flood story shows the feed under its footer, as the reference page does.
    story = ArticlePage.objects.get(slug="brid-river-rises")
    assert story.live_feed_id == feed.pk
    block = client.get(story.url).content.decode().split('class="article-live"', 1)[1]
    latest = max((u for u in visible if not u.is_pinned), key=lambda u: u.published_at)
    assert latest.headline in block and f'href="{feed.url}"' in block
    assert "Where to find shelter" not in block  # the pinned update stays on the feed's page

    assert "nothing created or changed" in run_demo()
    assert LiveFeedPage.objects.filter(slug="zelenobrid-storm").count() == 1
    assert LiveUpdate.objects.filter(feed=feed).count() == len(visible)


def test_demo_loads_into_buckets(s3_media, client, settings):
    """The demo's images go through storage only: originals private, renditions public."""
    from wagtail.images import get_image_model

    settings.MEDIA_URL = s3_media.public_url
    run_demo()
    originals = {image.file.name for image in get_image_model().objects.all()}
    assert originals and originals <= set(s3_media.objects(private=True))
    home = client.get("/").content.decode()
    public = [name for name in s3_media.objects() if s3_media.public_url + name in home]
    assert public, "the home page shows renditions from the bucket"
    assert s3_media.anonymous_get(public[0])[0] == 200


def test_demo_sources_feed_the_desk_from_the_site_itself(client, settings):
    """`make demo` serves three small feeds of its own; fetched through the real parsers and
    store, they give items, a new one each period, and the agency's second versions."""
    from datetime import UTC, datetime, timedelta

    from newsdesk.demo import sources as demo_sources
    from newsdesk.sources import parsers
    from newsdesk.sources.models import AlertRule, Item, Source
    from newsdesk.sources.store import store

    assert "Created source: Zelenobrid News Agency wire (demo)" in run_demo()
    assert Source.objects.count() == 3
    assert AlertRule.objects.filter(words="evacuat", sound=True).exists()
    wire = Source.objects.get(kind="ninjs")
    assert wire.url == f"{settings.NEWSDESK_BASE_URL}/demo/sources/agency-wire.json"
    assert wire.allow_private

    settings.DEBUG = False
    assert client.get("/demo/sources/agency-wire.json").status_code == 404
    settings.DEBUG = True
    response = client.get("/demo/sources/oblast-administration.xml")
    assert response.status_code == 200 and response["Content-Type"].startswith("application/rss")
    assert client.get("/demo/sources/nothing.json").status_code == 404

    now = datetime(2026, 3, 2, 21, 0, tzinfo=UTC)
    for source in Source.objects.all():
        spec = demo_sources.BY_SLUG[source.url.rsplit("/", 1)[1]]
        first = store(source, parsers.parse(source.kind, demo_sources.feed(spec["slug"], now)[0]))
        assert len(first.new) == demo_sources.LISTED and not first.refused
        later = now + timedelta(seconds=spec["period"])
        second = store(
            source, parsers.parse(source.kind, demo_sources.feed(spec["slug"], later)[0])
        )
        assert len(second.new) == 1
        # The wire sends version 2 of the item it sent one period before.
        assert len(second.changed) == (1 if source.kind == "ninjs" else 0)
    assert Item.objects.filter(source=wire, version_count=2).count() == 1
