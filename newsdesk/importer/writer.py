"""Imported stories written into Newsdesk: articles, authors, topics, images, redirects and
live feeds. One file is one transaction: it is written whole or not at all.

Idempotence: each story has a stable source key (its URL, or for page dumps a hash of
headline and date) kept on an ImportRecord with a hash of what the article shows. Importing an
unchanged source again reports every object "unchanged" and writes nothing; a changed source
becomes a new revision of the same page. Authors and topics are found by name, live feeds by
slug, live updates by the entry they came from (or, failing that, by time and headline, so two
dumps of the same day that show the same entries do not post them twice).
"""

from __future__ import annotations

import hashlib
import re
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, tzinfo
from itertools import chain
from pathlib import Path

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.text import slugify
from wagtail.contrib.redirects.models import Redirect

from newsdesk.articles.models import ArticleAuthor, ArticlePage, Author, NewsIndexPage, Topic
from newsdesk.importer import images
from newsdesk.importer.data import SourceError, Story
from newsdesk.importer.models import ImportRecord
from newsdesk.importer.textdump import MONTH_NAMES
from newsdesk.live.actions import edit_update, post_update
from newsdesk.live.models import LiveFeedPage, LiveIndexPage, LiveUpdate
from newsdesk.pagecache import actions as pagecache

DESK_NAME = re.compile(r"\b(desk|team|staff|newsroom|bureau|editors|editorial)\b", re.IGNORECASE)
"""Names that make an author a collective byline ("Zelenobrid news desk", "Data team")."""


@dataclass(frozen=True)
class Options:
    zone: tzinfo = UTC  # the newsroom's zone: names the default live feed's day
    publish: bool = False
    live_feed: str = ""
    fetch_images: bool = False
    allowed_image_hosts: frozenset[str] = frozenset()


@dataclass
class Report:
    """What one file did: a line per object, warnings, counts by action."""

    lines: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    counts: Counter[str] = field(default_factory=Counter)
    files: list = field(default_factory=list)  # stored image files, removed on rollback
    seen: set[tuple[str, str]] = field(default_factory=set)

    def object(self, action: str, kind: str, path: str) -> None:
        if (kind, path) in self.seen and action == "unchanged":
            return  # an author or feed shared by several stories is reported once
        self.seen.add((kind, path))
        self.lines.append(f"{action} {kind} {path}")
        self.counts[action] += 1

    def warn(self, message: str) -> None:
        self.warnings.append(message)


def write_stories(
    stories: list[Story], options: Options, *, source: str, base_dir: Path, dry_run: bool
) -> Report:
    """Write every story of one file in one transaction; roll it back for a dry run.

    Raises SourceError (with the story's or entry's line) when the file cannot be written;
    nothing of it is then kept.
    """
    report = Report()
    writer = _Writer(options, report, source, base_dir)
    try:
        with transaction.atomic():
            for story in stories:
                writer.story(story)
            if dry_run:
                transaction.set_rollback(True)
    except BaseException:
        _remove_files(report)
        raise
    if dry_run:
        _remove_files(report)
    return report


def _remove_files(report: Report) -> None:
    # A rollback keeps no rows, but files already in storage stay; remove them.
    for file in report.files:
        file.storage.delete(file.name)


def page_path(page) -> str:
    parts = page.get_url_parts()
    return parts[2] if parts and parts[2] else page.url_path


