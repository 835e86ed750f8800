"""Keep Wagtail's Site record in step with NEWSDESK_BASE_URL and NEWSDESK_SITE_NAME.

Wagtail builds full URLs and preview requests from the Site record; the settings are the one
place an operator configures the public address, so the record follows them.
"""

from urllib.parse import urlsplit

from django.conf import settings


def ensure_site(**kwargs):
    from wagtail.models import Site

    address = urlsplit(settings.NEWSDESK_BASE_URL)
    port = address.port or (443 if address.scheme == "https" else 80)
    site = Site.objects.filter(is_default_site=True).first()
    if site is None:
        return
    wanted = {"hostname": address.hostname, "port": port, "site_name": settings.NEWSDESK_SITE_NAME}
    if any(getattr(site, field) != value for field, value in wanted.items()):
        for field, value in wanted.items():
            setattr(site, field, value)
        site.save()  # save(), not update(): Wagtail clears its cached site paths on save
