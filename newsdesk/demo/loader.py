"""Put the demo newsroom (newsdesk.demo.content) into the database, and keep it there.

Loading is idempotent: topics, authors and articles are found by slug and images by title, and
anything that already exists is left exactly as it is, even if an editor has changed it since.
So a second load creates nothing and changes nothing, and deleting an article and loading
again brings back just that article. The live feed (newsdesk.demo.live_content) is found by
slug too, and is created whole, with all its updates, or not at all.
"""

import html
import io
import sys
from collections import Counter
from datetime import datetime, time, timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db import transaction
from django.utils import timezone
from wagtail.models import Site

from newsdesk.accounts import mfa
from newsdesk.accounts.roles import ADMINISTRATORS
from newsdesk.articles.models import (
    ArticleAuthor,
    ArticleCorrection,
    ArticlePage,
    Author,
    NewsIndexPage,
    Topic,
)
from newsdesk.core.secret import private_token, write_private
from newsdesk.core.sites import ensure_site
from newsdesk.demo import content, live_content
from newsdesk.demo import sources as demo_sources
from newsdesk.demo.images import draw_portrait, draw_scene, ensure_image
from newsdesk.live.actions import correct_update, edit_update, post_update, set_what_we_know
from newsdesk.live.models import LiveFeedPage, LiveIndexPage, LiveUpdateChange, Verification
from newsdesk.live.text import paragraphs
from newsdesk.pagecache import actions as pagecache

ADMIN_USERNAME = "admin"
ADMIN_LOGIN_FILE = "demo-admin-password"
ADMIN_OTPAUTH_FILE = "demo-admin-otpauth"
"""The two-step secret's provisioning URI (otpauth://), beside the password file."""


class Report:
    """Writes one line per created object and counts them for the summary."""

    def __init__(self, stdout):
        self.stdout = stdout or sys.stdout
        self.created = Counter(
            {
                "topic": 0,
                "author": 0,
                "image": 0,
                "article": 0,
                "live feed": 0,
                "live update": 0,
                "source": 0,
            }
        )
        self.files = []

    def __call__(self, kind, label):
        self.created[kind] += 1
        self.write(f"Created {kind}: {label}")

    def write(self, line):
        self.stdout.write(line + "\n")


def load_demo(stdout=None):
    """Create whatever demo content is missing; returns the number created of each kind."""
    report = Report(stdout)
    now = timezone.now().replace(second=0, microsecond=0)
    try:
        with transaction.atomic():
            load_all(report, now)
    except BaseException:
        # A rollback keeps no rows, but files already written to storage stay; remove them.
        for file in report.files:
            file.storage.delete(file.name)
        raise
    summary = dict(report.created)
    if any(summary.values()):
        counts = ", ".join(f"{count} {kind}(s)" for kind, count in summary.items())
        report.write(f"Demo content loaded: created {counts}.")
    else:
        report.write("Demo content already loaded: nothing created or changed.")
    return summary


def load_all(report, now):
    topics = {item["slug"]: ensure_topic(item, report) for item in content.TOPICS}
    authors = {
        item["slug"]: ensure_author(item, seed, report) for seed, item in enumerate(content.AUTHORS)
    }
    # The feed first: an article shows it under its footer, as on the reference page.
    feed = ensure_live_feed(live_content.FEED, live_content.TIMELINE, authors, now, report)
    feeds = {feed.slug: feed}
    news = NewsIndexPage.objects.get(slug="news")
    for item in content.ARTICLES:
        ensure_article(news, item, authors, topics, feeds, now, report)
    # Sources fed by the site's own demo feeds: the desk's Incoming column fills as it runs.
    demo_sources.ensure_sources(settings.NEWSDESK_BASE_URL, report)


def ensure_topic(item, report):
    topic, created = Topic.objects.get_or_create(slug=item["slug"], defaults=item)
    if created:
        report("topic", topic.name)
    return topic