class _Writer:
    def __init__(self, options: Options, report: Report, source: str, base_dir: Path) -> None:
        self.options = options
        self.report = report
        self.source = source
        self.base_dir = base_dir

    def story(self, story: Story) -> None:
        try:
            self._story(story)
        except ValidationError as error:
            raise SourceError(_validation_message(error), story.line) from error

    def _story(self, story: Story) -> None:
        publish = self.options.publish and story.publish is not False
        record = ImportRecord.objects.filter(source_key=story.source_key).first()
        page = record.page.specific if record and record.page else None
        content_hash = self.content_hash(story)
        authors = [self.author(name) for name in story.authors]
        topics = [self.topic(name) for name in story.topics]
        # The feed first, so the article can show it, as the source page did.
        feed = self.feed_for(story, publish) if story.entries else None
        if page is None:
            page = self.create_article(story, authors, topics, feed, publish)
        elif record.content_hash != content_hash or (publish and not page.live):
            page = self.update_article(page, story, authors, topics, feed, publish)
        else:
            self.report.object("unchanged", "article", page_path(page))
        for url in story.old_urls:
            self.redirect(url, page)
        record = record or ImportRecord(source_key=story.source_key)
        before = _record_state(record)
        record.format, record.content_hash, record.page = story.format, content_hash, page
        record.source = self.source[:500]
        if feed is not None:
            self.live_updates(feed, story, record, publish)
        if record.pk is None or _record_state(record) != before:
            record.save()  # an unchanged source writes nothing at all
        self.check(story, page)

    def content_hash(self, story: Story) -> str:
        fetched = bool(self.options.fetch_images and story.image)
        return hashlib.sha256(f"{story.content_hash()}|images={fetched}".encode()).hexdigest()

    # --- authors and topics ------------------------------------------------------------------
    def author(self, name: str) -> Author:
        author = Author.objects.filter(name__iexact=name).first()
        if author is None:
            kind = Author.Kind.DESK if DESK_NAME.search(name) else Author.Kind.PERSON
            slug = _unique_slug(Author.objects.all(), name, "author", 110)
            author = Author.objects.create(name=name, slug=slug, kind=kind)
            self.report.object("created", "author", author.get_absolute_url())
        else:
            self.report.object("unchanged", "author", author.get_absolute_url())
        return author

    def topic(self, name: str) -> Topic:
        slug = slugify(name, allow_unicode=True)[:110] or "topic"
        topic = Topic.objects.filter(name__iexact=name).first()
        topic = topic or Topic.objects.filter(slug=slug).first()
        if topic is None:
            topic = Topic.objects.create(
                name=name[:120], slug=_unique_slug(Topic.objects.all(), name, "topic", 110)
            )
            self.report.object("created", "topic", topic.get_absolute_url())
        else:
            self.report.object("unchanged", "topic", topic.get_absolute_url())
        return topic

    # --- articles --------------------------------------------------------------------------
    def create_article(self, story, authors, topics, feed, publish) -> ArticlePage:
        news = NewsIndexPage.objects.first()
        if news is None:
            raise SourceError("there is no news index page (/news/) to put articles under")
        siblings = news.get_children()  # Wagtail wants slugs unique among all sibling pages
        page = ArticlePage(
            slug=_unique_slug(siblings, story.slug or story.headline, "article", 80),
            first_published_at=story.published,
            live=False,
        )
        self.fill(page, story, authors, topics, feed)
        news.add_child(instance=page)
        revision = page.save_revision()
        if publish:
            revision.publish()
        self.report.object("created", "article", page_path(page))
        return page

    def update_article(self, page, story, authors, topics, feed, publish) -> ArticlePage:
        draft = page.get_latest_revision_as_object()
        self.fill(draft, story, authors, topics, feed)
        revision = draft.save_revision()
        if publish:
            revision.publish()
        if page.first_published_at != story.published:
            # Publishing keeps the stored first publication time; the source's date wins.
            # A queryset update sends no signal: the pages showing the date are refreshed here.
            ArticlePage.objects.filter(pk=page.pk).update(first_published_at=story.published)
            pagecache.refresh_page(page)
        self.report.object("updated", "article", page_path(page))
        return draft

    def fill(self, page: ArticlePage, story: Story, authors, topics, feed) -> None:
        page.title = story.headline
        page.standfirst = story.standfirst[:400]
        page.body = list(story.body)
        page.hero_caption = story.caption[:500]
        page.hero_credit = story.credit[:255]
        # The page shows the reading time the source showed (None: counted from the text).
        page.reading_minutes_override = story.minutes
        page.live_feed = feed
        page.byline = [
            ArticleAuthor(author=author, sort_order=position)
            for position, author in enumerate(authors)
        ]
        page.topics.set(topics)
        image = self.image(story) if story.image and self.options.fetch_images else None
        if image is not None:
            page.hero_image = image
            page.hero_alt = (story.image.alt or story.caption or story.headline)[:300]

    def image(self, story: Story):
        try:
            data, name = images.read_image(
                story.image, self.base_dir, self.options.allowed_image_hosts
            )
            image, created = images.save_image(
                data, name, title=story.headline, alt=story.image.alt, credit=story.credit
            )
        except images.ImageSkipped as skipped:
            self.report.warn(f"image skipped: {skipped}")
            return None
        if created:
            self.report.files.append(image.file)
        self.report.object("created" if created else "unchanged", "image", image.file.url)
        return image

    def redirect(self, url: str, page: ArticlePage) -> None:
        old_path = Redirect.normalise_path(url)
        if old_path in {"", "/"} or old_path == Redirect.normalise_path(page_path(page)):
            return
        redirect = Redirect.objects.filter(old_path=old_path, site=None).first()
        if redirect is None:
            Redirect.objects.create(old_path=old_path, redirect_page=page, is_permanent=True)
            self.report.object("created", "redirect", old_path)
        elif redirect.redirect_page_id != page.pk:
            redirect.redirect_page, redirect.redirect_link = page, ""
            redirect.save()
            self.report.object("updated", "redirect", old_path)
        else:
            self.report.object("unchanged", "redirect", old_path)

    def check(self, story: Story, page: ArticlePage) -> None:
        """Warn where the page will not show what the source showed."""
        if story.footer_author:
            names = {name.casefold() for name in story.authors}
            missing = [
                name
                for name in re.split(r"\s*,\s*(?:and\s+)?|\s+and\s+", story.footer_author)
                if name.casefold() not in names
            ]
            if missing:
                self.report.warn(
                    f"{story.headline!r}: 'Author: {story.footer_author}' names "
                    f"{', '.join(missing)}, who is not in the byline; the page shows the byline"
                )
        if story.caption and not page.hero_image_id:
            self.report.warn(
                f"{story.headline!r}: no photo imported; the page shows the caption on its own"
            )

    # --- live feeds --------------------------------------------------------------------------
    def feed_for(self, story: Story, publish: bool) -> LiveFeedPage:
        oldest, newest = story.entries[-1].published, story.entries[0].published
        day = story.published.astimezone(self.options.zone).date()
        slug = self.options.live_feed or f"live-{day.isoformat()}"
        return self.feed(slug, day, oldest, newest, publish)

    def live_updates(
        self, feed: LiveFeedPage, story: Story, record: ImportRecord, publish: bool
    ) -> None:
        record.feed = feed
        known = dict(record.live_updates)
        existing = _ExistingUpdates(feed, known, story.entries)
        seen: Counter[str] = Counter()
        for entry in reversed(story.entries):  # oldest first, as a desk would have posted
            stamp = entry.published.isoformat()
            key = f"{stamp}#{seen[stamp]}"
            seen[stamp] += 1
            try:
                update = self.live_update(
                    feed, entry, existing.find(known.get(key), entry), publish
                )
            except ValidationError as error:
                raise SourceError(_validation_message(error), entry.line) from error
            known[key] = update.pk
        record.live_updates = known

    def feed(self, slug, day, oldest, newest, publish) -> LiveFeedPage:
        index = LiveIndexPage.objects.first()
        if index is None:
            raise SourceError("there is no live index page (/live/) to put live feeds under")
        feed = LiveFeedPage.objects.child_of(index).filter(slug=slug).first()
        if feed is None:
            # Imported coverage is history: the feed is created as ended, not running.
            feed = LiveFeedPage(
                title=f"Live updates: {MONTH_NAMES[day.month - 1]} {day.day}, {day.year}",
                slug=slug,
                status=LiveFeedPage.Status.ENDED,
                coverage_start=oldest,
                coverage_end=newest,
                first_published_at=oldest,
                live=False,
            )
            index.add_child(instance=feed)
            revision = feed.save_revision()
            if publish:
                revision.publish()
            self.report.object("created", "live feed", page_path(feed))
        elif publish and not feed.live:
            feed.get_latest_revision_as_object().save_revision().publish()
            self.report.object("updated", "live feed", page_path(feed))
        else:
            self.report.object("unchanged", "live feed", page_path(feed))
        return feed

    def live_update(self, feed, entry, update: LiveUpdate | None, publish) -> LiveUpdate:
        if update is None:
            update = post_update(
                feed,
                headline=entry.headline,
                body=entry.body,
                published_at=entry.published,
                publish=publish,
            )
            self.report.object("created", "live update", update.get_absolute_url())
            return update
        changes = {
            name: value
            for name, value in [
                ("headline", entry.headline),
                ("body", entry.body),
                ("published_at", entry.published),
            ]
            if getattr(update, name) != value
        }
        if publish and not update.is_published:
            changes["is_published"] = True
        if changes and not update.is_deleted:  # an editor's deletion stands
            edit_update(update, **changes)
            self.report.object("updated", "live update", update.get_absolute_url())
        else:
            self.report.object("unchanged", "live update", update.get_absolute_url())
        return update


