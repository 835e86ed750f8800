"""Stored parts of reader pages: rendered once, kept in the database, dropped by the same
tags that drop cached pages (docs/caching.md#stored-parts).

A page cache miss used to render everything a page shows from its rows. Most of it changes
only when an editor publishes: an article's header, body and structured data, a listing's
cards. A part is such a piece rendered once and stored; a miss reads the page's parts in one
query and joins them.

Exactness, the rule of the page cache, holds because a part is dropped by the very
invalidation that drops the pages showing it:

- while a part is built, every object loaded in the request so far and during the build is
  recorded (pagecache/recorder.py, turned on for every request by middleware.py): those are
  its tags, as they would be a cached page's; plus the lists it declares it shows;
- `drop(tags)` runs inside the transaction of the change (pagecache/actions.py invalidate,
  whatever NEWSDESK_CACHE says), so the parts go with the commit that changes them, in every
  process at once: they live in the database;
- a build that read rows before a change committed is not stored: it notes the invalidation
  count (Generation) before reading anything, and stores only if the count is unchanged when
  read under the row's lock, which the change holds until it commits;
- a part is only built and stored inside a request whose loads were recorded from its
  start, never for previews (they show drafts), and its key names the code, templates and
  settings that rendered it (`fingerprint`), so a deploy never shows a part of the old code.
"""

import contextvars
import datetime
import functools
import hashlib
import json
import logging
import secrets
from dataclasses import dataclass, field
from pathlib import Path

from django.conf import settings
from django.db import DatabaseError, IntegrityError, connection, transaction
from django.db.models import F
from django.utils import timezone, translation

from newsdesk.core.prepared import PreparedRows
from newsdesk.pagecache import recorder
from newsdesk.pagecache.kinds import EVERY_PAGE
from newsdesk.parts.models import Generation, Part, PartTag

logger = logging.getLogger(__name__)

_fetched: contextvars.ContextVar[dict | None] = contextvars.ContextVar(
    "newsdesk_parts_fetched", default=None
)


@dataclass
class Writes:
    """The parts a request built, stored together when it ends (`flush`), and the invalidation
    count its builds compare (`build_generation`)."""

    started: int | None = None
    parts: list[tuple] = field(default_factory=list)


_writes: contextvars.ContextVar[Writes | None] = contextvars.ContextVar(
    "newsdesk_parts_writes", default=None
)

FINGERPRINT_SETTINGS = (
    "NEWSDESK_BASE_URL",
    "NEWSDESK_SITE_NAME",
    "TIME_ZONE",
    "LANGUAGE_CODE",
    "STATIC_URL",
    "MEDIA_URL",
    "NEWSDESK_MEDIA_URL",
    "NEWSDESK_FEED_CONTENT",
)


@functools.cache
def fingerprint():
    """What rendered a part besides its rows: the package's code and templates, the static
    files' manifest (hashed names), the versions of Django and Wagtail and the settings that
    appear in pages. Read once per process (about 300 small files)."""
    import django
    import wagtail

    digest = hashlib.sha256()
    package = Path(__file__).resolve().parents[1]
    for path in sorted(package.rglob("*")):
        if (
            path.suffix in (".py", ".html", ".txt", ".mo", ".json")
            and "migrations" not in path.parts
        ):
            digest.update(str(path.relative_to(package)).encode() + b"\0" + path.read_bytes())
    manifest = Path(settings.STATIC_ROOT or "") / "staticfiles.json"
    if settings.STATIC_ROOT and manifest.is_file():
        # The names it maps, not its bytes: `newsdesk serve` collects the static files on
        # every start and the file's bytes can differ while every hashed name is the same.
        paths = json.loads(manifest.read_text()).get("paths", {})
        digest.update(json.dumps(paths, sort_keys=True).encode())
    digest.update(f"{django.__version__} {wagtail.__version__}".encode())
    for name in FINGERPRINT_SETTINGS:
        digest.update(f"{name}={getattr(settings, name, None)!r}".encode())
    return digest.hexdigest()[:12]


