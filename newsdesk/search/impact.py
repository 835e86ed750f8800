"""The reader search index on SQLite: each word's postings in blocks, scored all at once.

FTS5 answers "which entries hold these words" quickly, but ranking by `bm25()` costs about
2 µs for every matching entry (the scorer reads each entry's size and positions one by one):
20-35 ms for a common word on the benchmark site, every time a query is asked afresh. Here
the part of BM25 that depends on the entry alone (postings.impact) is computed once, when the
entry is indexed, and stored per word: for each (kind, term, block of 1,024 ids) one row
whose `data` holds the ids, impacts and title flags of the entries in that block, as packed
arrays. A search reads the rows of its few terms (a few dozen blobs), and numpy adds the
impacts of every entry that holds all the terms, applies the title bonus, leaves out what
readers may not see, counts the matches and picks the best: 1-3 ms for ten thousand matches
of up to five words, against 20-35 ms in FTS5.

Why not postings sorted by impact and a threshold algorithm (read the top of each word's list,
stop early)? Measured on the benchmark site it was exact but slower than FTS5 for more than one
common word (32-180 ms): every entry holds every common word there, and the sums of several
near-equal impacts only clear the threshold deep in the lists. Scoring every match in bulk
costs the same whatever the query.

Blocks keep writes small: indexing one entry rewrites one block per word it holds (or held),
at most 1,024 postings each, not the word's whole list. `search_impact_entry` remembers each
entry's words and length, for removal and for the average length BM25 normalises by.

Tables (migration search.0005), SQLite only; on PostgreSQL Wagtail's backend ranks.
Written by the search backend (sqlite_backend.py) in the transaction that writes Wagtail's
entry. Ranking is FTS5's: the same candidates in the same order (tests/test_search_index.py).
"""

import json
from datetime import UTC, datetime

import numpy as np
from django.db import connection

from newsdesk.search import postings

BLOCK_BITS = 10
"""1,024 ids a block."""

KINDS = {("articles", "articlepage"): 1, ("live", "liveupdate"): 2}
"""Models with postings here, and the number that stands for each in the tables."""

DATES = {
    1: "id, CAST(first_published_at AS TEXT) FROM wagtailcore_page",
    2: "id, CAST(published_at AS TEXT) FROM live_liveupdate",
}
"""Each kind's publication date, which the ranking's recency boost reads. As text: Django's
converter for datetime columns parses each value in Python (2 ms for 200 dates);
datetime.fromisoformat is a C function."""

_IDS = np.dtype("<i8")
_IMPACTS = np.dtype("<f8")
_FLAGS = np.dtype("u1")
_ROW_BYTES = _IDS.itemsize + _IMPACTS.itemsize + _FLAGS.itemsize


def kind_of(model):
    return KINDS.get((model._meta.app_label, model._meta.model_name))


def pack(ids, impacts, flags):
    """One block's postings as bytes: ids, then impacts, then title flags."""
    return (
        np.asarray(ids, _IDS).tobytes()
        + np.asarray(impacts, _IMPACTS).tobytes()
        + np.asarray(flags, _FLAGS).tobytes()
    )


def unpack(data):
    count = len(data) // _ROW_BYTES
    ids = np.frombuffer(data, _IDS, count)
    impacts = np.frombuffer(data, _IMPACTS, count, offset=count * _IDS.itemsize)
    offset = count * (_IDS.itemsize + _IMPACTS.itemsize)
    flags = np.frombuffer(data, _FLAGS, count, offset=offset)
    return ids, impacts, flags


# Writing


def _average_length(cursor, kind):
    cursor.execute("SELECT COUNT(*), SUM(length) FROM search_impact_entry WHERE kind = %s", [kind])
    entries, words = cursor.fetchone()
    return (words or 0) / entries if entries else 0.0


def replace(kind, entries, removed=()):
    """Index `entries` ({id: (title, body)}) of one kind in place of what was there, and
    drop the ids in `removed`. The average length is taken with these entries counted."""
    ids = set(entries) | set(removed)
    if not ids:
        return
    with connection.cursor() as cursor:
        old_terms = _forget_entries(cursor, kind, ids)
        lengths = {pk: postings.length(title, body) for pk, (title, body) in entries.items()}
        cursor.executemany(
            "INSERT INTO search_impact_entry (kind, id, length, terms) VALUES (%s, %s, %s, '')",
            [(kind, pk, size) for pk, size in lengths.items()],
        )
        average = _average_length(cursor, kind)
        new = {pk: postings.postings(*entries[pk], average) for pk in entries}
        cursor.executemany(
            "UPDATE search_impact_entry SET terms = %s WHERE kind = %s AND id = %s",
            [(" ".join(p.term for p in found), kind, pk) for pk, found in new.items()],
        )
        _rewrite_blocks(cursor, kind, ids, old_terms, new)