class _ExistingUpdates:
    """The feed's updates that a dump's entries may already have made, read in two queries
    for the whole dump rather than two per entry: re-importing a feed of N entries costs the
    same few queries for any N.

    An entry finds the update recorded for it, or else (an entry first seen in another dump
    of the same day) one at the same time with the same headline that no other entry of
    this import has taken, so two identical entries of one dump stay two updates.
    """

    def __init__(self, feed: LiveFeedPage, known: dict[str, int], entries) -> None:
        updates = LiveUpdate.objects.filter(feed=feed)
        self.by_pk = updates.in_bulk(list(known.values()))
        self.by_moment: dict[tuple, list[LiveUpdate]] = {}
        moments = {entry.published for entry in entries}
        for update in updates.filter(published_at__in=moments).exclude(pk__in=self.by_pk):
            # In the model's order (newest pk first), as a `.first()` would have picked.
            self.by_moment.setdefault((update.published_at, update.headline), []).append(update)
        self.taken: set[int] = set()
        for update in chain(self.by_pk.values(), *self.by_moment.values()):
            update.feed = feed  # get_absolute_url() reads the feed; do not load it per update

    def find(self, known_pk: int | None, entry) -> LiveUpdate | None:
        update = self.by_pk.get(known_pk) if known_pk else None
        if update is None:
            candidates = self.by_moment.get((entry.published, entry.headline), [])
            update = next((one for one in candidates if one.pk not in self.taken), None)
        if update is not None:
            self.taken.add(update.pk)
        return update


def _record_state(record: ImportRecord) -> tuple:
    return (
        record.format,
        record.content_hash,
        record.page_id,
        record.feed_id,
        record.live_updates,
        record.source,
    )


def _unique_slug(queryset, text: str, fallback: str, length: int) -> str:
    """The slug of `text`, numbered ("-2", "-3"…) past the ones taken, in one query: a
    newsroom's daily "Morning briefing" must not cost one more query per day imported."""
    base = slugify(text, allow_unicode=True)[:length].strip("-") or fallback
    taken = set(queryset.filter(slug__startswith=base).values_list("slug", flat=True))
    slug, number = base, 1
    while slug in taken:
        number += 1
        slug = f"{base}-{number}"
    return slug


def _validation_message(error: ValidationError) -> str:
    if hasattr(error, "error_dict"):
        return "; ".join(
            f"{name}: {' '.join(messages)}" for name, messages in error.message_dict.items()
        )
    return " ".join(error.messages)
