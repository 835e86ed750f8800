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


def store(source, parsed: Parsed) -> Outcome:
    """Every entry of one delivery, in one transaction."""
    outcome = Outcome(refused=list(parsed.refused))
    now = timezone.now()
    with transaction.atomic():
        seen = set()
        for entry in parsed.entries:
            guid = entry.guid.strip()[:500]
            if guid in seen:
                continue  # twice in one delivery: the first (newest, in feed order) counts
            seen.add(guid)
            _store_entry(source, guid, entry, clean(entry), now, outcome)
    return outcome


def _store_entry(source, guid, entry, cleaned, now, outcome):
    item = Item.objects.select_for_update().filter(source=source, guid=guid).first()
    if item is None:
        item = Item.objects.create(
            source=source,
            guid=guid,
            headline=cleaned.headline,
            link=cleaned.link,
            source_time=entry.time,
            first_seen_at=now,
            last_seen_at=now,
            updated_at=now,
        )
        _add_version(item, 1, entry, cleaned, now, changed=[])
        outcome.new.append(item)
        return
    latest = item.versions.order_by("-number").first()
    if latest is not None and (
        latest.content_hash == cleaned.hash or _older(entry.version, latest.source_version)
    ):
        Item.objects.filter(pk=item.pk).update(last_seen_at=now)
        outcome.unchanged += 1
        return
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
    item.last_seen_at = item.updated_at = now
    item.save(
        update_fields=[
            "headline",
            "link",
            "source_time",
            "version_count",
            "last_seen_at",
            "updated_at",
        ]
    )
    outcome.changed.append(item)


def _add_version(item, number, entry, cleaned, now, changed):
    ItemVersion.objects.create(
        item=item,
        number=number,
        source_version=entry.version,
        content_hash=cleaned.hash,
        headline=cleaned.headline,
        body=cleaned.body,
        link=cleaned.link,
        source_time=entry.time,
        fetched_at=now,
        changed=changed,
    )


def _older(new: str, stored: str) -> bool:
    """True when both are numbers and the new one is below the stored one."""
    return new.isdigit() and stored.isdigit() and int(new) < int(stored)
