"""The address a request came from, believing X-Forwarded-For only from trusted proxies.

REMOTE_ADDR is the peer that opened the connection. When (and only when) that peer is one of
NEWSDESK_TRUSTED_PROXIES, its X-Forwarded-For is read from the right: each entry was added by
the hop before, so the first address that is not itself a trusted proxy is the client.
Entries further left were written by the client and prove nothing, so a forged header from a
client changes nothing: either the client is not a trusted proxy (header ignored) or the
proxy appended the real address after the forged ones.
"""

import ipaddress
from functools import lru_cache

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured


@lru_cache(maxsize=8)
def _networks(entries):
    networks = []
    for entry in entries:
        try:
            networks.append(ipaddress.ip_network(entry, strict=False))
        except ValueError as error:
            raise ImproperlyConfigured(
                f"NEWSDESK_TRUSTED_PROXIES: {entry!r} is not an IP address or network"
            ) from error
    return tuple(networks)


def _address(text):
    try:
        address = ipaddress.ip_address(text.strip().strip("[]"))
    except ValueError:
        return None
    if address.version == 6 and address.ipv4_mapped:
        return address.ipv4_mapped
    return address


def client_ip(request):
    """The client's address as text, or "" when the connection's peer is unknown."""
    networks = _networks(tuple(settings.NEWSDESK_TRUSTED_PROXIES))
    current = _address(request.META.get("REMOTE_ADDR", ""))
    if current is None:
        return ""
    forwarded = [
        part for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if part.strip()
    ]
    while forwarded and any(current in network for network in networks):
        previous = _address(forwarded.pop())
        if previous is None:  # a trusted proxy wrote nonsense: stop at the proxy itself
            break
        current = previous
    return str(current)
