"""The XSS payload corpus: hand-written families (tests/data/xss/payloads.txt) plus generated
mutations, and the browser-side hooks that report an execution.

The corpus is deterministic (a fixed seed), so a failure names the same payload every run.
A payload is a template: `$CALL` becomes `__xss(<number>)`, where the number says which
payload ran in which field (`number = field * 1000 + payload`), so a report reads
"payload 212 in hero caption ran on /news/x/".
"""

import random
import re
from dataclasses import dataclass
from pathlib import Path

CORPUS = Path(__file__).parent / "data" / "xss" / "payloads.txt"
SEED = 8  # the issue number; any fixed value will do
FIELD_STRIDE = 1000

# What a payload's call may look like inside an attribute after a mutation encoded it. The
# browser decodes character references in attribute values before it runs a handler, so an
# encoded call still runs if the handler survives.
_ENCODINGS = {
    "dec": lambda text: "".join(f"&#{ord(c)};" for c in text),
    "hex": lambda text: "".join(f"&#x{ord(c):x};" for c in text),
    "pad": lambda text: "".join(f"&#{ord(c):07d}" for c in text),  # no semicolons
}
_CALL_IN_ATTRIBUTE = re.compile(r"(\bon[a-z]+=|href=|javascript:)(['\"]?)\$CALL")
_TAG_NAME = re.compile(r"(</?)([a-zA-Z]+)")
_HANDLER = re.compile(r"\b(on[a-z]+)=")
_SPACE_IN_TAG = re.compile(r"(<[a-zA-Z]+) ")
_BARE_VALUE = re.compile(r"(\bon[a-z]+=)\$CALL")
BREAKERS = [
    '">',
    "'>",
    "</textarea>",
    "</title>",
    "</script>",
    "</style>",
    "-->",
    "]]>",
    "</noscript>",
    "</xmp>",
    "*/",
    "</option></select>",
]
WHITESPACE = ["/", "\t", "\n", "\x0c", " \n "]


@dataclass(frozen=True)
class Payload:
    number: int
    family: str
    template: str

    def text(self, field: int) -> str:
        """The payload as written into field number `field`."""
        call = f"__xss({field * FIELD_STRIDE + self.number})"
        text = self.template
        for name, encode in _ENCODINGS.items():
            text = text.replace(f"$CALL:{name}", encode(call))
        return text.replace("$CALL", call)


def _flip_case(rng, text):
    def flip(word):
        return "".join(c.upper() if rng.random() < 0.5 else c.lower() for c in word)

    text = _TAG_NAME.sub(lambda m: m.group(1) + flip(m.group(2)), text)
    text = _HANDLER.sub(lambda m: flip(m.group(1)) + "=", text)
    return re.sub("javascript", lambda m: flip(m.group(0)), text, flags=re.IGNORECASE)


def _whitespace(rng, text):
    return _SPACE_IN_TAG.sub(lambda m: m.group(1) + rng.choice(WHITESPACE), text, count=1)


def _quotes(rng, text):
    quote = rng.choice(['"', "'", "`"])
    return _BARE_VALUE.sub(lambda m: f"{m.group(1)}{quote}$CALL{quote}", text)


def _entities(rng, text):
    name = rng.choice(sorted(_ENCODINGS))
    return _CALL_IN_ATTRIBUTE.sub(lambda m: f"{m.group(1)}{m.group(2)}$CALL:{name}", text)


def _break_out(rng, text):
    return rng.choice(BREAKERS) + text


MUTATIONS = [_flip_case, _whitespace, _quotes, _entities, _break_out]


def _families():
    family = "unnamed"
    for line in CORPUS.read_text(encoding="utf-8").splitlines():
        if line.startswith("## "):
            family = line[3:].strip()
        elif line and not line.startswith("#"):
            yield family, line


def corpus() -> list[Payload]:
    """The hand-written payloads, then two mutations of each (only those that change it)."""
    rng = random.Random(SEED)
    seen, entries = set(), []
    written = list(_families())
    for family, template in written:
        seen.add(template)
        entries.append((family, template))
    for family, template in written:
        for mutate in rng.sample(MUTATIONS, 2):
            mutated = mutate(rng, template)
            if mutated not in seen:
                seen.add(mutated)
                entries.append((f"{family} ({mutate.__name__.strip('_')})", mutated))
    return [Payload(n, family, template) for n, (family, template) in enumerate(entries, 1)]


def pack(texts, limit, separator=" "):
    """As many of `texts` as fit in `limit` characters, joined; the rest, for the next field."""
    taken, length = [], 0
    rest = list(texts)
    while rest and length + len(rest[0]) + (len(separator) if taken else 0) <= limit:
        length += len(rest[0]) + (len(separator) if taken else 0)
        taken.append(rest.pop(0))
    return separator.join(taken), rest


# Runs in every frame before the page's own scripts. Every way a payload can show it ran ends
# in reportXss (a binding to the test, so a report survives the page navigating away).
HOOKS = """
(() => {
  const report = (how, id) => window.reportXss(how, String(id), location.href);
  Object.defineProperty(window, "__xss", { value: (id) => report("call", id), writable: false });
  for (const name of ["alert", "confirm", "prompt", "print"]) {
    window[name] = (arg) => report(name, arg);
  }
})();
"""

# Scans a document for markup that would run on a click, a hover or in another browser even
# if nothing ran here: handlers, script URLs, scripts that are not our own.
SCAN = """
(doc) => {
  doc = doc || document;
  const found = [];
  const scriptUrl = /^[\\s\\u0000-\\u001f]*(javascript|vbscript|data:text\\/html)/i;
  const urlAttributes = ["href", "src", "action", "formaction", "xlink:href", "data", "srcdoc",
                         "poster", "background", "dynsrc", "lowsrc"];
  for (const el of doc.querySelectorAll("*")) {
    for (const attr of el.attributes) {
      const name = attr.name.toLowerCase();
      if (name.startsWith("on")) found.push(`${el.localName}[${name}]`);
      if (name === "srcdoc") found.push(`${el.localName}[srcdoc]`);
      if (urlAttributes.includes(name) && scriptUrl.test(attr.value)) {
        found.push(`${el.localName}[${name}=${attr.value.slice(0, 60)}]`);
      }
      if (name === "style" && /expression|javascript:|behavior/i.test(attr.value)) {
        found.push(`${el.localName}[style=${attr.value.slice(0, 60)}]`);
      }
    }
    if (el.localName === "script") {
      const type = (el.getAttribute("type") || "").toLowerCase();
      if (type === "application/ld+json" || type === "application/json") {
        try { JSON.parse(el.textContent); }
        catch (e) { found.push(`invalid JSON in script: ${el.textContent.slice(0, 60)}`); }
      } else if (!el.src || new URL(el.src).origin !== location.origin) {
        found.push(`script: ${(el.src || el.textContent).slice(0, 60)}`);
      }
    }
    if (["iframe", "embed", "object", "base", "meta"].includes(el.localName)
        && el.closest("body")) {
      found.push(`element: ${el.outerHTML.slice(0, 80)}`);
    }
  }
  return found;
}
"""
