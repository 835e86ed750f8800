"""Parsed entries into items and versions: sanitised, de-duplicated, all or nothing.

An entry is compared with its item's latest version by a hash of what readers would see
(headline, sanitised body, link). The same content again adds nothing, however often it is
delivered; different content adds exactly one version, with what changed. An agency version
number older than the one stored (a late re-delivery of version 2 after version 3) is
ignored, so a stale copy never shows as the newest.
"""

from __future__ import annotations

import hashlib
import html
from dataclasses import dataclass, field

from django.db import transaction
from django.utils import timezone

from newsdesk.importer.sanitise import blocks_from_html, plain_text, safe_href
from newsdesk.sources.models import Item, ItemVersion
from newsdesk.sources.parsers import Entry, Parsed

HEADLINE_MAX = 500


@dataclass
class Outcome:
    new: list[Item] = field(default_factory=list)
    changed: list[Item] = field(default_factory=list)
    unchanged: int = 0
    refused: list[str] = field(default_factory=list)

    def summary(self) -> str:
        return (
            f"{len(self.new)} new, {len(self.changed)} changed, {self.unchanged} unchanged, "
            f"{len(self.refused)} refused"
        )


def sanitised_body(markup: str) -> str:
    """Imported HTML's allow-list (importer/sanitise.py), flattened to paragraphs: headings
    and quotations keep their text, as paragraphs of their own."""
    parts = []
    for kind, value in blocks_from_html(markup):
        if kind == "paragraph":
            parts.append(str(value))
        else:
            text = value.get("text", "") if isinstance(value, dict) else ""
            if text:
                parts.append(f"<p>{html.escape(text, quote=False)}</p>")
    return "".join(parts)


@dataclass(frozen=True)
class Clean:
    headline: str
    body: str
    link: str

    @property
    def hash(self) -> str:
        joined = "\x1f".join((self.headline, self.body, self.link))
        return hashlib.sha256(joined.encode()).hexdigest()


def clean(entry: Entry) -> Clean:
    return Clean(
        headline=plain_text(entry.headline)[:HEADLINE_MAX],
        body=sanitised_body(entry.body),
        link=(safe_href(entry.link) or "")[:1000] if entry.link.startswith("http") else "",
    )


def raw_hash(entry: Entry) -> str:
    joined = "\x1f".join((entry.headline, entry.body, entry.link, entry.version, str(entry.time)))
    return hashlib.sha256(joined.encode()).hexdigest()


def store(source, parsed: Parsed) -> Outcome:
    """Every entry of one delivery, in one transaction: all of it is stored, or none.

    A feed re-delivers the same items at every poll, so what is known is found in a few
    queries and left alone in one: only new and changed entries cost a row each.
    """
    outcome = Outcome(refused=list(parsed.refused))
    now = timezone.now()
    entries: dict[str, Entry] = {}
    for entry in parsed.entries:
        # Twice in one delivery: the first (the newest, in feed order) counts.
        # PostgreSQL cannot store NUL characters; the sanitiser drops them from the rest.
        entries.setdefault(entry.guid.replace("\x00", "").strip()[:500], entry)
    with transaction.atomic():
        known = _known(source, list(entries))
        seen = []
        for guid, entry in entries.items():
            item = known.get(guid)
            raw = raw_hash(entry)
            if item is not None and item.raw_hash == raw:
                seen.append(item.pk)
                continue
            if item is None:
                outcome.new.append(_new_item(source, guid, entry, clean(entry), raw, now))
            elif _update_item(item, entry, clean(entry), raw, now):
                outcome.changed.append(item)
            else:
                seen.append(item.pk)
        outcome.unchanged = len(seen)
        for start in range(0, len(seen), BATCH):
            Item.objects.filter(pk__in=seen[start : start + BATCH]).update(last_seen_at=now)
    return outcome


BATCH = 500
"""Rows per IN (...) query: below SQLite's limit on variables in one statement."""


def _known(source, guids):
    known = {}
    for start in range(0, len(guids), BATCH):
        for item in Item.objects.filter(source=source, guid__in=guids[start : start + BATCH]):
            known[item.guid] = item
    return known


def _new_item(source, guid, entry, cleaned, raw, now):
    item = Item.objects.create(
        source=source,
        guid=guid,
        headline=cleaned.headline,
        link=cleaned.link,
        source_time=entry.time,
        content_hash=cleaned.hash,
        source_version=_version(entry),
        raw_hash=raw,
        first_seen_at=now,
        last_seen_at=now,
        updated_at=now,
    )
    _add_version(item, 1, entry, cleaned, now, changed=[])
    return item


def _update_item(item, entry, cleaned, raw, now):
    """Add a version when the content differs from the latest; False when it does not."""
    if item.content_hash == cleaned.hash or _older(entry.version, item.source_version):
        Item.objects.filter(pk=item.pk).update(raw_hash=raw)
        return False
    latest = item.versions.order_by("-number").first()
    changed = [
        name
        for name in ("headline", "body", "link")
        if latest is None or getattr(latest, name) != getattr(cleaned, name)
    ]
    number = item.version_count + 1
    _add_version(item, number, entry, cleaned, now, changed)
    item.headline = cleaned.headline
    item.link = cleaned.link
    item.source_time = entry.time or item.source_time
    item.version_count = number
    item.content_hash, item.source_version, item.raw_hash = cleaned.hash, _version(entry), raw
    item.last_seen_at = item.updated_at = now
    item.save(
        update_fields=[
            "headline", "link", "source_time", "version_count", "content_hash",
            "source_version", "raw_hash", "last_seen_at", "updated_at",
        ]
    )  # fmt: skip
    return True


def _add_version(item, number, entry, cleaned, now, changed):
    ItemVersion.objects.create(
        item=item,
        number=number,
        source_version=_version(entry),
        content_hash=cleaned.hash,
        headline=cleaned.headline,
        body=cleaned.body,
        link=cleaned.link,
        source_time=entry.time,
        fetched_at=now,
        changed=changed,
    )


def _version(entry: Entry) -> str:
    return entry.version.replace("\x00", "")[:50]


def _older(new: str, stored: str) -> bool:
    """True when both are numbers and the new one is below the stored one."""
    return new.isdigit() and stored.isdigit() and int(new) < int(stored)