def _forget_entries(cursor, kind, ids):
    """Remove the entries' rows; {(term, block): ids that held the term there}."""
    held = {}
    placeholders = ", ".join(["%s"] * len(ids))
    cursor.execute(
        f"SELECT id, terms FROM search_impact_entry WHERE kind = %s AND id IN ({placeholders})",  # noqa: S608 - placeholders only
        [kind, *ids],
    )
    for pk, terms in cursor.fetchall():
        for term in terms.split():
            held.setdefault((term, pk >> BLOCK_BITS), set()).add(pk)
    cursor.execute(
        f"DELETE FROM search_impact_entry WHERE kind = %s AND id IN ({placeholders})",  # noqa: S608 - placeholders only
        [kind, *ids],
    )
    return held


def _rewrite_blocks(cursor, kind, ids, old_terms, new):
    """Rewrite each block the changed entries are (or were) in: what others hold is kept as
    it is, with numpy, not posting by posting (a block holds up to 1,024). One read per
    block number (an entry's words are all in its own block) and one write of all rows."""
    added = {}
    for pk, found in new.items():
        for posting in found:
            added.setdefault((posting.term, pk >> BLOCK_BITS), []).append((pk, posting))
    terms_by_block = {}
    for term, block in set(old_terms) | set(added):
        terms_by_block.setdefault(block, []).append(term)
    changed = np.fromiter(ids, _IDS)
    writes, deletes = [], []
    for block, terms in terms_by_block.items():
        stored = _read_blocks(cursor, kind, block, terms)
        for term in terms:
            old_ids, old_impacts, old_flags = unpack(stored.get(term, b""))
            others = ~np.isin(old_ids, changed)
            mine = added.get((term, block), [])
            block_ids = np.concatenate([old_ids[others], np.array([pk for pk, _ in mine], _IDS)])
            if not len(block_ids):
                deletes.append((kind, term, block))
                continue
            impacts = [p.impact for _, p in mine]
            flags = [p.in_title for _, p in mine]
            impacts = np.concatenate([old_impacts[others], np.array(impacts, _IMPACTS)])
            flags = np.concatenate([old_flags[others], np.array(flags, _FLAGS)])
            order = np.argsort(block_ids, kind="stable")
            data = pack(block_ids[order], impacts[order], flags[order])
            writes.append((kind, term, block, data))
    _write_blocks(cursor, writes, deletes)


def _read_blocks(cursor, kind, block, terms):
    """{term: data} of one block number's rows for these terms."""
    placeholders = ", ".join(["%s"] * len(terms))
    cursor.execute(
        "SELECT term, data FROM search_impact WHERE kind = %s AND block = %s "  # noqa: S608 - placeholders only
        f"AND term IN ({placeholders})",
        [kind, block, *terms],
    )
    return dict(cursor.fetchall())


def _write_blocks(cursor, writes, deletes):
    """Store rows of (kind, term, block, data), and drop the (kind, term, block) left empty."""
    if writes:
        cursor.executemany(
            "INSERT INTO search_impact (kind, term, block, data) VALUES (%s, %s, %s, %s) "
            "ON CONFLICT (kind, term, block) DO UPDATE SET data = excluded.data",
            writes,
        )
    if deletes:
        cursor.executemany(
            "DELETE FROM search_impact WHERE kind = %s AND term = %s AND block = %s", deletes
        )


def rebuild(kind, entries):
    """Replace every posting of one kind with those of `entries` ({id: (title, body)}), all
    scored against the same average length: after `update_index`, and in the migration."""
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM search_impact WHERE kind = %s", [kind])
        cursor.execute("DELETE FROM search_impact_entry WHERE kind = %s", [kind])
        lengths = {pk: postings.length(title, body) for pk, (title, body) in entries.items()}
        average = sum(lengths.values()) / len(lengths) if lengths else 0.0
        blocks = {}
        rows = []
        for pk, (title, body) in entries.items():
            found = postings.postings(title, body, average)
            rows.append((kind, pk, lengths[pk], " ".join(p.term for p in found)))
            for posting in found:
                blocks.setdefault((posting.term, pk >> BLOCK_BITS), {})[pk] = (
                    posting.impact,
                    int(posting.in_title),
                )
        cursor.executemany(
            "INSERT INTO search_impact_entry (kind, id, length, terms) VALUES (%s, %s, %s, %s)",
            rows,
        )
        writes = []
        for (term, block), kept in blocks.items():
            order = sorted(kept)
            impacts = [kept[pk][0] for pk in order]
            flags = [kept[pk][1] for pk in order]
            writes.append((kind, term, block, pack(order, impacts, flags)))
        _write_blocks(cursor, writes, [])


# Searching


