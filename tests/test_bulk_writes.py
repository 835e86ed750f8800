"""Writes that skip the refresh: a rule, with a check (docs/caching.md, "Writes that skip the
refresh").

A row readers see (an article, a live update, a feed, an image, an author, a topic, a
narration...) changes through `save()`, `delete()` or Wagtail's publishing: each sends a
signal, and the receivers (pagecache/signals.py, articles/receivers.py, live/receivers.py)
drop the cached pages and stored parts that show it. A queryset `update()`, `bulk_update()`
or `bulk_create()`, or raw SQL, sends none: the pages keep showing the old row. (That is how
the narration-ready bug happened: the audio was ready, and the cached page had no player.)

So, in newsdesk/, such a write on one of those models is only allowed where the code right
beside it refreshes what shows the row, or where it writes only what readers never see; each
place is listed in ALLOWED with the reason. The check reads the source (`ast`): a bulk write
is a call of `update`, `bulk_update` or `bulk_create` on a queryset (a chain through
`.objects` or a queryset method, or a name assigned from one in the same function), and raw
SQL is a string that starts with INSERT, UPDATE or DELETE. A write whose model is found and is
not one readers see (a feed source's items, stored parts' own bookkeeping, task results)
passes; one whose model cannot be told from the source must be listed too.
"""

import ast
import re
from pathlib import Path

import pytest
from django.apps import apps

import newsdesk
from tests import source_trees

PACKAGE = Path(newsdesk.__file__).parent

READER_APPS = {"articles", "live", "narration", "images", "wagtailcore", "wagtailimages"}
"""Every model of these apps shows on some reader page, feed or the API (narration's lexicon
only through narrations made after it changes, which are refreshed when they are ready)."""

JOB_FIELDS = {
    "status",
    "script_hash",
    "attempts",
    "error",
    "requested_at",
    "next_attempt_at",
    "task_id",
    "started_at",
    "lease_until",
    "worker",
    "finished_at",
}
"""A narration job's own bookkeeping: the player, structured data and feeds read only the
audio fields (narration/templatetags/narration.py audio_of), which keep the last good audio."""

REFRESHES = "refreshes"
"""The function itself calls a pagecache refresh after the write (checked)."""
BOOKKEEPING = "bookkeeping"
"""The write sets only fields readers never see (checked against the given set)."""
CALLERS_REFRESH = "callers refresh"
"""A helper of actions that refresh: the reason says which (not checked here)."""
STORED_PARTS = "stored parts"
"""Raw SQL on the stored parts' own tables: the cache that invalidations drop, not a row a
change has to refresh pages for."""

ALLOWED = {
    ("newsdesk/narration/actions.py", "record_audio"): (
        REFRESHES,
        "the one write that makes audio ready; refresh_narration/refresh_briefing follow it in"
        " the same transaction (the narration-ready bug was this write without them)",
    ),
    ("newsdesk/importer/writer.py", "update_article"): (
        REFRESHES,
        "the source's first publication date, which publishing would not set",
    ),
    ("newsdesk/demo/loader.py", "ensure_live_feed"): (
        REFRESHES,
        "backdating the demo feed's history to the times of its script",
    ),
    **{
        ("newsdesk/parts/store.py", function): (
            STORED_PARTS,
            "keeps rendered parts and their tags (parts_part, parts_parttag) in plain SQL, in"
            " the transaction that checked the generation: store_many() says why",
        )
        for function in ("_delete", "_insert")
    },
    ("newsdesk/live/actions.py", "next_sequence"): (
        CALLERS_REFRESH,
        "the feed's change counter, bumped by post/edit/correct/delete, which each record a"
        " LiveUpdateChange whose post_save refreshes the feed (live/receivers.py)",
    ),
    **{
        ("newsdesk/search/impact.py", function): (
            CALLERS_REFRESH,
            "the reader search's postings (search_impact tables, no page shows them), written by"
            " the search backend with Wagtail's index entry, whose write moves the search index"
            " generation (search.0004 triggers): kept results are read afresh",
        )
        for function in ("replace", "_forget_entries", "_write_blocks", "rebuild")
    },
    **{
        ("newsdesk/narration/actions.py", function): (BOOKKEEPING, JOB_FIELDS)
        for function in (
            "_request",
            "enqueue",
            "claim",
            "_fail",
            "_retry_or_fail",
            "recover_stalled",
            "release_own_jobs",
        )
    },
}

QUERYSET_METHODS = {
    "objects",
    "filter",
    "exclude",
    "all",
    "select_for_update",
    "live",
    "public",
    "for_readers",
    "visible",
    "running",
    "corrections",
    "updates",
}
RAW_WRITE = re.compile(r"^\s*(INSERT\s+INTO|UPDATE\s+\S+\s+SET|DELETE\s+FROM)\s", re.IGNORECASE)


def chain_names(node):
    """The attribute names and the root name of `A.objects.filter(...).exclude(...)`."""
    names = []
    while True:
        if isinstance(node, ast.Call):
            node = node.func
        elif isinstance(node, ast.Attribute):
            names.append(node.attr)
            node = node.value
        elif isinstance(node, ast.Name):
            return node.id, names
        else:
            return None, names