def ensure_author(item, seed, report):
    author = Author.objects.filter(slug=item["slug"]).first()
    if author is not None:
        return author
    photo = None
    if item.get("kind", Author.Kind.PERSON) == Author.Kind.PERSON:
        photo = demo_image(
            f"Portrait of {item['name']} (demo illustration)",
            lambda: draw_portrait(item["name"], seed),
            f"The initials of {item['name']} on a colored square.",
            report,
        )
    author = Author.objects.create(**item, photo=photo)
    report("author", author.name)
    return author


def demo_image(title, draw, alt, report):
    image, created = ensure_image(title, draw, alt, content.DEMO_CREDIT)
    if created:
        report.files.append(image.file)
        report("image", title)
    return image


def scene_image(picture, report):
    return demo_image(
        picture["title"],
        lambda: draw_scene(picture["scene"], picture["palette"], picture["seed"]),
        picture["alt"],
        report,
    )


def publication_time(when, now):
    """An offset from content.py as a moment: hours before now, or a local clock time."""
    if "hours_ago" in when:
        return now - timedelta(hours=when["hours_ago"])
    day = timezone.localdate(now) - timedelta(days=when["days_ago"])
    hour, minute = (int(part) for part in when["time"].split(":"))
    # make_aware uses the newsroom's zone, so "00:17" is just after midnight where it is read.
    return timezone.make_aware(datetime.combine(day, time(hour, minute)))


def body_block(kind, value, report):
    if kind == "paragraph":
        return ("paragraph", f"<p>{html.escape(value, quote=False)}</p>")
    if kind == "image":
        return ("image", image_value(value, report))
    return (kind, value)


def image_value(picture, report):
    return {
        "image": scene_image(picture, report),
        "alt": picture["alt"],
        "caption": picture["caption"],
        "credit": content.DEMO_CREDIT,
    }


def ensure_article(news, item, authors, topics, feeds, now, report):
    if ArticlePage.objects.child_of(news).filter(slug=item["slug"]).exists():
        return
    published = publication_time(item["published"], now)
    page = build_article(item, published, report)
    page.byline = [ArticleAuthor(author=authors[slug]) for slug in item["authors"]]
    page.corrections = [
        ArticleCorrection(
            published_at=published + timedelta(hours=note["hours_after"]), text=note["text"]
        )
        for note in item.get("corrections", [])
    ]
    page.topics.set([topics[slug] for slug in item["topics"]])
    page.live_feed = feeds.get(item.get("live_feed"))
    news.add_child(instance=page)
    page.save_revision().publish()
    check_published_at(page, published)
    report("article", page.title)


def build_article(item, published, report):
    hero = item["hero"]
    updated = item.get("updated_hours_after")
    return ArticlePage(
        title=item["headline"],
        slug=item["slug"],
        standfirst=item["standfirst"],
        hero_image=scene_image(hero, report),
        hero_alt=hero["alt"],
        hero_caption=hero["caption"],
        hero_credit=content.DEMO_CREDIT,
        body=[body_block(kind, value, report) for kind, value in item["body"]],
        first_published_at=published,
        last_substantive_update=published + timedelta(hours=updated) if updated else None,
        # A draft until the revision is published, as when an editor creates it in the admin.
        live=False,
    )


def check_published_at(page, published):
    # Publishing only fills first_published_at when it is empty; make sure it stayed ours.
    page.refresh_from_db(fields=["first_published_at", "live"])
    if page.first_published_at != published or not page.live:
        raise RuntimeError(f"Publishing {page.slug!r} did not keep its publication time.")


def storm_clock(timeline, now):
    """A function from a timeline's ("evening" | "morning", "HH:MM") to a moment.

    The morning is the latest local day whose last update is at least 20 minutes before now,
    so the feed always spans local midnight and its last update is at most about a day old.
    """
    last_clock = max(clock(entry["at"][1]) for entry in timeline if entry["at"][0] == "morning")
    morning = timezone.localdate(now)
    if local_moment(morning, last_clock) > now - timedelta(minutes=20):
        morning -= timedelta(days=1)
    days = {"evening": morning - timedelta(days=1), "morning": morning}
    return lambda at: local_moment(days[at[0]], clock(at[1]))


