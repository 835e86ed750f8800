"""Sign-in throttling, idle sessions and the MFA requirement, as middleware.

Each class skips, without touching the session or the database, every request that cannot
concern it (no session cookie, or not a sign-in), so anonymous readers and their live streams
pay nothing and get no Vary: Cookie. Async requests stay async for those; the rest run their
check in a thread like any database access.
"""

import logging
from urllib.parse import urlencode

from asgiref.sync import iscoroutinefunction, markcoroutinefunction, sync_to_async
from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.functional import SimpleLazyObject

from newsdesk.accounts import mfa, throttle
from newsdesk.accounts.clientip import client_ip
from newsdesk.accounts.sessions import expire_if_idle

log = logging.getLogger("newsdesk.accounts")

# Where a session that has not completed MFA is refused (redirected to the MFA step).
PROTECTED_PREFIXES = ("/admin/", "/desk/")
# Admin pages such a session still needs: signing in and out, the MFA step itself, and
# Wagtail's translation catalogue and icon sprite that those pages load.
MFA_EXEMPT_NAMES = (
    "wagtailadmin_login",
    "wagtailadmin_logout",
    "wagtailadmin_javascript_catalog",
    "wagtailadmin_sprite",
    "newsdesk_mfa_verify",
    "newsdesk_mfa_setup",
)


class _Middleware:
    """Calls `check(request)` (sync, may return a response) only when `concerns(request)`."""

    sync_capable = True
    async_capable = True

    def __init__(self, get_response):
        self.get_response = get_response
        self.is_async = iscoroutinefunction(get_response)
        if self.is_async:
            markcoroutinefunction(self)

    def concerns(self, request):
        return settings.SESSION_COOKIE_NAME in request.COOKIES

    def check(self, request):
        return None

    def after(self, request, response):
        return response

    def __call__(self, request):
        if self.is_async:
            return self.__acall__(request)
        if not self.concerns(request):
            return self.get_response(request)
        response = self.check(request) or self.get_response(request)
        return self.after(request, response)

    async def __acall__(self, request):
        if not self.concerns(request):
            return await self.get_response(request)
        response = await sync_to_async(self.check)(request)
        if response is None:
            response = await self.get_response(request)
        return await sync_to_async(self.after)(request, response)


class LoginThrottleMiddleware(_Middleware):
    """Answer 429 with Retry-After to a password sign-in while its name or address is locked.

    It runs before the login view, so a locked sign-in never reaches the password check; the
    failure that reaches a limit is answered 429 too. Failures are counted by the
    user_login_failed receiver (receivers.py).
    """

    def concerns(self, request):
        return request.method == "POST" and request.path == reverse("wagtailadmin_login")

    def check(self, request):
        username, address = request.POST.get("username", ""), client_ip(request)
        seconds = throttle.retry_after(username, address)
        if seconds:
            log.warning("sign-in refused, locked: username=%r ip=%s", username[:150], address)
            return locked_out(request, seconds)
        return None

    def after(self, request, response):
        if response.status_code == 429:
            return response
        seconds = throttle.retry_after(request.POST.get("username", ""), client_ip(request))
        return locked_out(request, seconds) if seconds else response


def locked_out(request, seconds):
    minutes = max(1, -(-seconds // 60))
    response = render(
        request, "core/locked_out.html", {"minutes": minutes, "seconds": seconds}, status=429
    )
    response["Retry-After"] = str(seconds)
    response["Cache-Control"] = "no-store"
    return response


class IdleSessionMiddleware(_Middleware):
    """Sessions unused for NEWSDESK_SESSION_IDLE_MINUTES are logged out (sessions.py)."""

    def check(self, request):
        expire_if_idle(request)
        return None


def _exempt_paths():
    return {reverse(name) for name in MFA_EXEMPT_NAMES}


def _reader_user(user):
    """Outside the admin, a session that still owes MFA counts as anonymous."""
    if user.is_authenticated and mfa.needs_mfa(user) and not mfa.is_verified(user):
        return AnonymousUser()
    return user


class MfaRequiredMiddleware(_Middleware):
    """Refuse admin and desk requests of a session that has not completed MFA.

    GET and HEAD are sent to the MFA step (enrolment for a user with no device yet), with
    ?next= to come back; other methods are refused with 403. Elsewhere (reader pages, APIs)
    such a session is treated as anonymous. Must come after django-otp's OTPMiddleware.
    """

    def check(self, request):
        path = request.path
        if not path.startswith(PROTECTED_PREFIXES):
            user, auser = request.user, getattr(request, "auser", None)
            request.user = SimpleLazyObject(lambda: _reader_user(user))
            if auser is not None:

                async def guarded_auser():
                    return await sync_to_async(_reader_user)(await auser())

                request.auser = guarded_auser
            return None
        if path in _exempt_paths():
            return None
        user = request.user
        if not user.is_authenticated or mfa.is_verified(user) or not mfa.needs_mfa(user):
            return None
        if request.method not in ("GET", "HEAD"):
            log.warning("refused without MFA: username=%r %s", user.get_username(), path)
            raise PermissionDenied
        step = "newsdesk_mfa_verify" if mfa.has_mfa(user) else "newsdesk_mfa_setup"
        return redirect(f"{reverse(step)}?{urlencode({'next': request.get_full_path()})}")
