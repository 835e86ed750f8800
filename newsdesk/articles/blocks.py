"""The blocks an article body is made of."""

from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from wagtail import blocks
from wagtail.embeds.blocks import EmbedBlock
from wagtail.images.blocks import ImageChooserBlock
from wagtail.rich_text import RichText

from newsdesk.core.plaintext import html_to_text

PARAGRAPH_FEATURES = ["bold", "italic", "link", "ol", "ul"]
READ_ALOUD_BLOCKS = ("paragraph", "heading", "quote")
"""Body blocks the narration reads; images and embeds never are (their captions are glanced at)."""


def exclude_from_audio_block():
    return blocks.BooleanBlock(
        required=False,
        label=_("Exclude from audio"),
        help_text=_("Leave this block out of the narrated version of the article."),
    )


class ParagraphBlock(blocks.StructBlock):
    """Rich text, with a switch to leave it out of the narration.

    Paragraphs used to be bare rich-text blocks; a plain string (from old rows, revisions and
    code that builds bodies) is still accepted and read as an included paragraph.
    """

    text = blocks.RichTextBlock(features=PARAGRAPH_FEATURES, label=_("Text"))
    exclude_from_audio = exclude_from_audio_block()

    class Meta:
        icon = "pilcrow"
        form_classname = "struct-block paragraph-block"

    def render(self, value, context=None):
        # Without a template: a body is mostly paragraphs and headings, and a block with a
        # template copies the page's whole context and renders that template, block by block.
        return format_html("{}\n", value["text"])

    def to_python(self, value):
        if isinstance(value, str):
            value = {"text": value}
        return super().to_python(value)

    def normalize(self, value):
        if isinstance(value, (str, RichText)):
            value = {"text": value}
        return super().normalize(value)


class HeadingBlock(blocks.StructBlock):
    text = blocks.CharBlock(label=_("Heading"), max_length=200)
    level = blocks.ChoiceBlock(
        choices=[("h2", _("Section heading")), ("h3", _("Sub-heading"))],
        default="h2",
    )
    exclude_from_audio = exclude_from_audio_block()

    class Meta:
        icon = "title"

    def render(self, value, context=None):
        tag = "h3" if value.get("level") == "h3" else "h2"  # as ParagraphBlock: no template
        return format_html("<{tag}>{text}</{tag}>\n", tag=tag, text=value["text"])


class QuoteBlock(blocks.StructBlock):
    text = blocks.TextBlock(label=_("Quotation"))
    attribution = blocks.CharBlock(
        required=False, help_text=_("Who said it, e.g. 'Oksana Marchenko, mayor of Sumy'.")
    )
    exclude_from_audio = exclude_from_audio_block()

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
    paragraph = ParagraphBlock()
    heading = HeadingBlock()
    quote = QuoteBlock()
    image = ImageBlock()
    embed = EmbedWithCaptionBlock()


def readable_text(body) -> str:
    """The words of a body that a reader reads: paragraphs, headings and quotations.

    Captions, credits and embeds are left out; they are glanced at, not read.
    """
    parts = []
    for block in body:
        if block.block_type == "paragraph":
            parts.append(html_to_text(block.value["text"].source))
        elif block.block_type == "heading" or block.block_type == "quote":
            parts.append(block.value["text"])
    return "\n".join(parts)
