"""The MFA step after the password, enrolment, backup codes and the administrators' reset."""

from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from newsdesk.accounts import mfa
from newsdesk.accounts.clientip import client_ip
from newsdesk.accounts.forms import CodeForm
from newsdesk.accounts.mfa import log

RESET_PERMISSION = "auth.change_user"


def _next_url(request):
    wanted = request.POST.get("next") or request.GET.get("next") or ""
    if url_has_allowed_host_and_scheme(
        wanted, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return wanted
    return reverse("wagtailadmin_home")


def _step(name, request):
    return redirect(f"{reverse(name)}?{urlencode({'next': _next_url(request)})}")


def _codes_page(request, codes):
    response = render(
        request, "accounts/backup_codes.html", {"codes": codes, "next": _next_url(request)}
    )
    response["Cache-Control"] = "no-store"
    return response


@never_cache
def verify(request):
    """Second step of signing in: a code from the authenticator app, or a backup code."""
    user = request.user
    if not mfa.has_mfa(user):
        return _step("newsdesk_mfa_setup", request)
    if mfa.is_verified(user):
        return redirect(_next_url(request))
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        device, throttled = mfa.check_code(user, form.cleaned_data["code"])
        if device is not None:
            mfa.mark_verified(request, device)
            return redirect(_next_url(request))
        log.warning(
            "MFA failed: username=%r ip=%s throttled=%s",
            user.get_username(),
            client_ip(request),
            throttled,
        )
        form.add_error(
            "code",
            _("Too many wrong codes: wait a few seconds, then try again.")
            if throttled
            else _("That code is not right, or has been used already."),
        )
    return render(request, "accounts/verify.html", {"form": form, "next": _next_url(request)})


@never_cache
def setup(request):
    """Enrol an authenticator app: QR code or typed secret, then one code to confirm."""
    user = request.user
    if mfa.has_mfa(user):
        if not mfa.is_verified(user):
            return _step("newsdesk_mfa_verify", request)
        return render(request, "accounts/status.html", {"codes_left": mfa.backup_codes_left(user)})
    device = mfa.pending_device(user)
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        if mfa.confirm_enrolment(device, form.cleaned_data["code"]):
            device.refresh_from_db()
            mfa.mark_verified(request, device)
            log.info("MFA enrolled: username=%r ip=%s", user.get_username(), client_ip(request))
            return _codes_page(request, mfa.new_backup_codes(user))
        form.add_error("code", _("That code is not right. Check the time on your phone."))
    context = {
        "form": form,
        "next": _next_url(request),
        "qr_svg": mfa.qr_svg(device),
        "secret": mfa.secret_of(device),
        "uri": device.config_url,
    }
    response = render(request, "accounts/setup.html", context)
    response["Cache-Control"] = "no-store"
    return response


@require_POST
def regenerate_backup_codes(request):
    """New backup codes (the old ones stop working); needs a session that completed MFA."""
    if not (mfa.has_mfa(request.user) and mfa.is_verified(request.user)):
        raise PermissionDenied
    log.info("backup codes replaced: username=%r", request.user.get_username())
    return _codes_page(request, mfa.new_backup_codes(request.user))


def _may_reset(user):
    return user.has_perm(RESET_PERMISSION) and mfa.is_verified(user)


@never_cache
def users(request):
    """Administrators: who has a second factor, and a button to reset it."""
    if not _may_reset(request.user):
        raise PermissionDenied
    people = get_user_model().objects.order_by("username").prefetch_related("groups")
    rows = [
        {"user": person, "has_mfa": mfa.has_mfa(person), "required": mfa.needs_mfa(person)}
        for person in people
    ]
    return render(request, "accounts/users.html", {"rows": rows})


@require_POST
def reset(request, pk):
    if not _may_reset(request.user):
        raise PermissionDenied
    person = get_object_or_404(get_user_model(), pk=pk)
    mfa.reset(person)
    log.warning("MFA reset by %r for %r", request.user.get_username(), person.get_username())
    messages.success(
        request,
        _("%(name)s has no second factor now and will enrol at the next sign-in.")
        % {"name": person.get_username()},
    )
    return redirect("newsdesk_mfa_users")
