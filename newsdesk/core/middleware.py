from django.conf import settings


class AdminContentSecurityPolicyMiddleware:
    """Give the Wagtail admin its own, looser policy; reader pages keep the strict one.

    django-csp skips /admin/ (EXCLUDE_URL_PREFIXES) because Wagtail's editor still relies on
    inline styles and scripts; the admin is not left without a policy, though.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if request.path.startswith("/admin/") and "Content-Security-Policy" not in response:
            response["Content-Security-Policy"] = settings.NEWSDESK_ADMIN_CSP
        return response
