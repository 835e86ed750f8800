from django.conf import settings


def site(request):
    """Values every reader template needs: the site's name and its public origin."""
    return {
        "site_name": settings.NEWSDESK_SITE_NAME,
        "base_url": settings.NEWSDESK_BASE_URL,
    }
