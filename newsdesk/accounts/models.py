"""What sign-in hardening keeps: throttle counters, addresses that signed in, backup codes.

TOTP devices are django-otp's own (otp_totp.TOTPDevice). Backup codes are ours because
django-otp's static tokens are stored in clear; here only a SHA-256 digest of each code is
kept. The codes carry about 79 bits of randomness, so a fast digest is enough: nobody can
guess one from its digest, and verifying ten of them costs nothing.
"""

import hashlib

from django.conf import settings
from django.db import models
from django_otp.models import Device, ThrottlingMixin

# Backup codes: 16 characters from an alphabet without look-alikes (0/o, 1/l/i), in groups
# of four. Readers type them from paper, so case, spaces and dashes do not matter.
BACKUP_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"
BACKUP_LENGTH = 16
BACKUP_COUNT = 10


def normalise_code(code):
    return "".join(code.split()).replace("-", "").lower()


def code_digest(code):
    return hashlib.sha256(normalise_code(code).encode()).hexdigest()


class LoginThrottle(models.Model):
    """Failed password sign-ins counted for one key: a name, an address, or both together."""

    class Scope(models.TextChoices):
        PAIR = "pair", "user name and address"
        ADDRESS = "address", "address"
        USERNAME = "username", "user name from unknown addresses"

    scope = models.CharField(max_length=10, choices=Scope.choices)
    key = models.CharField(max_length=255)
    failures = models.PositiveIntegerField(default=0)
    last_failure = models.DateTimeField(db_index=True)
    locked_until = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["scope", "key"], name="accounts_throttle_key")
        ]

    def __str__(self):
        return f"{self.scope} {self.key}: {self.failures}"


class KnownAddress(models.Model):
    """An address from which this user completed a sign-in (password and, if needed, MFA)."""

    username = models.CharField(max_length=150)
    address = models.GenericIPAddressField()
    last_success = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["username", "address"], name="accounts_known_address")
        ]

    def __str__(self):
        return f"{self.username} from {self.address}"


class BackupCodeDevice(ThrottlingMixin, Device):
    """A user's single-use backup codes, stored as digests; a used code is deleted."""

    def get_throttle_factor(self):
        return getattr(settings, "OTP_STATIC_THROTTLE_FACTOR", 1)

    def verify_token(self, token):
        allowed, _ = self.verify_is_allowed()
        if not allowed or not isinstance(token, str):
            return False
        # Deleting the row is the check: two requests racing with one code cannot both win.
        deleted, _ = self.codes.filter(digest=code_digest(token)).delete()
        if deleted:
            self.throttle_reset()
            return True
        self.throttle_increment()
        return False


class BackupCode(models.Model):
    device = models.ForeignKey(BackupCodeDevice, on_delete=models.CASCADE, related_name="codes")
    digest = models.CharField(max_length=64)

    class Meta:
        indexes = [models.Index(fields=["device", "digest"])]

    def __str__(self):
        return f"backup code of {self.device.user}"
