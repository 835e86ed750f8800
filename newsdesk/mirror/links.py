"""Which URLs the mirror copies, where each one lives in the copy, and how links are rewritten.

A mirror must work wherever it is put: opened from a file system (file://), served by any
static host, or behind an onion address. So every link to a copied file becomes a relative
path from the file that contains it, and a directory URL names its index file
(`/news/` seen from `news/some-story/index.html` is `../index.html`), because a file system
has no index documents.

Media served from another origin (NEWSDESK_MEDIA_URL on a CDN or the bucket) is copied too:
its URLs count as the site's own /media/ ones, so the copy never depends on that origin.

The rule for absolute URLs to the site (NEWSDESK_BASE_URL):

- in a link a reader follows or a file a page loads (href, src, srcset, poster, data-*
  URLs, CSS url()), they are made relative like any other internal link, so the copy never
  sends its readers back to an address that may be blocked;
- `<link rel="canonical">`, Open Graph and Twitter `<meta>` tags, JSON-LD and everything
  inside feeds and sitemaps keep (or get) the real site's absolute address: they tell search
  engines, social networks and feed readers which address is the original, and a copy that
  claimed to be the original would split the site's identity across its mirrors;
- forms, and internal URLs the mirror does not copy (the admin, the desk, the API, search
  queries, event streams), point at the real site: a static copy cannot answer them, and an
  absolute link at least works wherever the real site is reachable. The one exception is the
  search box, which leads to the copy's own search page (FORMS_IN_COPY).

No Django here: the origin comes from the caller.
"""

from __future__ import annotations

import functools
import posixpath
import re
from dataclasses import dataclass, field
from urllib.parse import quote, unquote, urlsplit

from newsdesk.mirror import markup

SKIP_PREFIXES = ("/admin/", "/desk/", "/api/", "/search/", "/_util/")
"""Internal URLs that are never copied: editors' screens, the API, Wagtail's password and
login forms, and search, which needs the server."""
PAGINATION = ("page", "older")
"""The only query parameters copied: listing pages (?page=N) and older live updates
(?older=ID). `/news/?page=2` is written as `news/page/2/index.html`."""
FORMS_IN_COPY = {"/search/": "/offline-search/"}
"""Forms the copy answers itself: its search boxes lead to /offline-search/, which searches
the copy's headlines in the browser (newsdesk/search/offline.py)."""
URL_ATTRIBUTES = frozenset({"href", "src", "poster", "cite", "background"})
FORM_ATTRIBUTES = frozenset({"action", "formaction"})
SAFE_IN_PATH = "/-._~!$&'()*+,;=:@"

_CSS_URL = re.compile(
    r"""url\(\s*(?P<quote>['"]?)(?P<url>[^'")]*?)(?P=quote)\s*\)"""
    r"""|@import\s+(?P<iquote>['"])(?P<import>[^'"]+)(?P=iquote)"""
)


@dataclass(frozen=True)
class Origin:
    """The public site the mirror copies, from NEWSDESK_BASE_URL (e.g. https://news.example)."""

    base_url: str
    media_url: str = ""
    """NEWSDESK_MEDIA_URL when media is served from another origin (a CDN, the bucket): its
    files are copied too, as if they were under `media_path` on the site."""
    media_path: str = "/media/"

    @property
    def netloc(self) -> str:
        return urlsplit(self.base_url).netloc.lower()

    def absolute(self, url: str, fragment: str = "") -> str:
        """The real site's address for an internal URL."""
        return self.base_url + quote(url, safe=SAFE_IN_PATH + "?#%") + _fragment(fragment)


@dataclass(frozen=True)
class Link:
    url: str
    """The internal URL: a decoded path, and ?page=N or ?older=N when there is one."""
    file: str
    """Where that URL lives in the mirror, relative to its root."""


@dataclass
class Rewritten:
    text: str
    links: list[Link] = field(default_factory=list)


_BASE_FREE = re.compile(r"\s*(?:/|[A-Za-z][A-Za-z0-9+.-]*:)")
"""A reference that names its path itself (`/news/`, `//host/x`, `https://...`): where it
leads does not depend on the page it is on."""


