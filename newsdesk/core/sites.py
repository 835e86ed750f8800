"""Keep Wagtail's Site record in step with NEWSDESK_BASE_URL and NEWSDESK_SITE_NAME.

Wagtail builds full URLs and preview requests from the Site record; the settings are the one
place an operator configures the public address, so the record follows them. Below that, a
memo of the Site and home page for serving pages without reading them on every request.
"""

import copy
from urllib.parse import urlsplit

from django.conf import settings
from django.db import transaction


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


# Every page request starts with two queries Wagtail repeats each time: the Site for the
# request's host, then the site's root (home) page as its own model. Both change only when an
# editor edits the Site or publishes or moves the home page, so this process keeps them:
# (hostname, port) -> Site whose root_page is already the specific home page. It is cleared in
# every process when such a change is committed (pagecache/cache.py), and not kept at all when
# the page cache is off, because then nothing tells the other processes about the change.
_memo = {}
MEMO_LIMIT = 32  # distinct hosts (ALLOWED_HOSTS bounds them; a wildcard must not grow it)


def site_for_request(request):
    """Wagtail's Site for the request, as Site.find_for_request would find it, from memory.

    Each request gets its own copies, so what one render caches on the site or the page
    (Wagtail's cached properties) never leaks into another request.
    """
    from django.http.request import split_domain_port
    from wagtail.models import Site

    key = (split_domain_port(request._get_raw_host())[0], request.get_port())
    site = _memo.get(key)
    if site is None:
        site = Site._find_for_request(request)
        if site is None:
            return None
        site.root_page = site.root_page.specific
        if settings.NEWSDESK_CACHE:
            if len(_memo) >= MEMO_LIMIT:
                _memo.clear()
            _memo[key] = site
    mine = copy.copy(site)
    mine.root_page = copy.copy(site.root_page)
    return mine


def attach_site(request):
    """Give the request its Site from the memo, where Wagtail looks for it
    (`Site.find_for_request` reads request._wagtail_site): anything that builds a page's URL
    during the request ({% pageurl %}, page.get_url) then needs no query of its own."""
    request._wagtail_site = site_for_request(request)


def root_page_ids():
    return {site.root_page_id for site in list(_memo.values())}


def forget(**kwargs):
    """Drop the memo: a Site or a home page changed (also a signal receiver)."""
    _memo.clear()


def forget_after_change(**kwargs):
    # Now for this process, and again after commit: a request in between could have read the
    # old rows back into the memo.
    forget()
    transaction.on_commit(forget)


def forget_if_root(sender, instance, **kwargs):
    if instance.depth <= 2:  # the tree's root and the sites' home pages
        forget_after_change()


def connect():
    from django.db.models.signals import post_delete, post_save
    from wagtail.models import Site
    from wagtail.signals import page_published, page_unpublished, post_page_move

    for signal in (post_save, post_delete):
        signal.connect(forget_after_change, sender=Site, dispatch_uid="newsdesk-site-memo")
    for signal in (page_published, page_unpublished, post_page_move):
        signal.connect(forget_if_root, dispatch_uid="newsdesk-site-memo")
