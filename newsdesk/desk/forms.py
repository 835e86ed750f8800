"""The desk's forms. The body is typed as plain text and stored as escaped <p> paragraphs."""

import copy

from bs4 import BeautifulSoup, NavigableString
from django import forms
from django.conf import settings
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext_lazy as _
from wagtail.images import get_image_model

from newsdesk.images.forms import ACCEPT
from newsdesk.live import media
from newsdesk.live.models import LiveUpdate, Verification
from newsdesk.live.text import paragraphs

PUBLISH, DRAFT = "publish", "draft"
# Form field -> LiveUpdate field, for the fields every form shares (the names are the same).
UPDATE_FIELDS = [
    "headline",
    "body",
    "source_name",
    "source_channel",
    "source_url",
    "verification",
    "is_key_event",
    "is_pinned",
    "embed_url",
]
PICTURE_FIELDS = ["image_alt", "image_caption", "image_credit"]
LIBRARY_CHOICES = 40
"""How many of the library's newest images the picker offers (and the update's own)."""


def _max_length(name):
    return LiveUpdate._meta.get_field(name).max_length


def body_text(body_html):
    """(plain text, has_formatting): the stored body as the textarea shows it.

    Bodies written here are plain paragraphs and come back exactly. Bodies with links, lists
    or bold (from the API) come back as their text, and has_formatting says so.
    """
    soup = BeautifulSoup(body_html or "", "html.parser")
    blocks, formatted = [], False
    for node in soup.contents:
        if isinstance(node, NavigableString):
            blocks.append(str(node))
            continue
        if node.name != "p" or node.find(True) is not None:
            formatted = True
        blocks.append(node.get_text("\n" if node.name in {"ul", "ol"} else ""))
    return "\n\n".join(block.strip() for block in blocks if block.strip()), formatted


def normalise(text):
    return "\n\n".join(
        block.strip() for block in text.replace("\r\n", "\n").split("\n\n") if block.strip()
    )


