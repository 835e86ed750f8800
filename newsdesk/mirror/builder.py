"""`newsdesk mirror OUTDIR`: a static copy of the public site that any static host can serve.

What is copied. Pages are discovered by crawling from "/" and a few entry points (the feeds,
sitemaps and robots.txt, when they answer 200), following every internal link: the home
page, /news/ and its pages, articles, live feeds (as snapshots, see snapshot.py) and the
pages of their older updates, live update permalinks, author and topic pages with their
pages, the feeds pages point to with rel=alternate, and every stylesheet, script, font,
image rendition and narration file a page loads. Editors' screens, the API, search and
query strings other than ?page=N and ?older=N are left out (links.py), as is anything
past `max_pages`. Links are rewritten as links.py explains.

Incremental runs. A full render of a large site takes minutes, and a mirror is meant to be
refreshed every few minutes, so a run renders only what can have changed since the last one.
The manifest (store.py) keeps, for every file, its sha256, the links it contains, and the
*signature* and *card* the site state (changes.py) gave its URL when it was rendered. A run
reads the state again (a few bulk queries) and compares:

1. a page whose own signature changed is rendered: its revision, narration, hero image,
   a listing page's articles (so an article that moves from page 3 to page 4 re-renders
   both), a live feed's sequence number, a live update's last change;
2. a page that links to a page whose card changed (or which is gone) is rendered: a Newsdesk
   page shows something of every page it links to (a headline, a name, a photo), so this
   catches the home page, listing pages, "Related stories" and bylines, wherever they are;
3. a page the state has no signature for (the home page, /live/, robots.txt, the site-wide
   feeds and sitemaps) is fetched again whenever anything at all changed; a feed that
   mentions pages of the site (a topic's, an author's or a live feed's), only when one of
   those pages changed. These requests carry the ETag or Last-Modified of the last copy, so
   a feed that has not changed answers 304 without being built;
4. links found on rendered pages to files the mirror does not have yet are followed (a new
   article, page 501 of /news/), and the static and media files rendered pages use are
   checked against their source's size and modification time.

Signatures are compared, not times, so clock skew, back-dated publishing and scheduled
publishing cannot hide a change. Whatever the plan, a file is written only when its bytes
differ from the copy, so a page that was rendered needlessly costs a render but no write.
When the code or the settings that shape pages change (a deploy), the manifest is missing or
the last run was interrupted, the run is a full one; `--full` forces it.

What it does not see: an image file replaced in place under the same image (the renditions
keep their names), and content Newsdesk does not model (a template that starts showing
something new shows up with the deploy, which forces a full run).

Safety. Nothing in OUTDIR changes until every page has rendered and every internal link in
every HTML and CSS file is known to lead to a file of the mirror (store.py); otherwise the run
fails, lists the broken links with the pages they are on, and leaves the last good copy.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from django.conf import settings
from django.db import connection

from newsdesk.media.config import app_media_path
from newsdesk.mirror import changes, linkcheck, links, plan, renders, snapshot, store
from newsdesk.mirror.render import (
    NOTE_TIME,
    REDIRECTS,
    FileSources,
    Reader,
    Response,
    is_file_url,
    moved_page,
    snapshot_note,
    taken_at,
)
from newsdesk.mirror.summary import MirrorError, Summary

DEFAULT_MAX_PAGES = 200_000


class Builder:
    def __init__(
        self,
        outdir: Path,
        *,
        full: bool = False,
        max_pages: int = DEFAULT_MAX_PAGES,
        progress_every: int = 500,
        log: Callable[[str], None] = print,
        workers: int = 1,
    ):
        self.outdir = Path(outdir).resolve()
        self.force_full = full
        self.max_pages = max_pages
        self.progress_every = progress_every
        self.log = log
        self.workers = max(1, workers)
        self.origin = links.Origin(
            settings.NEWSDESK_BASE_URL,
            media_url=settings.MEDIA_URL if "://" in settings.MEDIA_URL else "",
            media_path=app_media_path(settings.MEDIA_URL),
        )
        self.sources = FileSources()
        self.reader = Reader(self.origin.base_url)
        self.staging = store.Staging(self.outdir)

    def run(self) -> Summary:
        _refuse_data_folders(self.outdir)
        with store.locked(self.outdir), self.reader.session():
            try:
                return self._run()
            finally:
                self.staging.clear()

    # --- The run -------------------------------------------------------------------------

    def _run(self) -> Summary:
        started = time.monotonic()
        self.staging.clear()
        try:
            old = store.Manifest.load(self.outdir)
        except store.StoreError as error:
            self.log(f"Starting over: {error}.")
            old = None
        self.previous = old.files if old else {}
        """Every file earlier runs wrote, to remove what this run no longer produces."""
        if old is not None and (self.outdir / store.INCOMPLETE).exists():
            old = None  # files were being moved when the last run stopped: trust none of it
        self.old = old.files if old else {}
        """The last complete run's files, whose hashes say what the copy holds."""
        self.old_manifest = old
        self.state = changes.load()
        digest = self.state.digest
        fingerprint = plan.code_fingerprint()
        todo = plan.make(
            old,
            self.state,
            base_url=self.origin.base_url,
            fingerprint=fingerprint,
            digest=digest,
            force_full=self.force_full,
        )
        mode = "full" if todo.full else "incremental"
        self.summary = Summary(self.outdir, self.origin.base_url, mode, todo.reason)
        self.full = todo.full
        self.gone = todo.gone
        self.results: dict[str, store.Entry] = {}
        self.visited: set[str] = set()
        self.failures: list[tuple[str, str]] = []
        self.note_time = taken_at()
        phases = self.summary.phases
        phases["plan"] = time.monotonic() - started
        self._crawl(todo.seeds)
        phases["render"] = time.monotonic() - started - sum(phases.values())
        final, to_check = self._final_files()
        self._check(final, to_check)
        phases["check"] = time.monotonic() - started - sum(phases.values())
        self._commit(final, fingerprint, digest)
        phases["write"] = time.monotonic() - started - sum(phases.values())
        self.summary.seconds = time.monotonic() - started
        return self.summary

    def _crawl(self, seeds: list[str]) -> None:
        """Breadth first from the seeds. Pages render in `workers` processes when there are
        several (renders.py); everything else (the plan, files, hashes, staging) stays here,
        in the order results arrive, which changes nothing in what is written."""
        queue = deque(seeds)
        self.summary.workers = self._workers()
        with renders.Pool(self, self.summary.workers) as pool:
            while queue or pool.busy:
                while queue and not pool.full:
                    url = queue.popleft()
                    file = links.file_for(url)
                    if file is None or file in self.visited:
                        continue
                    self.visited.add(file)
                    if len(self.visited) % self.progress_every == 0:
                        self._progress()
                    if is_file_url(url) and (source := self.sources.find(url)) is not None:
                        self._found(file, self._copy(url, file, source), queue)
                    else:
                        pool.submit(url, file, self._validators(file))
                for url, file, rendered in pool.finished():
                    self._found(file, self._rendered(url, file, rendered), queue)

    def _workers(self) -> int:
        if self.workers > 1 and connection.in_atomic_block:
            # Other processes cannot see what this transaction has not committed (tests).
            return 1
        return self.workers

    def _found(self, file: str, found, queue: deque) -> None:
        if found is not None:
            entry, targets = found
            self.results[file] = entry
            queue.extend(link.url for link in targets if self._follow(link))

    def _follow(self, link: links.Link) -> bool:
        if link.file in self.visited:
            return False
        return (
            self.full
            or link.file not in self.old
            or link.file in self.gone
            or is_file_url(link.url)
        )

    def _progress(self) -> None:
        summary = self.summary
        self.log(
            f"  {len(self.visited):,} files checked: {summary.rendered:,} pages rendered, "
            f"{summary.written:,} files to write, {summary.unchanged:,} unchanged"
        )

    # --- One file --------------------------------------------------------------------------

    def _validators(self, file: str) -> dict[str, str | None] | None:
        """The last copy's ETag and Last-Modified, so an unchanged feed answers 304."""
        self.summary.rendered += 1
        if self.summary.rendered > self.max_pages:
            raise MirrorError(
                f"more than {self.max_pages:,} pages: stopping (raise --max-pages if the site "
                "really is that big)"
            )
        old = self.old.get(file)
        if not self.full and old is not None and old.kind == "page":
            return {"etag": old.etag, "last_modified": old.last_modified}
        return None

    def render(self, url: str, file: str, validators) -> renders.Rendered:
        """Fetch one page and rewrite its links: the work a render process does. Reads only
        what does not change during a run (the origin, the note's time)."""
        response = self.reader.get(url, validators)
        rendered = renders.Rendered(response=response)
        if response.status != 200 or response.kind == "stream":
            response.body = b""
            return rendered
        if response.kind == "html":
            text = response.text
            frozen = snapshot.freeze(text, snapshot_note())
            rewritten = links.rewrite_html(frozen or text, url, file, self.origin)
            rendered.links, text = rewritten.links, rewritten.text
            if frozen is not None:
                rendered.content = store.sha256_bytes(text.encode())
                text = text.replace(NOTE_TIME, self.note_time)
            rendered.data = text.encode()
        elif response.kind == "css":
            rewritten = links.rewrite_css(response.text, url, file, self.origin)
            rendered.links, rendered.data = rewritten.links, rewritten.text.encode()
        else:
            rendered.data = response.body
            if response.kind == "text":
                found = links.references(response.text, self.origin)
                mentioned = (links.file_for(reference) for reference in found)
                rendered.mentions = sorted({target for target in mentioned if target})
        response.body = b""  # the bytes travel once, as `data`
        return rendered

    def _rendered(self, url: str, file: str, rendered: renders.Rendered):
        response = rendered.response
        old = self.old.get(file)
        if response.status == 304 and old is not None:
            self.summary.unchanged += 1
            old.signature, old.card = _known(self.state.signature(url)), self.state.card(url)
            return old, [links.Link(_url_of(self.old, target), target) for target in old.links]
        if response.status in REDIRECTS:
            return self._redirect(url, file, response)
        if response.status != 200 or response.kind == "stream":
            if response.status >= 500:
                self.failures.append((url, f"answered {response.status}"))
            return None
        return self._page(url, file, rendered)

    def _page(self, url: str, file: str, rendered: renders.Rendered):
        response = rendered.response
        entry = store.Entry(
            url=url,
            sha256="",
            size=0,
            signature=_known(self.state.signature(url)),
            card=self.state.card(url),
            etag=response.etag,
            last_modified=response.last_modified,
            content=rendered.content,
            mentions=rendered.mentions,
        )
        entry.links = sorted({link.file for link in rendered.links})
        self._store(file, entry, rendered.data)
        return entry, rendered.links

    def _redirect(self, url: str, file: str, response: Response):
        resolved = links.resolve(response.location, url, self.origin)
        target = links.file_for(resolved[0]) if resolved else None
        if resolved and target:
            href = links.relative(file, target)
            found = [links.Link(resolved[0], target)]
        else:
            href, found = response.location, []
        entry = store.Entry(url=url, sha256="", size=0, links=[link.file for link in found])
        self._store(file, entry, moved_page(href))
        return entry, found

    def _copy(self, url: str, file: str, source):
        stamp = source.stamp()
        if stamp is None:
            return None
        old = self.old.get(file)
        if old and old.kind == "asset" and old.signature == stamp and self._on_disk(file):
            self.summary.unchanged += 1
            return old, [links.Link(_url_of(self.old, target), target) for target in old.links]
        entry = store.Entry(url=url, sha256="", size=0, kind="asset", signature=stamp)
        if file.endswith(".css"):
            text = source.read_bytes().decode("utf-8")
            rewritten = links.rewrite_css(text, url, file, self.origin)
            entry.links = sorted({link.file for link in rewritten.links})
            self._store(file, entry, rewritten.text.encode())
            return entry, rewritten.links
        # Both kinds of stamp start with the size in bytes ("SIZE:MTIME", "SIZE:ETAG").
        entry.sha256, entry.size = source.sha256(), int(stamp.split(":", 1)[0])
        if self._same_as_copy(file, entry):
            self.summary.unchanged += 1
        else:
            self.staging.copy(file, source)
            self._written(entry.size)
        return entry, []

    def _store(self, file: str, entry: store.Entry, data: bytes) -> None:
        """Stage the bytes unless the mirror already holds them."""
        entry.sha256, entry.size = store.sha256_bytes(data), len(data)
        old = self.old.get(file)
        if entry.content and old and old.content == entry.content and self._on_disk(file):
            entry.sha256, entry.size = old.sha256, old.size  # the snapshot keeps its old time
            self.summary.unchanged += 1
        elif self._same_as_copy(file, entry):
            self.summary.unchanged += 1
        else:
            self.staging.put(file, data)
            self._written(len(data))

    def _same_as_copy(self, file: str, entry: store.Entry) -> bool:
        old = self.old.get(file)
        if old is not None:
            return old.sha256 == entry.sha256 and self._on_disk(file)
        path = self.outdir / file
        return (
            path.is_file()
            and path.stat().st_size == entry.size
            and (store.sha256_file(path) == entry.sha256)
        )

    def _on_disk(self, file: str) -> bool:
        return (self.outdir / file).is_file()

    def _written(self, size: int) -> None:
        self.summary.written += 1
        self.summary.written_bytes += size

    # --- Finishing -------------------------------------------------------------------------

    def _final_files(self) -> tuple[dict[str, store.Entry], list[str]]:
        """The files of the new mirror, and those whose links need checking.

        A full run, or one in which a file went away or a page stopped linking somewhere,
        keeps only what the entry points still lead to, and checks every file. Otherwise
        nothing can have become unreachable, and the files kept from the last run still lead
        where they led when they were checked, so only what this run produced is checked.
        """
        final = dict(self.results)
        if not self.full:
            for file, entry in self.old.items():
                if file not in self.visited and file not in self.gone:
                    final.setdefault(file, entry)
            if not self._links_dropped():
                return final, list(self.results)
        graph = {file: entry.links for file, entry in final.items()}
        roots = [file for url in plan.ENTRY_POINTS if (file := links.file_for(url)) in final]
        linked = linkcheck.reachable(graph, roots)
        kept = {file: final[file] for file in sorted(linked) if file in final}
        return kept, list(kept)

    def _links_dropped(self) -> bool:
        if self.gone or len(self.results) < len(self.visited):
            return True  # a page or file is gone
        return any(
            not set(self.old[file].links) <= set(entry.links)
            for file, entry in self.results.items()
            if file in self.old
        )

    def _check(self, final: dict[str, store.Entry], files: list[str]) -> None:
        graph = {file: final[file].links for file in files}
        broken = [
            (final[problem.page].url, links.relative(problem.page, problem.target))
            for problem in linkcheck.broken_links(graph, final)
        ]
        self.summary.broken = len(broken)
        if self.failures or broken:
            lines = [f"{url} {reason}" for url, reason in self.failures]
            lines += [
                f"{page} links to {target}, which is not in the mirror" for page, target in broken
            ]
            raise MirrorError(
                f"{len(self.failures)} page(s) failed and {len(broken)} link(s) are broken; "
                "the mirror was left as it was:\n  " + "\n  ".join(lines),
                broken,
            )

    def _manifest_changed(self, fingerprint: str, digest: str) -> bool:
        """False when the last manifest still says everything (it is the largest file written)."""
        old = self.old_manifest
        return (
            old is None
            or (old.fingerprint, old.digest, old.base_url)
            != (fingerprint, digest, self.origin.base_url)
            or any(entry != self.old.get(file) for file, entry in self.results.items())
        )

    def _commit(self, final: dict[str, store.Entry], fingerprint: str, digest: str) -> None:
        removed = sorted(file for file in self.previous if file not in final)
        marker = self.outdir / store.INCOMPLETE
        if self.staging.files or removed:
            store.write_atomic(marker, b"", durable=True)
        for file in list(self.staging.files):
            if file not in final:  # rendered, but nothing links to it any more
                del self.staging.files[file]
        moved = bool(self.staging.files)
        self.staging.commit()
        store.remove(self.outdir, removed)
        if moved or removed or self._manifest_changed(fingerprint, digest):
            manifest = store.Manifest(
                base_url=self.origin.base_url,
                fingerprint=fingerprint,
                digest=digest,
                generated_at=datetime.now(UTC).isoformat(timespec="seconds"),
                files=final,
            )
            manifest.save(self.outdir)
        marker.unlink(missing_ok=True)
        summary = self.summary
        summary.removed = len(removed)
        summary.files = len(final)
        summary.pages = sum(1 for entry in final.values() if entry.kind == "page")
        summary.total_bytes = sum(entry.size for entry in final.values())


def _known(signature: str | None) -> str | None:
    return None if signature == changes.VANISHED else signature


def _url_of(files: dict[str, store.Entry], file: str) -> str:
    entry = files.get(file)
    return entry.url if entry else "/" + file


def _refuse_data_folders(outdir: Path) -> None:
    """A mirror removes files it wrote before; keep it apart from the site's own files."""
    for name in ("DATA_DIR", "MEDIA_ROOT", "STATIC_ROOT"):
        value = getattr(settings, name, None)
        if not value:
            continue
        folder = Path(value).resolve()
        inside = name != "DATA_DIR" and folder in outdir.parents
        if outdir == folder or outdir in folder.parents or inside:
            raise MirrorError(f"{outdir} overlaps {name} ({folder}); choose another folder")
