from django.apps import AppConfig


class ImagesConfig(AppConfig):
    name = "newsdesk.images"
    label = "images"
    verbose_name = "Images"

    def ready(self):
        from django.conf import settings
        from PIL import Image

        # Every Pillow open in the process (renditions of images stored before upload checks
        # existed, the importer) refuses a picture past twice the upload limit and warns past
        # it, instead of decoding whatever a header declares.
        if settings.WAGTAILIMAGES_MAX_IMAGE_PIXELS:
            Image.MAX_IMAGE_PIXELS = settings.WAGTAILIMAGES_MAX_IMAGE_PIXELS