@functools.lru_cache(maxsize=8192)
def _found(ref: str, base: str, origin: Origin) -> tuple[str, str, str | None, str] | None:
    resolved = resolve(ref, base, origin)
    if resolved is None:
        return None
    url, fragment = resolved
    return url, fragment, file_for(url), origin.absolute(url, fragment)


def found_on_page(ref: str, base: str, origin: Origin) -> tuple[str, str, str | None, str] | None:
    """What a reference on the page at `base` leads to: (internal URL, fragment, the
    mirror's file or None, the real site's address), or None as for resolve(). Remembered:
    the pages of a run share most of their references (the masthead, stylesheets, listing
    and topic links), and working them out was a third of a page's rewriting. A reference
    that names its own path is remembered for every page."""
    return _found(ref, "/" if _BASE_FREE.match(ref) else base, origin)


@functools.lru_cache(maxsize=8192)
def _quoted(path: str) -> str:
    return quote(path, safe=SAFE_IN_PATH)


def resolve(ref: str, base: str, origin: Origin) -> tuple[str, str] | None:
    """(internal URL, fragment) for a reference found on the page at `base`, or None when the
    reference is external, not a URL, or points into the same document."""
    ref = ref.strip()
    if not ref or ref.startswith("#"):
        return None
    if origin.media_url and ref.startswith(origin.media_url):
        ref = origin.media_path + ref[len(origin.media_url) :]
    parts = urlsplit(ref)
    if parts.scheme:
        if parts.scheme.lower() not in ("http", "https") or parts.netloc.lower() != origin.netloc:
            return None
        path = parts.path or "/"
    elif parts.netloc:
        if parts.netloc.lower() != origin.netloc:
            return None
        path = parts.path or "/"
    elif parts.path:
        path = posixpath.join(posixpath.dirname(urlsplit(base).path), parts.path)
    else:
        path = urlsplit(base).path  # "?page=2": the same path, another query
    path = unquote(path)
    trailing = path.endswith("/") or path.endswith("/.") or path.endswith("/..")
    path = posixpath.normpath("/" + path.lstrip("/"))
    if trailing and path != "/":
        path += "/"
    path = "/" + path.lstrip("/")
    return canonical(path, parts.query), parts.fragment


def canonical(path: str, query: str) -> str:
    """One spelling per copied URL: `?page=1` is the listing itself, `?page=02` is `?page=2`."""
    if not query:
        return path
    name, _, value = query.partition("=")
    if name in PAGINATION and value.isdigit() and "&" not in query:
        number = int(value)
        if name == "page" and number <= 1:
            return path
        return f"{path}?{name}={number}"
    return f"{path}?{query}"


def file_for(url: str) -> str | None:
    """The mirror's file for an internal URL, or None when the mirror does not copy it."""
    path, _, query = url.partition("?")
    if path.startswith(SKIP_PREFIXES) or "\x00" in path:
        return None
    if any(part.startswith(".") for part in path.split("/")):
        return None  # "..", and hidden names such as the mirror's own bookkeeping
    if query:
        name, _, value = query.partition("=")
        if name not in PAGINATION or not value.isdigit() or not path.endswith("/"):
            return None
        return f"{path[1:]}{name}/{value}/index.html"
    if path.endswith("/"):
        return path[1:] + "index.html"
    if "." not in path.rsplit("/", 1)[-1]:
        return None  # an endpoint (an event stream, /healthz): no file name, no content type
    return path[1:]


def relative(from_file: str, to_file: str) -> str:
    """The path from one mirrored file to another, as a link in the first one reads it."""
    source = from_file.split("/")[:-1]
    target = to_file.split("/")
    common = 0
    while common < len(source) and common < len(target) - 1 and source[common] == target[common]:
        common += 1
    return "/".join([".."] * (len(source) - common) + target[common:])


def _fragment(fragment: str) -> str:
    return "#" + fragment if fragment else ""