class UpdateForm(forms.Form):
    """What an editor types for one update."""

    headline = forms.CharField(label=_("Headline"), max_length=_max_length("headline"))
    body = forms.CharField(
        label=_("Text"),
        required=False,
        strip=False,
        widget=forms.Textarea(attrs={"rows": 7}),
        help_text=_("Plain text. Leave an empty line between paragraphs."),
    )
    source_name = forms.CharField(
        label=_("Reported by"),
        required=False,
        max_length=_max_length("source_name"),
        help_text=_("Who said it, e.g. “the regional military administration”."),
    )
    source_channel = forms.CharField(
        label=_("Channel"),
        required=False,
        max_length=_max_length("source_channel"),
        help_text=_("e.g. Telegram, press briefing."),
    )
    source_url = forms.URLField(
        label=_("Source link"),
        required=False,
        assume_scheme="https",
        max_length=_max_length("source_url"),
    )
    verification = forms.ChoiceField(
        label=_("Verification"), choices=Verification.choices, initial=Verification.UNVERIFIED
    )
    is_key_event = forms.BooleanField(label=_("Key event"), required=False)
    is_pinned = forms.BooleanField(
        label=_("Pin to the top"), required=False, help_text=_("Readers see it first.")
    )
    image_file = forms.FileField(
        label=_("Upload a picture"),
        required=False,
        widget=forms.FileInput(attrs={"accept": ACCEPT}),
    )
    library_image = forms.TypedChoiceField(
        label=_("Or use one from the image library"),
        required=False,
        coerce=int,
        empty_value=None,
    )
    remove_image = forms.BooleanField(label=_("Remove the picture"), required=False)
    image_alt = forms.CharField(
        label=_("Alt text"),
        required=False,
        max_length=media.ALT_MAX,
        help_text=_(
            "What the picture shows, for readers who cannot see it. Required with a picture."
        ),
    )
    image_caption = forms.CharField(
        label=_("Caption"), required=False, max_length=media.CAPTION_MAX
    )
    image_credit = forms.CharField(
        label=_("Credit"),
        required=False,
        max_length=media.CREDIT_MAX,
        help_text=_("Who made it, e.g. “Photo: State Emergency Service”. Empty: the image's own."),
    )
    embed_url = forms.CharField(
        label=_("Embed a video or post"),
        required=False,
        max_length=media.EMBED_MAX,
        widget=forms.URLInput,
        help_text=_(
            "A link, e.g. to YouTube, Vimeo or Telegram. Readers see a card with a link; "
            "YouTube and Vimeo videos play on the page when a reader asks."
        ),
    )

    def __init__(self, *args, current_image=None, **kwargs):
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)
        self.current_image = current_image
        self.new_image = None
        self.fields["image_file"].help_text = _(
            "JPEG, PNG or WebP, up to %(size)s. Location (GPS) and other metadata are removed."
        ) % {"size": filesizeformat(settings.WAGTAILIMAGES_MAX_UPLOAD_SIZE)}
        images = list(get_image_model().objects.order_by("-created_at", "-pk")[:LIBRARY_CHOICES])
        if current_image is not None and current_image not in images:
            images.insert(0, current_image)
        self.fields["library_image"].choices = [
            ("", _("No picture from the library")),
            *((image.pk, f"{image.title} (#{image.pk})") for image in images),
        ]
        if current_image is None:
            del self.fields["remove_image"]

    def clean_embed_url(self):
        return media.clean_embed_url(self.cleaned_data["embed_url"])

    def picture_changes(self, update, user=None):
        """The picture fields this form changes on `update` (a copy is checked, the update
        is left as it is), a new upload checked and stored (live/media.py); {} for none.
        ValidationError names the field at fault; call inside the transaction that saves."""
        data = self.cleaned_data
        texts = {name: data[name] for name in PICTURE_FIELDS}
        if data.get("remove_image"):
            return media.detach_image(copy.copy(update)) if update.image_id else {}
        upload, chosen = data["image_file"], data["library_image"]
        if upload is None and chosen is None:
            if any(value.strip() for value in texts.values()):
                raise ValidationError(
                    {"image_file": _("Choose a picture to upload or one from the image library.")}
                )
            return media.detach_image(copy.copy(update)) if update.image_id else {}
        image = None
        if upload is None:
            image = get_image_model().objects.filter(pk=chosen).first()
            if image is None:
                gone = _("That image is no longer in the library.")
                raise ValidationError({"library_image": gone})
            same = image.pk == update.image_id
            if same and all(getattr(update, k) == value.strip() for k, value in texts.items()):
                return {}
        values = media.attach_image(
            copy.copy(update),
            upload=upload,
            image=image,
            alt=texts["image_alt"],
            caption=texts["image_caption"],
            credit=texts["image_credit"],
            user=user,
        )
        if upload is not None:
            self.new_image = values["image"]
        return values

    def forget_new_image(self):
        """After a refused save: the new picture's row went with the transaction; its file
        goes too, and the editor is told to choose the file again (browsers never resend one)."""
        if self.new_image is not None:
            self.new_image.file.storage.delete(self.new_image.file.name)
            self.new_image = None
        if self.cleaned_data.get("image_file") is not None and "image_file" not in self.errors:
            self.add_error(
                "image_file",
                _("Your picture was accepted but not saved: choose the file again."),
            )

    def fields_for_model(self):
        """The cleaned values as LiveUpdate fields (the body as HTML)."""
        values = {name: self.cleaned_data[name] for name in UPDATE_FIELDS}
        values["body"] = paragraphs(values["body"])
        return values

    def changes(self, update):
        """The LiveUpdate fields this form changes. An untouched body is left alone, so a
        formatted body survives an edit of the headline."""
        values = self.fields_for_model()
        if normalise(self.cleaned_data["body"]) == normalise(body_text(update.body)[0]):
            del values["body"]
        return {name: value for name, value in values.items() if getattr(update, name) != value}

    def add_model_errors(self, error, rename=None):
        """Show a model ValidationError on the fields it names (or above the form)."""
        rename = {"image": "image_file", **(rename or {})}
        if not hasattr(error, "error_dict"):
            for message in error.messages:
                self.add_error(None, message)
            return
        for field, messages in error.message_dict.items():
            name = rename.get(field, field)
            if name not in self.fields or name == NON_FIELD_ERRORS:
                name = None
            for message in messages:
                self.add_error(name, message)

    @classmethod
    def initial_for(cls, update):
        initial = {name: getattr(update, name) for name in UPDATE_FIELDS + PICTURE_FIELDS}
        initial["body"] = body_text(update.body)[0]
        initial["library_image"] = update.image_id
        return initial


class PostForm(UpdateForm):
    """A new update. Only users who may publish get the choice; everyone else writes drafts."""

    publish = forms.ChoiceField(
        label=_("When"),
        choices=[(PUBLISH, _("Publish now")), (DRAFT, _("Save draft"))],
        initial=PUBLISH,
        widget=forms.RadioSelect,
    )

    def __init__(self, *args, can_publish=False, **kwargs):
        super().__init__(*args, **kwargs)
        if not can_publish:
            del self.fields["publish"]

    @property
    def wants_publish(self):
        return "publish" in self.fields and self.cleaned_data.get("publish") == PUBLISH


class EditForm(PostForm):
    """An existing update. Drafts may be published from here; published ones stay published
    (withdrawing one is a deletion, which readers' pages hear about)."""

    def __init__(self, *args, update, can_publish=False, **kwargs):
        kwargs.setdefault("current_image", update.image)
        super().__init__(*args, can_publish=can_publish and not update.is_published, **kwargs)
        if "publish" in self.fields:
            self.fields["publish"].choices = [
                (PUBLISH, _("Publish now")),
                (DRAFT, _("Keep as draft")),
            ]
            self.fields["publish"].initial = DRAFT


class CorrectionForm(UpdateForm):
    """A correction readers see on the update, with the corrected fields."""

    correction = forms.CharField(
        label=_("Correction note"),
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_(
            "Shown to readers with the time, e.g. “An earlier version of this update gave "
            "the wrong district.”"
        ),
    )

    field_order = ["correction", *UPDATE_FIELDS]


class WhatWeKnowForm(forms.Form):
    """The feed's "What we know" box: a point per line."""

    what_we_know = forms.CharField(
        label=_("What we know"),
        required=False,
        max_length=2000,
        strip=True,
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text=_(
            "One fact per line. Readers see it above the updates, with the time you save it; "
            "leave it empty to take the box away."
        ),
    )