def model_named(name):
    found = [model for model in apps.get_models() if model.__name__ == name]
    return found[0] if len(found) == 1 else None


def is_reader_model(model):
    return model._meta.app_label in READER_APPS or model._meta.app_label.startswith("wagtail")


def bulk_writes():
    """(file, function, line, model name or None, fields written) of every bulk write and raw
    SQL write (None among the fields: they cannot be told from the source)."""
    found = []
    for path in sorted(PACKAGE.rglob("*.py")):
        if "migrations" in path.parts:
            continue
        relative = path.relative_to(PACKAGE.parent).as_posix()
        tree = source_trees.parse(path)
        for function in [tree, *ast.walk(tree)]:
            if function is not tree and not isinstance(
                function, ast.FunctionDef | ast.AsyncFunctionDef
            ):
                continue
            name = getattr(function, "name", "<module>")
            found.extend((relative, name, *hit) for hit in _writes_in(function))
            if any(_calls_refresh(node) for node in _own_nodes(function)):
                REFRESHING.add((relative, name))
    return sorted(set(found), key=lambda write: write[:3])


REFRESHING = set()
"""(file, function) of the functions that call a pagecache refresh_* or invalidate."""


def _calls_refresh(node):
    return (
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and isinstance(node.func.value, ast.Name)
        and node.func.value.id == "pagecache"
        and (node.func.attr.startswith("refresh_") or node.func.attr == "invalidate")
    )


def _own_nodes(function):
    """The nodes of a function, not of the functions defined inside it."""
    for child in ast.iter_child_nodes(function):
        if isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            continue
        yield child
        yield from _own_nodes(child)


def _writes_in(function):
    assigned = {}
    nodes = list(_own_nodes(function))
    for node in nodes:
        if isinstance(node, ast.Assign) and isinstance(node.targets[0], ast.Name):
            assigned[node.targets[0].id] = node.value
    for node in nodes:
        if isinstance(node, ast.Constant) and RAW_WRITE.match(str(node.value)):
            yield node.lineno, "raw SQL", frozenset({None})
        if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)):
            continue
        method = node.func.attr
        if method not in {"update", "bulk_update", "bulk_create"}:
            continue
        root, names = chain_names(node.func.value)
        if root in assigned:  # `done = Model.objects.filter(...)`, then `done.update(...)`
            root, more = chain_names(assigned[root])
            names += more
        if method == "update" and not QUERYSET_METHODS & set(names):
            continue  # a dict or a set
        model = model_named(root) if root else None
        if model is not None and not is_reader_model(model):
            continue
        fields = {keyword.arg for keyword in node.keywords}  # None for **mapping
        yield node.lineno, model.__name__ if model else None, frozenset(fields)


@pytest.fixture(scope="module")
def writes():
    return bulk_writes()


def test_the_check_finds_bulk_writes(writes):
    """The rule is only as good as this reading of the source: known writes are found."""
    places = {(relative, function) for relative, function, *_ in writes}
    assert ("newsdesk/narration/actions.py", "record_audio") in places
    assert ("newsdesk/live/actions.py", "next_sequence") in places
    assert ("newsdesk/narration/actions.py", "record_audio") in REFRESHING
    tree = ast.parse('def f():\n    x = Author.objects.filter(pk=1)\n    x.update(name="")\n')
    assert list(_writes_in(tree.body[0])) == [(3, "Author", {"name"})]
    tree = ast.parse('def f(d):\n    d.update(a=1)\n    run("UPDATE x SET y = 1")\n')
    assert list(_writes_in(tree.body[0])) == [(3, "raw SQL", {None})]
    tree = ast.parse("def f():\n    Item.objects.filter(pk=1).update(seen=True)\n")
    assert list(_writes_in(tree.body[0])) == []  # a feed source's item: not shown to readers


def test_bulk_writes_on_what_readers_see_are_the_listed_ones(writes):
    unlisted = [
        f"{relative}:{line} in {function}() ({model or 'model unknown'})"
        for relative, function, line, model, _ in writes
        if (relative, function) not in ALLOWED
    ]
    assert unlisted == [], (
        "a bulk write or raw SQL on rows readers see sends no signal, so no page is refreshed:"
        " save() the rows, or call the refresh beside it and list it in ALLOWED with the reason"
    )


def test_each_allowed_write_does_what_its_reason_says(writes):
    wrong = []
    for relative, function, line, _, fields in writes:
        kind, detail = ALLOWED.get((relative, function), (None, None))
        if kind == REFRESHES and (relative, function) not in REFRESHING:
            wrong.append(f"{relative}:{line} {function}() calls no pagecache refresh")
        if kind == BOOKKEEPING and not fields <= detail:
            wrong.append(f"{relative}:{line} {function}() writes {sorted(map(str, fields))}")
    assert wrong == []


def test_every_allowed_place_still_writes(writes):
    places = {(relative, function) for relative, function, *_ in writes}
    assert set(ALLOWED) - places == set(), "remove what no longer writes from ALLOWED"
