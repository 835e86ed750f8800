import io
import os

from django.conf import settings
from django.core.files.base import ContentFile, File
from django.db import models
from django.utils.translation import gettext_lazy as _
from wagtail.images.models import AbstractImage, AbstractRendition, Image

from newsdesk.images import containers, uploads


class NewsImage(AbstractImage):
    """A photo or graphic with the credit a newsroom must print beside it.

    The credit kept here is the default; an article can override it where it uses the image.
    `description` (from Wagtail) is the default alt text.

    Every new file is cleaned before it is stored (uploads.py: type by content, byte and
    pixel limits, polyglots refused, metadata such as GPS removed) and stored under a
    generated name in original_images/, which is never served to readers (media.views.media)
    and goes to the private bucket when media is in object storage (media/storage.py).
    """

    credit = models.CharField(
        _("credit"),
        max_length=255,
        blank=True,
        help_text=_("Who made the image, e.g. 'State Emergency Service' or 'Photo: Jane Roe'."),
    )

    admin_form_fields = (*Image.admin_form_fields, "credit")

    _clean_file_name = None
    """The stored file name known to be clean: the one loaded from the database or just
    cleaned. Any other file assigned to `file` is cleaned when the image is saved."""

    @classmethod
    def from_db(cls, db, field_names, values):
        instance = super().from_db(db, field_names, values)
        loaded = instance.__dict__.get("file")
        instance._clean_file_name = getattr(loaded, "name", loaded)
        return instance

    def save(self, *args, **kwargs):
        update_fields = kwargs.get("update_fields")
        touches_file = update_fields is None or "file" in update_fields
        if self.file and touches_file and self.file.name != self._clean_file_name:
            self._clean_new_file()
        super().save(*args, **kwargs)
        self._clean_file_name = self.file.name

    def _clean_new_file(self):
        """Replace a just-assigned file by its cleaned copy (ImageRefused if it is refused)."""
        assigned = self.file
        upload = getattr(assigned, "file", None)
        cleaned = getattr(upload, "cleaned", None)
        if cleaned is None:
            with assigned.open("rb") as opened:
                opened.seek(0)
                data = opened.read()
            cleaned = uploads.clean_image(
                data,
                max_bytes=settings.WAGTAILIMAGES_MAX_UPLOAD_SIZE,
                max_pixels=settings.WAGTAILIMAGES_MAX_IMAGE_PIXELS,
            )
        # A file already written under the uploader's name (Wagtail's "upload first, fill
        # in the form later" path) goes once the clean copy is in its place.
        stale = assigned.name if assigned._committed else None
        self.file = ContentFile(cleaned.data, name=f"upload.{cleaned.extension}")
        self.width, self.height = cleaned.width, cleaned.height
        self.file_size, self.file_hash = len(cleaned.data), cleaned.sha1
        self.file.save(self.file.name, self.file.file, save=False)
        if stale and stale != self.file.name:
            self.file.storage.delete(stale)

    def get_upload_to(self, filename):
        """original_images/<random>.<type>: the uploader's file name is never stored."""
        extension = os.path.splitext(filename)[1].lower().lstrip(".")
        if extension not in uploads.EXTENSIONS.values():
            extension = "bin"
        return f"{uploads.ORIGINALS_DIR}/{uploads.generated_name(extension)}"

    def generate_rendition_file(self, filter, *, source=None):
        """Wagtail's rendition, with whatever metadata Willow copied from the original removed.

        Willow copies EXIF (GPS included) from the original into JPEG, PNG and WebP
        renditions. Originals cleaned on upload have none, but images stored before cleaning
        existed (see `newsdesk clean_images`) may, so every rendition is stripped here too.
        """
        made = super().generate_rendition_file(filter, source=source)
        made.seek(0)
        data = made.read()
        kind = containers.sniff(data)
        if kind is not None:
            data = containers.strip_metadata(data, kind)
        return File(io.BytesIO(data), name=made.name)


class NewsRendition(AbstractRendition):
    image = models.ForeignKey(NewsImage, on_delete=models.CASCADE, related_name="renditions")

    class Meta:
        unique_together = (("image", "filter_spec", "focal_point_key"),)

    def get_upload_to(self, filename):
        """images/<random>.<filter>.<type>: nothing of the original's name, so the name of one
        rendition (say, a crop on a public page) does not lead to another (the full frame)."""
        extension = os.path.splitext(filename)[1].lower()
        spec = self.filter_spec.replace("|", ".")[:40]
        name = self.file.field.storage.get_valid_name(f"{spec}{extension}")
        return f"images/{uploads.generated_name(name)}"
