"""Who must use a second factor, and the steps of enrolling and verifying one.

A session has completed MFA when django-otp's session key names one of the user's confirmed
devices (`django_otp.login`); OTPMiddleware turns that into `request.user.is_verified()`.
Everything that marks a session as verified goes through `mark_verified` below, tests too.
"""

import logging
import secrets

import segno
from django.conf import settings
from django.db import transaction
from django_otp import login as otp_login
from django_otp.plugins.otp_totp.models import TOTPDevice

from newsdesk.accounts import throttle
from newsdesk.accounts.clientip import client_ip
from newsdesk.accounts.models import (
    BACKUP_ALPHABET,
    BACKUP_COUNT,
    BACKUP_LENGTH,
    BackupCode,
    BackupCodeDevice,
    code_digest,
)
from newsdesk.accounts.roles import CONTRIBUTORS

log = logging.getLogger("newsdesk.accounts")

TOTP_NAME = "Authenticator app"
BACKUP_NAME = "Backup codes"


def role_requires_mfa(user):
    """Editors, administrators, superusers and anyone with extra permissions; contributors
    only when NEWSDESK_MFA_CONTRIBUTORS is on. A user with no role has no admin to protect."""
    if not user.is_authenticated:
        return False
    if user.is_superuser:
        return True
    groups = set(user.groups.values_list("name", flat=True))
    if groups - {CONTRIBUTORS} or user.user_permissions.exists():
        return True
    return bool(groups) and settings.NEWSDESK_MFA_CONTRIBUTORS


def totp_device(user, confirmed=True):
    return TOTPDevice.objects.filter(user=user, confirmed=confirmed).first()


def has_mfa(user):
    return TOTPDevice.objects.filter(user=user, confirmed=True).exists()


def needs_mfa(user):
    """True when this user's sessions must complete MFA (enrolled users always must)."""
    return user.is_authenticated and (role_requires_mfa(user) or has_mfa(user))


def is_verified(user):
    return bool(getattr(user, "is_verified", None) and user.is_verified())


def pending_device(user):
    """The not yet confirmed TOTP device an enrolment shows, made on first use."""
    device = totp_device(user, confirmed=False)
    if device is None:
        device = TOTPDevice.objects.create(user=user, name=TOTP_NAME, confirmed=False)
    return device


def secret_of(device):
    """The base32 secret, in groups of four, for typing into an authenticator app."""
    from base64 import b32encode

    secret = b32encode(device.bin_key).decode().rstrip("=")
    return " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))


def qr_svg(device):
    """The device's otpauth:// URI as an inline SVG QR code (made here, no outside service)."""
    return segno.make(device.config_url, error="m").svg_inline(
        scale=5, dark="#000", light="#fff", omitsize=True
    )


def new_backup_codes(user):
    """Replace the user's backup codes; returns the codes in clear, to show exactly once."""
    codes = []
    for _ in range(BACKUP_COUNT):
        raw = "".join(secrets.choice(BACKUP_ALPHABET) for _ in range(BACKUP_LENGTH))
        codes.append("-".join(raw[i : i + 4] for i in range(0, BACKUP_LENGTH, 4)))
    with transaction.atomic():
        device, _ = BackupCodeDevice.objects.get_or_create(
            user=user, defaults={"name": BACKUP_NAME, "confirmed": True}
        )
        device.codes.all().delete()
        BackupCode.objects.bulk_create(
            BackupCode(device=device, digest=code_digest(code)) for code in codes
        )
    return codes


def backup_codes_left(user):
    return BackupCode.objects.filter(device__user=user).count()


def confirm_enrolment(device, code):
    """Confirm a pending TOTP device with a code from the app; False if the code is wrong."""
    with transaction.atomic():
        device = TOTPDevice.objects.select_for_update().get(pk=device.pk)
        if not device.verify_token(code.strip()):
            return False
        device.confirmed = True
        device.save()
        TOTPDevice.objects.filter(user=device.user, confirmed=False).delete()
    return True


def check_code(user, code):
    """The device that accepts `code` (a TOTP code or a backup code), or None.

    Returns (device, throttled): django-otp's own throttling delays a device after each wrong
    code (1, 2, 4 … seconds), so guessing six digits takes longer than a code lives.
    """
    code = (code or "").strip()
    if code.isdigit():
        devices = TOTPDevice.objects.filter(user=user, confirmed=True)
    else:
        devices = BackupCodeDevice.objects.filter(user=user, confirmed=True)
    throttled = False
    with transaction.atomic():
        for device in devices.select_for_update():
            allowed, _ = device.verify_is_allowed()
            if not allowed:
                throttled = True
                continue
            if device.verify_token(code):
                return device, False
    return None, throttled


def mark_verified(request, device):
    """The session has completed MFA with `device`: record it and give the session a new key."""
    otp_login(request, device)
    request.session.cycle_key()
    throttle.record_sign_in(request.user.get_username(), client_ip(request))
    log.info(
        "MFA completed: username=%r ip=%s device=%s",
        request.user.get_username(),
        client_ip(request),
        type(device).__name__,
    )


def reset(user):
    """Remove every second factor of `user`; their next sign-in enrols again."""
    deleted = 0
    for model in (TOTPDevice, BackupCodeDevice):
        count, _ = model.objects.filter(user=user).delete()
        deleted += count
    log.warning("MFA reset: username=%r", user.get_username())
    return deleted