def _name(arg):
    meta = getattr(arg, "_meta", None)
    return f"{meta.label_lower}.{arg.pk}" if meta else str(arg)


def language():
    return translation.get_language() or ""


def subject(name, obj, lang=None):
    """The part's name and what it is of, with the code and language: the prefetch unit.
    `lang`: the current language, when the caller has read it once for many parts."""
    fields = [fingerprint(), language() if lang is None else lang, name, _name(obj)]
    return ":".join(fields)[:255]


def key(name, obj, *variant, lang=None):
    """The part's key: its subject and the variant (words, numbers: how it is shown)."""
    return ":".join([subject(name, obj, lang), *map(_name, variant)])[:255]


def begin_request():
    """A fresh memo of fetched parts and list of parts to store for this request; the token
    to end it with."""
    return _fetched.set({"": set()}), _writes.set(Writes())


def end_request(token):
    """Forget the request's memo, and the parts it built that `flush` did not store."""
    fetched, writes = token
    _writes.reset(writes)
    _fetched.reset(fetched)


def in_request():
    """Whether parts are read and kept here (a request through parts/middleware.py)."""
    return _fetched.get() is not None


def prefetch(name, objects):
    """Read every stored part `name` of these objects in one query, for `get` to find (a
    page's own parts, a listing's cards); what is not found then costs no query either.
    `name` may be a tuple of names: all their parts, still in one query."""
    memo = _fetched.get()
    if memo is None:
        return
    names = name if isinstance(name, tuple) else (name,)
    lang = language()
    subjects = {subject(one, obj, lang) for one in names for obj in objects} - memo[""]
    if not subjects:
        return
    memo[""] |= subjects
    for part_key, html, tags in _parts_of(sorted(subjects)):
        memo[part_key] = (html, tags)


def prefetched(subjects, rows):
    """Remember parts read by a query of the caller's own (articles/related.py reads an
    article's parts with its topics' in one): `rows` are (subject, key, html, tags);
    `subjects` were read whole, so a part of theirs not among the rows is not stored. The
    subjects of the rows count as read whole too."""
    memo = _fetched.get()
    if memo is None:
        return
    memo[""] |= set(subjects)
    for part_subject, part_key, html, tags in rows:
        memo[""].add(part_subject)
        memo[part_key] = (html, tags)


PREFETCH_SLOTS = 64


def _slots(model, *subjects):
    return model.objects.filter(subject__in=subjects).values_list("key", "html", "tags")


PARTS_OF_SUBJECTS = PreparedRows(Part, _slots)
"""The parts of up to PREFETCH_SLOTS subjects, compiled once per process (core/prepared.py):
a live page reads fifty-one updates' parts, a listing twenty cards. The free slots repeat
an empty subject, which no part has."""


def _parts_of(subjects):
    rows = []
    for start in range(0, len(subjects), PREFETCH_SLOTS):
        chunk = subjects[start : start + PREFETCH_SLOTS]
        rows += PARTS_OF_SUBJECTS.all(*chunk, *[""] * (PREFETCH_SLOTS - len(chunk)))
    return rows


def get(part_key, part_subject):
    """(html, tags) of the stored part, or None; from the request's memo when prefetched."""
    memo = _fetched.get()
    if memo is not None and (part_key in memo or part_subject in memo[""]):
        return memo.get(part_key)
    row = Part.objects.filter(key=part_key).values_list("html", "tags").first()
    if memo is not None:
        memo[part_key] = row
    return row


