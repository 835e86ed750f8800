"""The blocks an article body is made of."""

import html
import re

from django.utils.translation import gettext_lazy as _
from wagtail import blocks
from wagtail.embeds.blocks import EmbedBlock
from wagtail.images.blocks import ImageChooserBlock

PARAGRAPH_FEATURES = ["bold", "italic", "link", "ol", "ul"]


class HeadingBlock(blocks.StructBlock):
    text = blocks.CharBlock(label=_("Heading"), max_length=200)
    level = blocks.ChoiceBlock(
        choices=[("h2", _("Section heading")), ("h3", _("Sub-heading"))],
        default="h2",
    )

    class Meta:
        icon = "title"
        template = "articles/blocks/heading.html"


class QuoteBlock(blocks.StructBlock):
    text = blocks.TextBlock(label=_("Quotation"))
    attribution = blocks.CharBlock(
        required=False, help_text=_("Who said it, e.g. 'Oksana Marchenko, mayor of Sumy'.")
    )

    class Meta:
        icon = "openquote"
        template = "articles/blocks/quote.html"


class ImageBlock(blocks.StructBlock):
    image = ImageChooserBlock()
    alt = blocks.CharBlock(
        label=_("Alt text"),
        max_length=300,
        help_text=_("What the image shows, for readers who cannot see it. Required."),
    )
    caption = blocks.CharBlock(required=False, max_length=500)
    credit = blocks.CharBlock(
        required=False, max_length=255, help_text=_("Leave empty to use the image's own credit.")
    )

    class Meta:
        icon = "image"
        template = "articles/blocks/image.html"


class EmbedWithCaptionBlock(blocks.StructBlock):
    embed = EmbedBlock(help_text=_("A link to a video or post, e.g. on YouTube or Vimeo."))
    caption = blocks.CharBlock(required=False, max_length=500)

    class Meta:
        icon = "media"
        template = "articles/blocks/embed.html"


class ArticleBodyBlock(blocks.StreamBlock):
    paragraph = blocks.RichTextBlock(features=PARAGRAPH_FEATURES, icon="pilcrow")
    heading = HeadingBlock()
    quote = QuoteBlock()
    image = ImageBlock()
    embed = EmbedWithCaptionBlock()


_TAG = re.compile(r"<[^>]*>")


def html_to_text(markup: str) -> str:
    """Text of an HTML fragment; tags become spaces so "<p>a</p><p>b</p>" stays two words."""
    return html.unescape(_TAG.sub(" ", markup))


def readable_text(body) -> str:
    """The words of a body that a reader reads: paragraphs, headings and quotations.

    Captions, credits and embeds are left out; they are glanced at, not read.
    """
    parts = []
    for block in body:
        if block.block_type == "paragraph":
            parts.append(html_to_text(block.value.source))
        elif block.block_type == "heading" or block.block_type == "quote":
            parts.append(block.value["text"])
    return "\n".join(parts)
