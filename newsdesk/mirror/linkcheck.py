"""Does every link in the mirror lead somewhere? Graph checks, and a scan of files on disk.

The builder checks the links it extracted while rewriting (`broken_links`), before it
writes anything; `check_tree` reads the written files back, independently of the builder, for
tests and for anyone who wants to check a copy they were handed. No Django here.
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote, urlsplit

from newsdesk.mirror import markup

LINK_ATTRIBUTES = frozenset({"href", "src", "poster", "cite", "background"})
_CSS_URL = re.compile(r"""url\(\s*(['"]?)([^'")]*?)\1\s*\)|@import\s+(['"])([^'"]+)\3""")


@dataclass(frozen=True, order=True)
class Broken:
    page: str
    """The file the link is on."""
    target: str
    """The file it should lead to, or the reference itself when it cannot be resolved."""
    reason: str = "missing"


def broken_links(graph: Mapping[str, Iterable[str]], files: Collection[str]) -> list[Broken]:
    """Every (page, target) in the graph whose target is not one of `files`."""
    return sorted(
        Broken(page, target)
        for page, targets in graph.items()
        for target in set(targets)
        if target not in files
    )


def reachable(graph: Mapping[str, Iterable[str]], roots: Iterable[str]) -> set[str]:
    """Every file reached from the roots by following links (the roots included)."""
    seen = set()
    stack = list(roots)
    while stack:
        file = stack.pop()
        if file in seen:
            continue
        seen.add(file)
        stack.extend(target for target in graph.get(file, ()) if target not in seen)
    return seen


def references_in(document: str, kind: str) -> list[str]:
    """The link and resource references written in an HTML or CSS document."""
    if kind == "css":
        return _css_references(document)
    found = []
    for token in markup.tokens(document):
        if isinstance(token, markup.RawText):
            if token.element == "style":
                found += _css_references(document[token.start : token.end])
            continue
        if token.name == "link" and "canonical" in (token.get("rel") or "").split():
            continue
        for attribute in token.attributes:
            value = attribute.value
            if value is None:
                continue
            if attribute.name in LINK_ATTRIBUTES or (
                attribute.name.startswith("data-") and value.startswith(("/", "."))
            ):
                found.append(value)
            elif attribute.name == "srcset":
                found += [part.split()[0] for part in value.split(",") if part.split()]
            elif attribute.name == "style":
                found += _css_references(value)
    return found


def _css_references(text: str) -> list[str]:
    return [
        match.group(2) if match.group(2) is not None else match.group(4)
        for match in _CSS_URL.finditer(text)
        if not (match.group(2) or "").startswith("data:")
    ]


def target_of(file: str, reference: str) -> str | Broken | None:
    """The mirrored file a reference in `file` leads to; None for external and in-page links;
    a Broken for a reference that can never work in a copy (a root-absolute path such as
    "/news/", which a file system resolves to its own root)."""
    reference = reference.strip()
    parts = urlsplit(reference)
    if not reference or reference.startswith("#") or parts.scheme or parts.netloc:
        return None
    if reference.startswith("/"):
        return Broken(file, reference, "absolute path")
    path = posixpath.normpath(posixpath.join(posixpath.dirname(file), unquote(parts.path)))
    if path == ".." or path.startswith("../"):
        return Broken(file, reference, "outside the mirror")
    return path


def scan(root: Path) -> dict[str, list[str | Broken]]:
    """For every HTML and CSS file under root: the files its links lead to."""
    graph: dict[str, list[str | Broken]] = {}
    for path in sorted(root.rglob("*")):
        kind = path.suffix.lstrip(".").lower()
        if kind == "htm":
            kind = "html"
        if kind not in ("html", "css") or not path.is_file():
            continue
        file = path.relative_to(root).as_posix()
        if file.startswith("."):
            continue  # the builder's own bookkeeping
        document = path.read_text(encoding="utf-8", errors="replace")
        targets = [target_of(file, reference) for reference in references_in(document, kind)]
        graph[file] = [target for target in targets if target is not None]
    return graph


def check_tree(root: Path) -> list[Broken]:
    """Every link in the HTML and CSS files under root that does not lead to a file there."""
    problems = set()
    for file, targets in scan(root).items():
        for target in targets:
            if isinstance(target, Broken):
                problems.add(target)
            elif not (root / target).is_file():
                problems.add(Broken(file, target))
    return sorted(problems)