def use(part_key, part_subject, build, objects=(), lists=(), versioned=()):
    """The part's HTML: stored, or built now by `build()` and stored for the next miss.

    `objects` are what the part is of (their tags are added even when loaded before the
    request's recording could see them); `lists` are the list tags of lists the part shows
    ("articles", "live-list", ...), plus "topics"/"authors" for the lists of the topics and
    authors it loaded, as the page cache's kinds say them.

    `versioned`: tags left off the part because its key already names the version of what
    they stand for (a live update's part is keyed by the update's sequence number, which
    every change to the update moves; it need not go when the feed's tag does, at every new
    post). Such a part replaces the other versions of its subject when stored.
    """
    found = get(part_key, part_subject)
    outer = recorder.current()
    if found is not None:
        html, tags = found
        if outer is not None:
            recorder.merge(outer, tags)
        return html
    if _fetched.get() is None:
        return build()  # outside a request (a command, the worker): nothing is kept
    started = build_generation()
    with recorder.nested() as recorded:
        html = build()
    if outer is not None:
        recorder.merge_recorded(outer, recorded)
    tags = tags_of_build(recorded, objects, lists) - set(versioned)
    keep(part_key, part_subject, str(html), tags, started, replace_subject=bool(versioned))
    return html


def tags_of_build(recorded, objects=(), lists=()):
    """A part's tags: what was recorded while it was built, and what was loaded before onto
    the objects it is a part of (select_related rows, cached properties such as an
    article's byline), and the lists it shows; every part carries every-page."""
    recorded = {model: set(ids) for model, ids in recorded.items()}
    for obj in objects:
        for found in attached(obj):
            for model, pk in recorder.tags_of(found):
                recorded.setdefault(model, set()).add(pk)
    return recorder.flatten(recorded) | {EVERY_PAGE} | list_tags(lists, recorded)


def keep(part_key, part_subject, text, tags, started, replace_subject=False):
    """Remember a part built in this request for the request, and store it (see `store`)
    when the request ends (`flush`); at once when there is no request."""
    _fetched.get()[part_key] = (text, sorted(tags))
    writes = _writes.get()
    if writes is None:
        store(part_key, part_subject, text, tags, started, replace_subject)
    else:
        writes.parts.append((part_key, part_subject, text, tags, started, replace_subject))


def attached(obj, depth=2):
    """The object and the model instances it holds already: related rows it was loaded
    with, its cached properties and prefetches, and theirs, `depth` levels down."""
    found = [obj]
    if depth == 0 or not hasattr(obj, "_meta"):
        return found
    held = list(getattr(obj._state, "fields_cache", {}).values())
    held += list(vars(obj).values())
    held += [list(rows) for rows in getattr(obj, "_prefetched_objects_cache", {}).values()]
    for value in held:
        values = value if isinstance(value, (list, tuple)) else [value]
        for item in values:
            # Instances only: a page holds its class too (Wagtail's specific_class).
            if (
                hasattr(item, "_meta")
                and not isinstance(item, type)
                and getattr(item, "pk", None) is not None
            ):
                found += attached(item, depth - 1)
    return found


def list_tags(lists, recorded):
    tags = set()
    for name in lists:
        if name == "topics":
            tags |= {f"topic-list:{pk}" for pk in recorder.ids(recorded, "articles.topic")}
        elif name == "authors":
            tags |= {f"author-list:{pk}" for pk in recorder.ids(recorded, "articles.author")}
        else:
            tags.add(name)
    return tags


def current_generation():
    return Generation.objects.filter(pk=1).values_list("value", flat=True).first()


def build_generation():
    """The invalidation count a build of this request compares when it is stored: read once,
    before the request's first build reads anything (a cold article page builds three parts
    and cards, a listing page twenty cards). Reading it before a later build began is safe:
    a change that commits in between refuses that build's store (it may have read rows
    from before the change) and never lets a stale part through; it only costs a rebuild."""
    writes = _writes.get()
    if writes is None:
        return current_generation()
    if writes.started is None:
        writes.started = current_generation()
    return writes.started