def clock(text):
    hour, minute = (int(part) for part in text.split(":"))
    return time(hour, minute)


def local_moment(day, clock_time):
    return timezone.make_aware(datetime.combine(day, clock_time))


def update_fields(entry, published, authors):
    fields = {
        "headline": entry["headline"],
        "body": plain_paragraphs(entry["body"]),
        "published_at": published,
        "source_name": entry["source_name"],
        "source_channel": entry.get("source_channel", ""),
        "source_url": entry.get("source_url", ""),
        "verification": entry["verification"],
        "is_key_event": entry.get("key_event", False),
        "is_pinned": entry.get("pinned", False),
        "authors": [authors[slug] for slug in entry["authors"]],
    }
    if "source_time_minutes_before" in entry:
        fields["source_time"] = published - timedelta(minutes=entry["source_time_minutes_before"])
    return fields


def plain_paragraphs(texts):
    return paragraphs("\n\n".join(texts))


def ensure_live_feed(item, timeline, authors, now, report):
    """The demo live feed with its updates, posted oldest first as a live desk would."""
    index = LiveIndexPage.objects.get()
    existing = LiveFeedPage.objects.child_of(index).filter(slug=item["slug"]).first()
    if existing is not None:
        return existing
    moment = storm_clock(timeline, now)
    start = moment(timeline[0]["at"])
    feed = LiveFeedPage(
        title=item["title"],
        slug=item["slug"],
        summary=item["summary"],
        status=LiveFeedPage.Status.LIVE,
        coverage_start=start,
        first_published_at=start,
        live=False,
    )
    index.add_child(instance=feed)
    feed.save_revision().publish()
    report("live feed", feed.title)
    posted = {}
    for entry in timeline:
        at = moment(entry["at"])
        if "key" in entry:
            update = post_update(feed, **update_fields(entry, at, authors))
            posted[entry["key"]] = update
            report.created["live update"] += 1
        elif "retract" in entry:
            update = posted[entry["retract"]]
            edit_update(
                update,
                verification=Verification.RETRACTED,
                body=plain_paragraphs([entry["note"]]) + update.body,
            )
        else:
            update = posted[entry["correct"]]
            correct_update(
                update,
                text=entry["text"],
                headline=entry["headline"],
                body=plain_paragraphs(entry["body"]),
            )
            update.corrections.update(published_at=at)
        # The history says when the desk made the change, not when the demo was loaded.
        LiveUpdateChange.objects.filter(update=update, sequence=update.sequence).update(at=at)
    # The desk's summary, dated like the last update it sums up.
    feed = set_what_we_know(feed, item["what_we_know"])
    LiveFeedPage.objects.filter(pk=feed.pk).update(what_we_know_at=moment(timeline[-1]["at"]))
    # Those queryset updates sent no signal: the pages that show the feed are refreshed here.
    pagecache.refresh_page(feed)
    report.write(f"Created {report.created['live update']} live update(s) in {feed.title!r}")
    return feed


def configure_site(stdout=None):
    """Point the default Wagtail site at NEWSDESK_BASE_URL; True if anything changed.

    core.sites does the work (it also runs after every migrate); this only reports it.
    """
    before = site_address()
    ensure_site()
    after = site_address()
    if after != before:
        hostname, port, name = after
        (stdout or sys.stdout).write(f"Updated site: {hostname}:{port}, named {name!r}\n")
    return after != before


def site_address():
    return (
        Site.objects.filter(is_default_site=True)
        .values_list("hostname", "port", "site_name")
        .first()
    )


