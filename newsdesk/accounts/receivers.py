"""Every password sign-in is logged and counted here (never the password itself)."""

import logging
import time

from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.dispatch import receiver

from newsdesk.accounts import throttle
from newsdesk.accounts.clientip import client_ip
from newsdesk.accounts.sessions import LAST_SEEN_KEY

log = logging.getLogger("newsdesk.accounts")


@receiver(user_login_failed, dispatch_uid="newsdesk-accounts-failed")
def login_failed(sender, credentials, request=None, **kwargs):
    username = str(credentials.get("username", ""))[:150]
    address = client_ip(request) if request is not None else ""
    log.warning("sign-in failed: username=%r ip=%s", username, address or "-")
    if request is not None:
        throttle.record_failure(username, address)


@receiver(user_logged_in, dispatch_uid="newsdesk-accounts-logged-in")
def logged_in(sender, request, user, **kwargs):
    if request is None:
        return
    from newsdesk.accounts.mfa import needs_mfa

    address = client_ip(request)
    username = user.get_username()
    request.session[LAST_SEEN_KEY] = int(time.time())
    throttle.record_password_success(username, address)
    if needs_mfa(user):
        log.info("sign-in password accepted, MFA next: username=%r ip=%s", username, address)
    else:
        throttle.record_sign_in(username, address)
        log.info("sign-in succeeded: username=%r ip=%s", username, address)


@receiver(user_logged_out, dispatch_uid="newsdesk-accounts-logged-out")
def logged_out(sender, request, user, **kwargs):
    if user is not None and request is not None:
        log.info("signed out: username=%r ip=%s", user.get_username(), client_ip(request))