def flush():
    """Store the parts this request built (`keep`), in one transaction: one commit (one
    wait for the disk, one hold of SQLite's write lock) and one locked read of the count for
    all of them instead of one each. Each is stored only if the count it read before its
    build is still current, as `store` decides. A database error is logged, not raised:
    the page rendered, and its parts are only a copy, built again by the next miss."""
    writes = _writes.get()
    if writes is None or not writes.parts:
        return 0
    parts, writes.parts = writes.parts, []
    try:
        return store_many(parts)
    except DatabaseError:
        logger.warning("Stored parts not kept: the database refused the write", exc_info=True)
        return 0


def store_many(parts):
    """Store (key, subject, html, tags, started, replace_subject) parts in one transaction,
    each as `store` would; how many were stored."""
    try:
        with transaction.atomic(), connection.cursor() as cursor:
            current = _locked_generation(cursor)
            kept = [part for part in parts if part[4] == current]
            # The older versions of all of them in two statements, not two per part (a cold
            # listing page stores twenty cards); a version of a live update's subject goes
            # by its subject, one by one.
            _delete(cursor, "key", [part[0] for part in kept if not part[5]])
            for part_key, part_subject, html, tags, _, replace_subject in kept:
                if replace_subject:
                    _delete(cursor, "subject", [part_subject])
                _insert(cursor, part_key, part_subject, html, sorted(tags))
    except IntegrityError:
        # Another process stored one of them meanwhile (PostgreSQL): one at a time instead.
        return sum(store(*part) for part in parts)
    return len(kept)


def store(part_key, part_subject, html, tags, started, replace_subject=False):
    """Keep the part unless an invalidation committed since `started` was read (or is about
    to: the lock waits for it). With `replace_subject`, the part's other versions (keys of
    the same subject) go: nothing would read them again.

    In plain SQL: every first render stores several parts (an article four, a listing page
    its own and its new cards), and through the ORM a store cost 2.5 ms of CPU (the delete
    went through Django's collector, which reads the rows and their tags first); this costs
    about 0.5 ms (docs/caching.md "Stored parts")."""
    try:
        with transaction.atomic(), connection.cursor() as cursor:
            # skip_locked: a change holding the row is in flight, so the part may be stale
            # already; it is not stored (no row read: None), and no render waits on an editor.
            if _locked_generation(cursor) != started:
                return False
            column, value = ("subject", part_subject) if replace_subject else ("key", part_key)
            _replace(cursor, column, value, part_key, part_subject, html, sorted(tags))
    except IntegrityError:
        return False  # another process stored the same part at the same moment
    return True


def _locked_generation(cursor):
    """The generation, read under its row's lock where the database has row locks (on SQLite
    the IMMEDIATE transaction holds the database's write lock already)."""
    table = Generation._meta.db_table
    lock = (
        " FOR UPDATE SKIP LOCKED" if connection.features.has_select_for_update_skip_locked else ""
    )
    cursor.execute(f"SELECT value FROM {table} WHERE id = 1{lock}")  # noqa: S608 - our names
    row = cursor.fetchone()
    return row[0] if row else None


def _replace(cursor, column, value, part_key, part_subject, html, tags):
    """Delete the parts whose `column` is `value` (with their tags), insert this one."""
    _delete(cursor, column, [value])
    _insert(cursor, part_key, part_subject, html, tags)


DELETE_CHUNK = 500
"""Values per DELETE: under every database's limit on a statement's parameters."""


def _delete(cursor, column, values):
    """Delete the parts whose `column` is one of `values`, with their tags."""
    part, tag = Part._meta.db_table, PartTag._meta.db_table
    for start in range(0, len(values), DELETE_CHUNK):
        chunk = values[start : start + DELETE_CHUNK]
        match = f"{connection.ops.quote_name(column)} IN ({', '.join(['%s'] * len(chunk))})"
        by_part = f"part_id IN (SELECT id FROM {part} WHERE {match})"  # noqa: S608 - our names
        cursor.execute(f"DELETE FROM {tag} WHERE {by_part}", chunk)  # noqa: S608 - our names
        cursor.execute(f"DELETE FROM {part} WHERE {match}", chunk)  # noqa: S608 - our names