def _postings(cursor, kinds, terms):
    """{(kind, term): (ids, impacts, flags)} of every entry of these kinds holding one of
    the terms, ids ascending, in one query."""
    placeholders = ", ".join(["%s"] * len(terms))
    kind_placeholders = ", ".join(["%s"] * len(kinds))
    cursor.execute(
        f"SELECT kind, term, data FROM search_impact WHERE kind IN ({kind_placeholders}) "  # noqa: S608 - placeholders only
        f"AND term IN ({placeholders}) ORDER BY kind, term, block",
        [*kinds, *terms],
    )
    parts = {}
    for kind, term, data in cursor.fetchall():
        parts.setdefault((kind, term), []).append(unpack(data))
    return {
        key: tuple(np.concatenate(arrays) for arrays in zip(*blocks, strict=True))
        for key, blocks in parts.items()
    }


def best(kinds, terms, limit, hidden=dict):
    """{kind: ([(id, score)] best first, at most `limit`; how many entries match)}: the
    entries of each kind that hold every term, leaving out the ids `hidden()[kind]` gives
    (asked only when some kind holds every term). Four small queries at most, whatever the
    number of terms and matches.

    Scores are FTS5's BM25 (negative: lower is better, as bm25() returns it) times
    HEADLINE_BOOST when the title holds every term, so ranking.py treats them as before.
    """
    terms = list(dict.fromkeys(postings.fold(term) for term in terms))
    found = dict.fromkeys(kinds, ([], 0))
    with connection.cursor() as cursor:
        lists = _postings(cursor, kinds, terms)
        complete = [kind for kind in kinds if all((kind, term) in lists for term in terms)]
        if not complete:
            return found
        cursor.execute("SELECT kind, COUNT(*) FROM search_impact_entry GROUP BY kind")
        entries = dict(cursor.fetchall())
    left_out = hidden()
    for kind in complete:
        found[kind] = _best_of_kind(
            [lists[kind, term] for term in terms], entries[kind], limit, left_out.get(kind, ())
        )
    return found


def _best_of_kind(lists, entries, limit, hidden):
    # Positions in the shortest list: an entry matches when every other list holds its id.
    lists = sorted(lists, key=lambda found: len(found[0]))
    ids, impacts, flags = lists[0]
    score = impacts.astype(np.float64) * postings.idf(entries, len(ids))
    in_title = flags.astype(bool)
    matched = ~np.isin(ids, np.fromiter(hidden, _IDS)) if hidden else np.ones(len(ids), bool)
    for other_ids, other_impacts, other_flags in lists[1:]:
        where = np.searchsorted(other_ids, ids)
        where[where == len(other_ids)] = 0
        holds = other_ids[where] == ids
        matched &= holds
        weight = postings.idf(entries, len(other_ids))
        score += np.where(holds, other_impacts[where], 0.0) * weight
        in_title &= holds & other_flags[where].astype(bool)
    score = np.where(in_title, score * postings.HEADLINE_BOOST, score)
    count = int(matched.sum())
    candidates = np.flatnonzero(matched)  # positions, so ids ascending
    if len(candidates) > limit:
        # The best `limit`: all above the limit-th best score, then the lowest ids among
        # those equal to it, as FTS5's ORDER BY score, rowid LIMIT chose.
        cut = -np.partition(-score[candidates], limit - 1)[limit - 1]
        above = candidates[score[candidates] > cut]
        tied = candidates[score[candidates] == cut]
        candidates = np.concatenate([above, tied[: limit - len(above)]])
    # Best first; among equal scores the lower id (lexsort's last key sorts first).
    order = candidates[np.lexsort((ids[candidates], -score[candidates]))]
    return [(int(ids[i]), -float(score[i])) for i in order], count


def rebuild_from_index(kind):
    """rebuild() from what Wagtail's index table holds for the kind: the entries' titles
    and bodies as Wagtail wrote them."""
    app_label, model = next(key for key, number in KINDS.items() if number == kind)
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT entry.object_id, entry.title, entry.body "
            "FROM wagtailsearch_indexentry AS entry "
            "JOIN django_content_type AS type ON type.id = entry.content_type_id "
            "WHERE type.app_label = %s AND type.model = %s",
            [app_label, model],
        )
        entries = {int(pk): (title or "", body or "") for pk, title, body in cursor.fetchall()}
    rebuild(kind, entries)


def published(found):
    """{(kind, id): publication date} for these (kind, id) pairs, in one small query."""
    wanted = {}
    for kind, pk in found:
        wanted.setdefault(kind, []).append(pk)
    if not wanted:
        return {}
    selects, params = [], []
    for kind, ids in wanted.items():
        where = "WHERE id IN (SELECT value FROM json_each(%s))"
        selects.append(f"SELECT {kind}, {DATES[kind]} {where}")  # noqa: S608 - constant SQL
        params.append(json.dumps(ids))
    with connection.cursor() as cursor:
        cursor.execute(" UNION ALL ".join(selects), params)
        rows = cursor.fetchall()
    # SQLite keeps Django's aware datetimes as UTC, without the zone.
    return {
        (kind, pk): datetime.fromisoformat(value).replace(tzinfo=UTC) if value else None
        for kind, pk, value in rows
    }
