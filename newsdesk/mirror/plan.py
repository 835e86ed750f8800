"""Deciding what a run renders: everything, or what the site state says may have changed.

The rules are explained in builder.py's docstring; this module applies them to the last
run's manifest and the site state (changes.py).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path

import django
import wagtail
from django.conf import settings

import newsdesk
from newsdesk.mirror import changes, links, store

ENTRY_POINTS = (
    "/",
    "/feeds/rss.xml",
    "/feeds/atom.xml",
    "/feeds/feed.json",
    "/feeds/podcast.xml",
    "/sitemap.xml",
    "/news-sitemap.xml",
    "/robots.txt",
    "/offline-search/",
)
"""Where the crawl starts. All but "/" are optional: a 404 there is not an error."""
FINGERPRINT_SUFFIXES = frozenset({".py", ".html", ".css", ".js", ".mo", ".json", ".txt"})


@dataclass
class Plan:
    full: bool
    reason: str = ""
    """Why the run is a full one."""
    seeds: list[str] = field(default_factory=list)
    """The URLs to fetch first; the crawl follows links from them."""
    dirty: set[str] = field(default_factory=set)
    gone: set[str] = field(default_factory=set)
    """Files whose pages the state says are gone: kept only if something still links there."""


def make(
    old: store.Manifest | None,
    state: changes.SiteState,
    *,
    base_url: str,
    fingerprint: str,
    digest: str,
    force_full: bool = False,
) -> Plan:
    reason = _full_because(old, base_url, fingerprint, force_full)
    if reason or old is None:
        return Plan(full=True, reason=reason, seeds=list(ENTRY_POINTS))
    if old.digest == digest:
        return Plan(full=False)
    plan = Plan(full=False)
    changed, cards, unknown = _compare(old, state, plan)
    for file, entry in old.files.items():
        if entry.kind != "page" or file in plan.gone or file in plan.dirty:
            continue
        if file in unknown:
            everywhere = entry.url in ENTRY_POINTS or not entry.mentions
            if everywhere or not changed.isdisjoint(entry.mentions):
                plan.dirty.add(file)  # rule 3
        elif not cards.isdisjoint(entry.links):
            plan.dirty.add(file)  # rule 2
    plan.seeds = [old.files[file].url for file in sorted(plan.dirty)]
    plan.seeds += [url for url in ENTRY_POINTS if links.file_for(url) not in old.files]
    return plan


def _full_because(
    old: store.Manifest | None, base_url: str, fingerprint: str, force_full: bool
) -> str:
    if force_full:
        return "asked for with --full"
    if old is None:
        return "no complete earlier run to build on"
    if old.base_url != base_url:
        return "NEWSDESK_BASE_URL changed"
    if old.fingerprint != fingerprint:
        return "the code, templates or settings changed"
    return ""


def _compare(
    old: store.Manifest, state: changes.SiteState, plan: Plan
) -> tuple[set[str], set[str], set[str]]:
    """Rule 1, and what rules 2 and 3 need: the files whose page or card changed (or which
    are gone), whose card changed or which are gone, and whose URL the state does not know."""
    changed, cards, unknown = set(), set(), set()
    for file, entry in old.files.items():
        if entry.kind != "page":
            continue
        signature = state.signature(entry.url)
        if signature == changes.VANISHED:
            plan.gone.add(file)
            cards.add(file)
            continue
        if signature is None:
            unknown.add(file)
        elif signature != entry.signature:
            plan.dirty.add(file)  # rule 1
            changed.add(file)
        if state.card(entry.url) != entry.card:
            cards.add(file)
    return changed | cards, cards, unknown


def code_fingerprint() -> str:
    """What, besides the content, shapes the mirror's bytes: Newsdesk's code, templates and
    static files, Django's and Wagtail's versions, and the settings pages are written with."""
    digest = hashlib.sha256()
    package = Path(newsdesk.__file__).resolve().parent
    for path in sorted(package.rglob("*")):
        if path.suffix in FINGERPRINT_SUFFIXES and "__pycache__" not in path.parts:
            digest.update(path.relative_to(package).as_posix().encode() + b"\0")
            digest.update(path.read_bytes())
    names = sorted(name for name in dir(settings) if name.startswith("NEWSDESK_"))
    names += ["LANGUAGE_CODE", "TIME_ZONE", "STATIC_URL", "MEDIA_URL", "STORAGES"]
    digest.update(repr([(name, getattr(settings, name, None)) for name in names]).encode())
    digest.update(f"{django.__version__} {wagtail.__version__}".encode())
    if settings.STATIC_ROOT:
        collected = Path(settings.STATIC_ROOT) / "staticfiles.json"
        if collected.is_file():
            digest.update(collected.read_bytes())
    return digest.hexdigest()