def _insert(cursor, part_key, part_subject, html, tags):
    """Insert the part and its tag rows."""
    part, tag = Part._meta.db_table, PartTag._meta.db_table
    fields = {field.name: field for field in Part._meta.concrete_fields}
    columns = ", ".join(
        map(connection.ops.quote_name, ("key", "subject", "html", "tags", "built_at"))
    )
    cursor.execute(
        f"INSERT INTO {part} ({columns}) VALUES (%s, %s, %s, %s, %s) RETURNING id",  # noqa: S608
        [
            part_key,
            part_subject,
            html,
            fields["tags"].get_db_prep_save(tags, connection),
            fields["built_at"].get_db_prep_save(timezone.now(), connection),
        ],
    )
    part_id = cursor.fetchone()[0]
    rows = [(part_id, name) for name in tags]
    cursor.executemany(f"INSERT INTO {tag} (part_id, tag) VALUES (%s, %s)", rows)  # noqa: S608


def drop(tags):
    """Delete the parts carrying any of the tags; in the transaction of the change."""
    tags = set(tags)
    tags |= {f"{tag.rsplit(':', 1)[0]}:*" for tag in tags if ":" in tag}
    if not Generation.objects.filter(pk=1).update(value=F("value") + 1):
        # From a random count: a database emptied and filled again (a restore, a test's
        # flush) must not give a count a process has seen with other rows (listings.py).
        Generation.objects.get_or_create(pk=1, defaults={"value": secrets.randbits(48)})
        Generation.objects.filter(pk=1).update(value=F("value") + 1)
    Part.objects.filter(tag_rows__tag__in=sorted(tags)).delete()


OLD_CODE_GRACE = datetime.timedelta(hours=1)
"""How long a part another version of the code built is kept: during a rolling deploy the
processes still on the old code go on reading (and building) theirs."""


def drop_other_code(now=None):
    """Delete parts no process has built for an hour under another fingerprint: a deploy
    changes every key, and nothing would ever read the old ones again. The count deleted."""
    now = now or timezone.now()
    stale = Part.objects.exclude(key__startswith=f"{fingerprint()}:").filter(
        built_at__lt=now - OLD_CODE_GRACE
    )
    deleted, by_model = stale.delete()
    return by_model.get(Part._meta.label, 0)


def drop_invalidated(sender, tags, **kwargs):
    """The page cache's `invalidating` signal: sent inside the change's transaction."""
    drop(tags)


def drop_all():
    """Forget every part (a command for operators; parts rebuild on the next misses)."""
    with transaction.atomic():
        drop({EVERY_PAGE})


# A listing's page reads its stored part before it builds anything, and keeps a build only
# when the build says so (articles/listings.py: a page number past the end shows the last
# page, which is not kept under the number asked for). use() in three steps:


def usable(request):
    """Whether parts are read and kept for this request: a reader's request through the
    middleware, not a preview (previews show drafts)."""
    return in_request() and not getattr(request, "is_preview", False)


def stored(part_key, part_subject):
    """The stored part's HTML, its tags added to the page's as use() adds them; or None."""
    found = get(part_key, part_subject)
    if found is None:
        return None
    html, tags = found
    outer = recorder.current()
    if outer is not None:
        recorder.merge(outer, tags)
    return html


def recorded_build(build, objects=(), lists=(), started=None):
    """(what build() returns, the part's tags, the generation read before it ran): for keep(),
    if the caller keeps it. The build's loads count for the page too, as in use().
    `started`: the generation, when the caller read it already (before build() reads rows)."""
    if started is None:
        started = current_generation()
    outer = recorder.current()
    with recorder.nested() as recorded:
        result = build()
    if outer is not None:
        recorder.merge_recorded(outer, recorded)
    return result, tags_of_build(recorded, objects, lists), started
