"""Article feeds from stored entries: each entry written once per format and kept.

A feed miss used to load its fifty articles with everything they show and write every entry
(docs/caching.md#feeds). An entry changes only when its article does, so each article's
entry is a stored part (newsdesk/parts) per format and mode: the RSS <item>, the Atom <entry>
and the JSON Feed item, written by the feed writers themselves (writers.ENTRY_WRITERS), with
their escaping. A miss reads the feed's entries in one query and joins them; an entry not
stored is built with the others missing, written in all three formats and kept. The same
entry serves the site feed and every topic and author feed the article is in.

Its tags are its article's (page:<id>: a publish, a move, narration audio), its photos'
(hero and body: image:<id>), its authors' and topics' names (articles.author:<id>,
articles.topic:<id>) and every-page, as for any part; the feed's own order and membership
come from its version rows on each request, never from a stored entry.
"""

from newsdesk.feeds import articles, writers
from newsdesk.pagecache import recorder
from newsdesk.parts import store

FORMATS = tuple(writers.ENTRY_WRITERS)


def part_name(fmt, full):
    return f"feed-entry-{fmt}-{'full' if full else 'summary'}"


def _ref(pk):
    return f"articles.articlepage.{pk}"  # the name store gives the article itself


def written_entries(ids, fmt, *, full):
    """The entries of the articles with these ids, in this order, written in `fmt`."""
    if not store.in_request():
        return articles.entries(articles.for_feed(ids), full=full)
    lang = store.language()
    name = part_name(fmt, full)
    keys = {pk: store.subject(name, _ref(pk), lang) for pk in ids}
    store.prefetch(name, [_ref(pk) for pk in ids])
    written = {}
    outer = recorder.current()
    for pk, key in keys.items():
        found = store.get(key, key)
        if found is not None:
            written[pk] = found[0]
            if outer is not None:
                recorder.merge(outer, found[1])
    missing = [pk for pk in ids if pk not in written]
    if missing:
        written.update(_build(missing, fmt, full, lang))
    return [written[pk] for pk in ids if pk in written]


def _build(ids, fmt, full, lang):
    """Write the missing entries in every format and keep them; their text in `fmt`."""
    started = store.current_generation()  # before any row is read (store.store)
    outer = recorder.current()
    found = articles.for_feed(ids)
    batch = articles.Batch(found, full=full)
    written = {}
    for article in found:
        with recorder.nested() as recorded:
            entry = batch.entry(article)
        if outer is not None:
            recorder.merge_recorded(outer, recorded)
        tags = store.tags_of_build(recorded, [article]) | batch.shown(article)
        for one in FORMATS:
            text = writers.ENTRY_WRITERS[one](entry)
            key = store.subject(part_name(one, full), _ref(article.pk), lang)
            store.keep(key, key, text, tags, started)
            if one == fmt:
                written[article.pk] = text
    return written