class _Rewriter:
    """Rewrites the references of one file, collecting the mirrored files they point to."""

    def __init__(self, url: str, file: str, origin: Origin):
        self.url = url
        self.file = file
        self.origin = origin
        self.links: list[Link] = []

    def ref(self, ref: str, *, keep_absolute: bool = False, base: str | None = None) -> str:
        found = found_on_page(ref, base or self.url, self.origin)
        if found is None:
            return ref
        url, fragment, target, absolute = found
        if keep_absolute or target is None:
            return absolute
        self.links.append(Link(url, target))
        return _quoted(relative(self.file, target)) + _fragment(fragment)

    def srcset(self, value: str) -> str:
        candidates = []
        for candidate in value.split(","):
            words = candidate.split()
            if words:
                candidates.append(" ".join([self.ref(words[0]), *words[1:]]))
        return ", ".join(candidates)

    def css(self, text: str, base: str | None = None) -> str:
        def replace(match: re.Match[str]) -> str:
            if match.group("import") is not None:
                quote_mark = match.group("iquote")
                new = self.ref(match.group("import"), base=base)
                return f"@import {quote_mark}{new}{quote_mark}"
            url = match.group("url")
            if url.startswith("data:"):
                return match.group(0)
            quote_mark = match.group("quote")
            return f"url({quote_mark}{self.ref(url, base=base)}{quote_mark})"

        return _CSS_URL.sub(replace, text)


def rewrite_html(document: str, url: str, file: str, origin: Origin) -> Rewritten:
    """A page with its references rewritten by the rules in this module's docstring."""
    rewriter = _Rewriter(url, file, origin)
    edits: list[tuple[int, int, str]] = []
    for token in markup.tokens(document, _REWRITTEN):
        if isinstance(token, markup.RawText):
            if token.element == "style":
                css = document[token.start : token.end]
                edits.append((token.start, token.end, rewriter.css(css)))
            continue
        canonical_link = token.name == "link" and "canonical" in (token.get("rel") or "").split()
        for attribute in token.attributes:
            new = _attribute(rewriter, attribute, canonical_link)
            if new is not None and new != attribute.value:
                edits.append((attribute.value_start, attribute.end, markup.quoted(new)))
    return Rewritten(markup.splice(document, edits), rewriter.links)


_REWRITTEN = re.compile(r"href|src|poster|cite|background|action|style|data-", re.I)
"""Every attribute `_attribute` rewrites has one of these in its name (srcset, formaction):
tags without any are not split into attributes (markup.tokens)."""


def _attribute(rewriter: _Rewriter, attribute: markup.Attribute, canonical: bool) -> str | None:
    value = attribute.value
    if value is None:
        return None
    name = attribute.name
    if name in URL_ATTRIBUTES:
        return rewriter.ref(value, keep_absolute=canonical)
    if name in FORM_ATTRIBUTES:
        found = found_on_page(value, rewriter.url, rewriter.origin)
        if found is not None and found[0] in FORMS_IN_COPY:
            return rewriter.ref(FORMS_IN_COPY[found[0]])
        return rewriter.ref(value, keep_absolute=True)
    if name == "srcset":
        return rewriter.srcset(value)
    if name == "style":
        return rewriter.css(value)
    if name.startswith("data-") and _looks_like_url(value, rewriter.origin):
        return rewriter.ref(value)
    return None


def _looks_like_url(value: str, origin: Origin) -> bool:
    value = value.strip()
    return (
        (value.startswith("/") and not value.startswith("//"))
        or value.startswith(origin.base_url + "/")
        or bool(origin.media_url and value.startswith(origin.media_url))
    )


def rewrite_css(text: str, url: str, file: str, origin: Origin) -> Rewritten:
    """A stylesheet with its url() and @import references made relative to its own file."""
    rewriter = _Rewriter(url, file, origin)
    return Rewritten(rewriter.css(text), rewriter.links)


_ABSOLUTE = re.compile(r"""https?://[^\s"'<>\\]+""")


def references(text: str, origin: Origin) -> list[str]:
    """The internal URLs an XML or JSON file (a feed, a sitemap) mentions, left unchanged.

    Feeds keep absolute URLs; the mirror reads them only to know what a feed shows, so that
    it fetches the feed again when one of those pages changes.
    """
    found = []
    for match in _ABSOLUTE.finditer(text):
        resolved = resolve(match.group(0).replace("&amp;", "&"), "/", origin)
        if resolved is not None:
            found.append(resolved[0])
    return found
