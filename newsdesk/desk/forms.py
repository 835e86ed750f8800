"""The desk's forms. The body is typed as plain text and stored as escaped <p> paragraphs."""

from bs4 import BeautifulSoup, NavigableString
from django import forms
from django.core.exceptions import NON_FIELD_ERRORS
from django.utils.translation import gettext_lazy as _

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
]


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

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)

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
        rename = rename or {}
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
        initial = {name: getattr(update, name) for name in UPDATE_FIELDS}
        initial["body"] = body_text(update.body)[0]
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
