"""The client's network address, for sign-in lockout (SPEC §8) and rate limits.

Behind reverse proxies REMOTE_ADDR is the nearest proxy; with DANGJIAN_TRUSTED_PROXIES = n the
client is the n-th address from the right of X-Forwarded-For (each trusted proxy appends the
address it received the request from, so the entries further left can be forged by the client
and are never read).
"""

from __future__ import annotations

import ipaddress

from django.conf import settings

UNKNOWN = "unknown"


def address_key(raw: str) -> str:
    """A normalized address: IPv4 as is, IPv6 as its /64 network (one subscriber usually holds
    a whole /64, so counting single IPv6 addresses would let one attacker rotate through
    billions of them), anything unparsable as "unknown"."""
    try:
        address = ipaddress.ip_address(raw.strip().strip("[]"))
    except ValueError:
        return UNKNOWN
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:
            return str(address.ipv4_mapped)
        return str(ipaddress.IPv6Network((address, 64), strict=False))
    return str(address)


def client_address(request) -> str:
    """The normalized address of the client that sent `request`."""
    return address_of(request.META)


def address_of(meta) -> str:
    """The normalized client address from a WSGI environ or request.META."""
    proxies = getattr(settings, "TRUSTED_PROXIES", 0)
    if proxies > 0:
        hops = [h.strip() for h in meta.get("HTTP_X_FORWARDED_FOR", "").split(",")]
        hops = [h for h in hops if h]
        if len(hops) >= proxies:
            return address_key(hops[-proxies])
        return UNKNOWN
    return address_key(meta.get("REMOTE_ADDR", ""))