def admin_password():
    """The demo admin's password, generated once and kept in DATA_DIR (mode 0600)."""
    return private_token(settings.DATA_DIR / ADMIN_LOGIN_FILE, 24)


@transaction.atomic
def ensure_admin(stdout=None, *, show_login=True):
    """Make sure the superuser "admin" exists, is an Administrator and has a two-step device.

    Prints how to sign in (login_details), or with show_login=False a line saying where the
    details are: `newsdesk serve --demo-admin` prints them once the site is up instead.
    """
    out = stdout or sys.stdout
    user_model = get_user_model()
    user = user_model.objects.filter(username=ADMIN_USERNAME).first()
    if user is None:
        user = user_model.objects.create_superuser(ADMIN_USERNAME, "", admin_password())
        out.write(f"Created superuser: {ADMIN_USERNAME}\n")
    elif not (user.is_superuser and user.is_staff and user.is_active):
        user.is_superuser = user.is_staff = user.is_active = True
        user.save(update_fields=["is_superuser", "is_staff", "is_active"])
        out.write(f"Made {ADMIN_USERNAME} an active superuser\n")
    group = Group.objects.get(name=ADMINISTRATORS)
    if not user.groups.filter(pk=group.pk).exists():
        user.groups.add(group)
        out.write(f"Added {ADMIN_USERNAME} to {ADMINISTRATORS}\n")
    enrol_admin_mfa(user)
    if show_login:
        out.write(login_details())
    else:
        out.write(
            f"Admin account {ADMIN_USERNAME!r} ready: its sign-in details follow once the site "
            f"is up (kept in {settings.DATA_DIR}: {ADMIN_LOGIN_FILE}, {ADMIN_OTPAUTH_FILE}).\n"
        )


def enrol_admin_mfa(user):
    """Administrators need two-step sign-in, the demo's too: give it an authenticator secret
    (once), and keep its provisioning URI beside the password so it can be found again."""
    device = mfa.totp_device(user)
    if device is None:
        device = mfa.pending_device(user)
        device.confirmed = True
        device.save(update_fields=["confirmed"])
    path = settings.DATA_DIR / ADMIN_OTPAUTH_FILE
    if not path.exists() or path.read_text().strip() != device.config_url:
        write_private(path, device.config_url + "\n")
    return device


def login_details():
    """How to sign in as the demo admin, as one block that ends with the user name, the
    password and the two-step secret (a QR code for a phone above them)."""
    import segno

    user = get_user_model().objects.get(username=ADMIN_USERNAME)
    device = mfa.totp_device(user)
    qr = io.StringIO()
    segno.make(device.config_url, error="m").terminal(out=qr, compact=True)
    rule = "=" * 78
    lines = [
        "",
        rule,
        "Two-step sign-in: scan this code with an authenticator app (FreeOTP, Aegis,",
        "Google Authenticator...), or type the secret below into it.",
        qr.getvalue().rstrip("\n"),
        f"  Site:        {settings.NEWSDESK_BASE_URL}/",
        f"  Admin:       {settings.NEWSDESK_BASE_URL}/admin/",
        f"  User name:   {ADMIN_USERNAME}",
        f"  Password:    {known_password(user)}",
        f"  Secret:      {mfa.secret_of(device)}",
        f"  Setup link:  {device.config_url}",
        f"  Kept in {settings.DATA_DIR}: {ADMIN_LOGIN_FILE}, {ADMIN_OTPAUTH_FILE} (yours only).",
        "  Sign in with the user name and password, then the six-digit code the app shows.",
        rule,
        "",
    ]
    return "\n".join(lines)


def known_password(user):
    # An admin made elsewhere keeps its own password: the demo never overwrites one.
    path = settings.DATA_DIR / ADMIN_LOGIN_FILE
    password = path.read_text().strip() if path.exists() else ""
    if password and user.check_password(password):
        return password
    return f"(not set by the demo; run `newsdesk changepassword {ADMIN_USERNAME}`)"
