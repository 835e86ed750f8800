"""The image upload form's file field: uploads.clean_image instead of Wagtail's own checks.

Wagtail's field trusts the file name's extension (and only checks it against the content
afterwards); ours ignores the name and the browser's content type and decides from the bytes.
Settings point Wagtail at NewsImageForm (WAGTAILIMAGES_IMAGE_FORM_BASE), so the add and edit
views, the multiple uploader and the image chooser's upload tab all use it.
"""

from django import forms
from django.conf import settings
from django.template.defaultfilters import filesizeformat
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _
from wagtail.images.fields import WagtailImageField
from wagtail.images.forms import BaseImageForm

from newsdesk.images import uploads

ACCEPT = "image/jpeg,image/png,image/webp"
"""What the file picker offers. iPhones turn HEIC photos into JPEG for such an input."""


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
            "pixels": uploads.millions(self.max_image_pixels),
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
    file = NewsImageField(
        widget=forms.FileInput(
            attrs={**BaseImageForm.Meta.widgets["file"].attrs, "accept": ACCEPT},
        )
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        meta = self._meta
        if "file" in (meta.exclude or ()) or (meta.fields and "file" not in meta.fields):
            # A declared field outlives Meta.exclude; the multiple uploader's edit form
            # leaves the file out.
            self.fields.pop("file", None)
        if "file" in self.fields:
            field = self.fields["file"]
            # The field was made at import; the limits and words are read per form.
            field.max_upload_size = settings.WAGTAILIMAGES_MAX_UPLOAD_SIZE
            field.max_image_pixels = settings.WAGTAILIMAGES_MAX_IMAGE_PIXELS
            field.label = capfirst(self._meta.model._meta.get_field("file").verbose_name)
            field.help_text = field.describe()
