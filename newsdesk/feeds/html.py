"""Article HTML made fit for feed readers: safe, and with absolute addresses.

A feed reader shows our HTML outside our site, so relative links would point at the reader's
own host, and anything our pages can afford to trust (rich text saved through the admin's
whitelist) may have reached the database another way (imports, scripts). `clean` keeps an
allowlist of tags and attributes, drops scripts, styles and frames with their content, and
resolves every link and image address against the entry's own URL, keeping only http(s),
mailto and tel addresses. Pure: no Django import.
"""

from html import escape
from html.parser import HTMLParser
from urllib.parse import urljoin, urlsplit

ALLOWED = {
    "a": {"href", "title"},
    "abbr": {"title"},
    "b": set(),
    "blockquote": set(),
    "br": set(),
    "cite": set(),
    "code": set(),
    "em": set(),
    "figcaption": set(),
    "figure": set(),
    "h2": set(),
    "h3": set(),
    "h4": set(),
    "hr": set(),
    "i": set(),
    "img": {"src", "alt", "width", "height"},
    "li": set(),
    "ol": set(),
    "p": set(),
    "s": set(),
    "small": set(),
    "span": set(),
    "strong": set(),
    "sub": set(),
    "sup": set(),
    "ul": set(),
}
VOID = {"br", "hr", "img"}
DROPPED_WITH_CONTENT = {
    "script",
    "style",
    "iframe",
    "object",
    "embed",
    "template",
    "noscript",
    "svg",
    "math",
    "textarea",
    "select",
}
URL_ATTRIBUTES = {"href", "src"}
SCHEMES = {"http", "https", "mailto", "tel"}


def absolute_url(value: str, base: str) -> str | None:
    """`value` resolved against `base`, or None when it is not an address we pass on."""
    resolved = urljoin(base, value.strip())
    scheme = urlsplit(resolved).scheme.lower()
    return resolved if scheme in SCHEMES else None


class _Cleaner(HTMLParser):
    def __init__(self, base: str) -> None:
        super().__init__(convert_charrefs=True)
        self.base = base
        self.out: list[str] = []
        self.open: list[str] = []
        self.skipping: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if self.skipping:
            if tag == self.skipping[-1]:
                self.skipping.append(tag)
            return
        if tag in DROPPED_WITH_CONTENT:
            self.skipping.append(tag)
            return
        if tag not in ALLOWED:
            return
        kept = self._attributes(tag, attrs)
        if tag == "img" and "src" not in kept:
            return
        rendered = "".join(f' {name}="{escape(value)}"' for name, value in kept.items())
        self.out.append(f"<{tag}{rendered}>")
        if tag not in VOID:
            self.open.append(tag)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)
        if tag not in VOID and self.open and self.open[-1] == tag:
            self.handle_endtag(tag)

    def _attributes(self, tag: str, attrs: list[tuple[str, str | None]]) -> dict[str, str]:
        kept = {}
        for name, value in attrs:
            if name not in ALLOWED[tag] or value is None:
                continue
            if name in URL_ATTRIBUTES:
                value = absolute_url(value, self.base)
                if value is None:
                    continue
            kept[name] = value
        return kept

    def handle_endtag(self, tag: str) -> None:
        if self.skipping:
            if tag == self.skipping[-1]:
                self.skipping.pop()
            return
        if tag not in self.open:
            return
        while self.open:
            current = self.open.pop()
            self.out.append(f"</{current}>")
            if current == tag:
                break

    def handle_data(self, data: str) -> None:
        if not self.skipping:
            self.out.append(escape(data, quote=False))

    def result(self) -> str:
        self.close()
        self.out.extend(f"</{tag}>" for tag in reversed(self.open))
        self.open = []
        return "".join(self.out)


def clean(markup: str, base: str) -> str:
    """`markup` with only allowed tags and attributes, and every address absolute."""
    cleaner = _Cleaner(base)
    cleaner.feed(markup)
    return cleaner.result()
