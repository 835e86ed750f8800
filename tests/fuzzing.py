"""Shared pieces of the property-based (hypothesis) tests: settings and hostile HTML.

Every fuzz test is derandomised, so it tries the same examples on every run and on CI: a
failure repeats until it is fixed, and hypothesis prints the smallest failing input.
"""

import html
import re
from html.parser import HTMLParser
from urllib.parse import urlsplit

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

FUZZ = settings(
    max_examples=150,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)

# --- hostile HTML ----------------------------------------------------------------------------

TAGS = [
    # what sanitisers keep
    "p", "a", "b", "strong", "i", "em", "br", "ul", "ol", "li", "img", "h2", "h3", "blockquote",
    "span", "figure", "code", "hr",
    # what they must drop, some with their content
    "script", "style", "iframe", "object", "embed", "svg", "math", "template", "noscript",
    "textarea", "select", "form", "input", "button", "base", "meta", "link", "title", "frame",
    "video", "audio", "source", "div", "table", "td", "x-widget", "SCRIPT", "ScRiPt", "image",
]  # fmt: skip
ATTRIBUTES = [
    "href", "src", "title", "alt", "width", "style", "class", "id", "onclick", "onerror",
    "onload", "ONMOUSEOVER", "onfocus", "srcset", "formaction", "action", "xlink:href",
    "data-x", "background", "poster", "lowsrc", "dynsrc", "autofocus",
]  # fmt: skip
HOSTILE_URLS = [
    "javascript:alert(1)",
    "JaVaScRiPt:alert(1)",
    " javascript:alert(1)",
    "java\tscript:alert(1)",
    "java\nscript:alert(1)",
    "java&#09;script:alert(1)",
    "&#106;avascript:alert(1)",
    "&#x6A;&#x61;vascript:alert(1)",
    "\x01javascript:alert(1)",
    "javascript&colon;alert(1)",
    "vbscript:msgbox(1)",
    "data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==",
    "data:image/svg+xml,<svg onload=alert(1)>",
    "livescript:alert(1)",
    "//evil.example/x.js",
    "/relative/path",
    "../up",
    "?q=1",
    "#top",
    "https://example.org/a?b=1&c=2",
    'http://example.org/"onmouseover=alert(1)',
    "mailto:desk@example.org",
    "tel:+380441234567",
    "ftp://example.org/file",
    "",
]
TEXT_PIECES = [
    "<",
    ">",
    "&",
    "&amp;",
    "&lt;script&gt;alert(1)&lt;/script&gt;",
    "&#60;script&#62;",
    "]]>",
    "<![CDATA[x]]>",
    "<!--",
    "-->",
    "<!-- comment -->",
    "<!DOCTYPE html>",
    "<?xml version='1.0'?>",
    "</p>",
    "</script>",
    "<scr<script>ipt>alert(1)</script>",
    "<img src=x onerror=alert(1)>",
    "<a href=javascript:alert(1)>x</a>",
    "<svg/onload=alert(1)>",
    '"',
    "'",
    "`",
    "\x00",
    "\u2028",
    "\ufeff",
    "\n\n",
]

attribute_values = st.one_of(
    st.sampled_from(HOSTILE_URLS),
    st.text(max_size=12),
)


def _render_attribute(item):
    name, value, quote = item
    if quote == "none":
        return f" {name}={value.replace(' ', '')}" if value else f" {name}"
    return f" {name}={quote}{value.replace(quote, '')}{quote}"


attributes = st.lists(
    st.tuples(st.sampled_from(ATTRIBUTES), attribute_values, st.sampled_from(['"', "'", "none"])),
    max_size=3,
).map(lambda items: "".join(_render_attribute(item) for item in items))

texts = st.one_of(st.sampled_from(TEXT_PIECES), st.text(max_size=10))


def _element(children):
    def render(parts):
        tag, attrs, inner, closing = parts
        inner = "".join(inner)
        if closing == "none":
            return f"<{tag}{attrs}>{inner}"
        if closing == "self":
            return f"<{tag}{attrs}/>{inner}"
        return f"<{tag}{attrs}>{inner}</{tag}>"

    return st.tuples(
        st.sampled_from(TAGS),
        attributes,
        st.lists(children, max_size=4),
        st.sampled_from(["close", "close", "none", "self"]),
    ).map(render)


html_fragments = st.recursive(texts, _element, max_leaves=25)
"""Nested, often broken HTML from a vocabulary of safe and dangerous tags and attributes."""

# --- checks on sanitised output --------------------------------------------------------------

DANGEROUS_TAGS = {
    "script", "style", "iframe", "object", "embed", "svg", "math", "template", "noscript",
    "textarea", "select", "form", "input", "button", "base", "meta", "link", "title", "frame",
    "video", "audio", "source", "image",
}  # fmt: skip
URL_ATTRIBUTES = {"href", "src", "srcset", "formaction", "action", "xlink:href", "background"}
SAFE_SCHEMES = {"http", "https", "mailto", "tel"}
_INVISIBLE = re.compile(r"[\x00-\x20\x7f-\xa0]+")


class _Collector(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.tags = []  # (tag, {attribute: value})

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))

    handle_startendtag = handle_starttag


def parsed_tags(markup):
    """Every start tag in `markup` as a browser-like parser sees it: (tag, attributes)."""
    collector = _Collector()
    collector.feed(markup)
    collector.close()
    return collector.tags


def unsafe_parts(markup):
    """What in sanitised markup could run script: [] for safe output."""
    found = []
    if re.search(r"<\s*/?\s*(script|iframe|svg|object|embed|style)", markup, re.IGNORECASE):
        found.append("raw dangerous tag")
    for tag, attrs in parsed_tags(markup):
        if tag in DANGEROUS_TAGS:
            found.append(f"<{tag}>")
        for name, value in attrs.items():
            if name.startswith("on") or name == "style":
                found.append(f"{tag}[{name}]")
            if name in URL_ATTRIBUTES and value is not None:
                scheme = urlsplit(_INVISIBLE.sub("", html.unescape(value))).scheme.lower()
                if scheme and scheme not in SAFE_SCHEMES:
                    found.append(f"{tag}[{name}={value!r}]")
    return found
