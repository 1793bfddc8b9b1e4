"""Who is on the other end of a request: one rule for every lockout and throttle.

A client can put anything in X-Forwarded-For, so it is read only when cxdesk is told how many
reverse proxies stand in front of it (TRUSTED_PROXY_COUNT, like TRUST_X_FORWARDED_PROTO for the
scheme). Each proxy appends the address it received the request from, so with N trusted proxies
the client is the N-th address from the right: whatever a client wrote further left is ignored
(and something that is not an address falls back to REMOTE_ADDR).
With no trusted proxy the address is the connection's (REMOTE_ADDR). DRF's throttles follow the
same rule through REST_FRAMEWORK["NUM_PROXIES"], set from the same setting. The sign-in lockout
and the reset limit count per `client_network`: an IPv6 client per /64.
"""

import ipaddress

from django.conf import settings
from django.http import HttpRequest


def client_ip(request: HttpRequest) -> str | None:
    """The client's address as far as the trusted proxies vouch for it."""
    remote = request.META.get("REMOTE_ADDR") or None
    proxies = settings.CXDESK_TRUSTED_PROXY_COUNT
    if proxies <= 0:
        return remote
    forwarded = [part.strip() for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")]
    forwarded = [part for part in forwarded if part]
    if not forwarded:
        return remote
    candidate = forwarded[-min(proxies, len(forwarded))]
    try:
        return str(ipaddress.ip_address(candidate))
    except ValueError:  # a proxy count larger than the real chain lets a client write here
        return remote


def client_network(request: HttpRequest) -> str | None:
    """The client as limits that count per address see it (sign-in lockout, reset requests):
    its IPv4 address, or the /64 its IPv6 address is in, written as the network's first
    address. One subscriber usually holds a whole /64 and could otherwise take a fresh
    address for every few guesses, past any per-address limit."""
    address = client_ip(request)
    try:
        ip = ipaddress.ip_address(address or "")
    except ValueError:
        return address
    if ip.version == 4:
        return str(ip)
    if ip.ipv4_mapped:
        return str(ip.ipv4_mapped)
    return str(ipaddress.ip_network(f"{ip}/64", strict=False).network_address)
