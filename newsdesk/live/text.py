"""Plain text typed by editors, scripts and bots, turned into the rich text updates store."""

import html

from bs4 import BeautifulSoup, CData, Declaration, Doctype, ProcessingInstruction
from bs4.formatter import HTMLFormatter

# Wagtail's whitelist drops comments but keeps these as they came. A browser reads
# `<![CDATA[>` or `<?x >` in HTML as a comment that ends at the first `>`, so markup hidden
# after it (`<![CDATA[><script>…`) would come alive on the page.
_DECLARATIONS = (CData, Declaration, Doctype, ProcessingInstruction)
# How Wagtail's whitelist writes rich text (django.utils.html.escape, which is html.escape:
# " as &quot;, attributes in double quotes), which its link and embed rewriting expects.
_AS_WAGTAIL_WRITES = HTMLFormatter(entity_substitution=html.escape)


def paragraphs(text: str) -> str:
    """Escaped text, one <p> per paragraph; blank lines separate paragraphs."""
    blocks = [block.strip() for block in text.replace("\r\n", "\n").split("\n\n")]
    return "".join(f"<p>{html.escape(block)}</p>" for block in blocks if block)


def without_declarations(markup: str) -> tuple[str, int]:
    """Rich text without CDATA sections, processing instructions and doctypes, and how many
    were removed (with everything inside them)."""
    if "<!" not in markup and "<?" not in markup:
        return markup, 0
    soup = BeautifulSoup(markup, "html.parser")
    found = soup.find_all(string=lambda node: isinstance(node, _DECLARATIONS))
    for node in found:
        node.extract()
    if not found:
        return markup, 0
    return soup.decode(formatter=_AS_WAGTAIL_WRITES), len(found)
