from django.conf import settings
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
