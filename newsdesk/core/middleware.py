from asgiref.sync import async_to_sync, iscoroutinefunction, markcoroutinefunction, sync_to_async
from django.conf import settings
from django.db import transaction
from django.utils.deprecation import MiddlewareMixin


class AdminContentSecurityPolicyMiddleware(MiddlewareMixin):
    """Give the Wagtail admin its own, looser policy; reader pages keep the strict one.

    django-csp skips /admin/ (EXCLUDE_URL_PREFIXES) because Wagtail's editor still relies on
    inline styles and scripts; the admin is not left without a policy, though.
    MiddlewareMixin makes it work in async requests too, so live streams need no thread.
    """

    def process_response(self, request, response):
        if request.path.startswith("/admin/") and "Content-Security-Policy" not in response:
            response["Content-Security-Policy"] = settings.NEWSDESK_ADMIN_CSP
        return response


class AtomicPageWritesMiddleware:
    """Run the Wagtail admin's page writes (create, edit, publish, unpublish, move, delete)
    in one database transaction, as ATOMIC_REQUESTS would for just these views.

    Wagtail commits each step of a publish on its own: the page row, then what our signal
    receivers write (the page cache's invalidation, the narration job and its task). A server
    killed in between (kill -9, the OOM killer, a power cut) left a live article with no
    narration queued; in one transaction it is all there or none of it
    (reliability/publish_kill.py). An error answer (4xx, 5xx, a full disk's 503) rolls back
    whatever the view had written before it failed.

    Last in MIDDLEWARE, so it wraps the view and nothing else. Other requests pass straight
    through, in async requests too; an admin page write is run the way Django runs a sync
    middleware under ASGI, in one thread, so the transaction and the view share a connection.
    """

    sync_capable = True
    async_capable = True

    def __init__(self, get_response):
        self.get_response = get_response
        self.is_async = iscoroutinefunction(get_response)
        if self.is_async:
            markcoroutinefunction(self)

    @staticmethod
    def concerns(request):
        return request.method == "POST" and request.path.startswith("/admin/pages/")

    def __call__(self, request):
        if self.is_async:
            return self.__acall__(request)
        if not self.concerns(request):
            return self.get_response(request)
        return self.atomic(request, self.get_response)

    async def __acall__(self, request):
        if not self.concerns(request):
            return await self.get_response(request)
        return await sync_to_async(self.atomic)(request, async_to_sync(self.get_response))

    @staticmethod
    def atomic(request, get_response):
        with transaction.atomic():
            response = get_response(request)
            if response.status_code >= 400:
                transaction.set_rollback(True)
        return response
