"""Escalating limits on password sign-in, per address, per name and address, and per name.

Three counters, each locking for one minute when it reaches its limit and twice as long at
every further failure (up to an hour):

- a user name from one address (PAIR_LIMIT): the usual guessing attack;
- one address whatever the names (ADDRESS_LIMIT): password spraying from one machine;
- a user name from addresses that have never completed a sign-in as that user
  (USERNAME_LIMIT): guessing from many machines. Its lock applies only to such addresses, so
  an editor signing in from an address they have used before is not locked out by an attack
  on their name from elsewhere. An editor on a new address during such an attack waits or asks
  an administrator (`newsdesk accounts unlock NAME`).

Counters are rows in the database (shared by every process) and are forgotten a day after
their last failure. A successful sign-in clears its name-and-address counter.
"""

import logging
import math
from datetime import timedelta

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from newsdesk.accounts.models import KnownAddress, LoginThrottle

log = logging.getLogger("newsdesk.accounts")

PAIR_LIMIT = 5
ADDRESS_LIMIT = 30
USERNAME_LIMIT = 20
FIRST_LOCK = timedelta(minutes=1)
LONGEST_LOCK = timedelta(hours=1)
FORGET_AFTER = timedelta(days=1)

Scope = LoginThrottle.Scope
LIMITS = {Scope.PAIR: PAIR_LIMIT, Scope.ADDRESS: ADDRESS_LIMIT, Scope.USERNAME: USERNAME_LIMIT}


def normalise_username(username):
    return (username or "").strip().lower()[:150]


def lock_length(failures, limit):
    """How long `failures` failures lock a counter whose limit is `limit` (None: no lock)."""
    if failures < limit:
        return None
    doublings = min(failures - limit, 12)
    return min(FIRST_LOCK * 2**doublings, LONGEST_LOCK)


def _keys(username, address, known):
    keys = {Scope.PAIR: f"{username}|{address}", Scope.ADDRESS: address}
    if not known:
        keys[Scope.USERNAME] = username
    return keys


def is_known(username, address):
    return KnownAddress.objects.filter(username=username, address=address).exists()


def retry_after(username, address):
    """Seconds until this name may try a password again from this address; 0 if it may now."""
    username = normalise_username(username)
    if not address:
        return 0
    now = timezone.now()
    keys = _keys(username, address, is_known(username, address))
    query = Q()
    for scope, key in keys.items():
        query |= Q(scope=scope, key=key)
    latest = (
        LoginThrottle.objects.filter(query, locked_until__gt=now)
        .order_by("-locked_until")
        .values_list("locked_until", flat=True)
        .first()
    )
    return math.ceil((latest - now).total_seconds()) if latest else 0


def record_failure(username, address):
    username = normalise_username(username)
    if not address:
        return
    now = timezone.now()
    with transaction.atomic():
        for scope, key in _keys(username, address, is_known(username, address)).items():
            row, _ = LoginThrottle.objects.select_for_update().get_or_create(
                scope=scope, key=key, defaults={"last_failure": now}
            )
            if row.last_failure < now - FORGET_AFTER:
                row.failures = 0
            row.failures += 1
            row.last_failure = now
            length = lock_length(row.failures, LIMITS[scope])
            if length is not None:
                row.locked_until = now + length
                log.warning(
                    "sign-in locked: %s %s for %d s after %d failures",
                    scope,
                    key,
                    length.total_seconds(),
                    row.failures,
                )
            row.save()
        LoginThrottle.objects.filter(last_failure__lt=now - FORGET_AFTER).filter(
            Q(locked_until__isnull=True) | Q(locked_until__lt=now)
        ).delete()


def record_password_success(username, address):
    """The password was right: this name may try again from here without a count."""
    username = normalise_username(username)
    LoginThrottle.objects.filter(scope=Scope.PAIR, key=f"{username}|{address}").delete()


def record_sign_in(username, address):
    """A complete sign-in (password, then MFA where required): remember the address."""
    if address:
        KnownAddress.objects.update_or_create(
            username=normalise_username(username),
            address=address,
            defaults={"last_success": timezone.now()},
        )


def locks():
    """Counters that lock something now, newest lock last."""
    return LoginThrottle.objects.filter(locked_until__gt=timezone.now()).order_by("locked_until")


def unlock(username=None, address=None):
    """Forget the counters for a name (every address), an address (every name), or all."""
    rows = LoginThrottle.objects.all()
    if username is not None:
        name = normalise_username(username)
        rows = rows.filter(
            Q(scope=Scope.USERNAME, key=name) | Q(scope=Scope.PAIR, key__startswith=f"{name}|")
        )
    if address is not None:
        rows = rows.filter(
            Q(scope=Scope.ADDRESS, key=address) | Q(scope=Scope.PAIR, key__endswith=f"|{address}")
        )
    deleted, _ = rows.delete()
    return deleted
