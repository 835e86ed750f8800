"""The text of rich text (newsdesk/core/plaintext.py), as structured data, feeds, search,
reading time and narration read it."""

import pytest

from newsdesk.core.plaintext import html_to_line, html_to_text


@pytest.mark.parametrize(
    ("markup", "text"),
    [
        (
            "<p>Shelters open at 6 p.m.</p><p>Expect delays.</p>",
            "Shelters open at 6 p.m.\nExpect delays.",
        ),
        ("<h2>What next</h2><p>Repairs.</p>", "What next\nRepairs."),
        ("<ul><li>Water</li><li>Power</li></ul>", "Water\nPower"),
        ("<blockquote>We are ready.</blockquote>said the mayor", "We are ready.\nsaid the mayor"),
        ("Line one<br>line two<br/>three", "Line one\nline two\nthree"),
        ("<p><i>today</i>.</p>", "today."),  # inline markup leaves no gap
        ("<p>48<b>,000</b> homes</p>", "48,000 homes"),
        ("<p>Tom &amp; Jerry&nbsp;&mdash; again</p>", "Tom & Jerry — again"),
        ("<p>a source\nline break</p>", "a source line break"),
        ("<p>kept</p><script>alert(1)</script><style>p{}</style>", "kept"),
        ("<p>  </p><p></p>", ""),
        ("plain words", "plain words"),
        ("", ""),
    ],
)
def test_blocks_become_lines_and_inline_markup_leaves_no_gap(markup, text):
    assert html_to_text(markup) == text


def test_one_line_joins_blocks_with_a_space():
    assert html_to_line("<p>at 6 p.m.</p><p>Expect</p>") == "at 6 p.m. Expect"
