"""The image upload form's file field: uploads.clean_image instead of Wagtail's own checks.

Wagtail's field trusts the file name's extension (and only checks it against the content
afterwards); ours ignores the name and the browser's content type and decides from the bytes.
Settings point Wagtail at NewsImageForm (WAGTAILIMAGES_IMAGE_FORM_BASE), so the add and edit
views, the multiple uploader and the image chooser's upload tab all use it.
"""

from django import forms
from django.template.defaultfilters import filesizeformat
from django.utils.formats import number_format
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _
from wagtail.images.fields import WagtailImageField
from wagtail.images.forms import BaseImageForm

from newsdesk.images import uploads


class NewsImageField(WagtailImageField):
    default_validators = []  # the extension says nothing; clean_image reads the content

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.error_messages["invalid_image_extension"] = uploads.MESSAGES["not_allowed"]

    def describe(self):
        """The help text, in the request's language (the field itself is made at import)."""
        return _(
            "JPEG, PNG or WebP, up to %(size)s and %(pixels)s million pixels. Location (GPS) "
            "and other metadata are removed when the file is stored."
        ) % {
            "size": filesizeformat(self.max_upload_size),
            "pixels": number_format(round(self.max_image_pixels / 1_000_000, 1)),
        }

    def to_python(self, data):
        upload = forms.FileField.to_python(self, data)
        if upload is None:
            return None
        if self.max_upload_size is not None and upload.size > self.max_upload_size:
            # Refused before a byte is read into memory.
            raise uploads.ImageRefused(
                "too_large",
                size=filesizeformat(upload.size),
                limit=filesizeformat(self.max_upload_size),
            )
        upload.seek(0)
        cleaned = uploads.clean_image(
            upload.read(), max_bytes=self.max_upload_size, max_pixels=self.max_image_pixels
        )
        return cleaned.as_upload()


class NewsImageForm(BaseImageForm):
    file = NewsImageField(widget=BaseImageForm.Meta.widgets["file"])

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if "file" in self.fields:
            field = self.fields["file"]
            field.label = capfirst(self._meta.model._meta.get_field("file").verbose_name)
            field.help_text = field.describe()
