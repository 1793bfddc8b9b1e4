"""Where a webhook may be sent: the address rule, one resolution, and a pinned connection.

A subscription's URL is chosen by an integration, so without care a delivery could be aimed at
this machine or its private network (SSRF: cloud metadata at 169.254.169.254, a database's
port, an admin interface), and the delivery log would tell whoever reads it what answered.
The rule, applied when a subscription is saved and again before every send:

- the host is not ``localhost`` (or a ``*.localhost`` name);
- every address it resolves to is public: see `is_public_address` (IPv4 outside the
  special-purpose ranges; IPv6 global unicast outside them, and an IPv6 form that carries an
  IPv4 address — IPv4-mapped, IPv4-compatible, NAT64 ``64:ff9b::/96``, 6to4 ``2002::/16`` —
  judged by the IPv4 address it carries; Teredo and local-use NAT64 refused outright);
- the connection goes to the address that was checked, never to a second answer of the
  resolver (`PinnedTransport`): DNS rebinding — a name that answers a public address to the
  check and 127.0.0.1 to the connection — cannot reach anything the check refused.

A refused target is never contacted, so the delivery log of one says the same thing whichever
port or service it names. CXDESK_WEBHOOK_ALLOW_PRIVATE_TARGETS=true lifts the address rule
(on-premises receivers, tests); the connection is pinned to the resolved address all the same.
A site that reaches the internet only through a NAT64 gateway with its own prefix (not
``64:ff9b::/96``) should know that such addresses are judged as plain IPv6.
"""

import functools
import ipaddress
import os
import socket
import ssl

import httpx
from django.conf import settings

REFUSED = (
    "refused before connecting: the host is not a public internet address (loopback, private, "
    "link-local, reserved, or an IPv6 form of one); nothing was sent"
)
MAX_ADDRESSES = 4  # tried in the resolver's order while the previous one cannot be reached

_net = ipaddress.ip_network

# IPv4 ranges that are not the public internet (IANA IPv4 Special-Purpose Address Registry,
# multicast and the reserved block). Python's `is_global` is consulted too, but its tables
# differ between versions (3.11 calls 224.0.0.1 and 192.0.0.8 global), hence our own.
IPV4_NOT_PUBLIC = tuple(
    _net(n)
    for n in (
        "0.0.0.0/8",  # "this network": 0.0.0.0 reaches this machine on Linux
        "10.0.0.0/8",
        "172.16.0.0/12",
        "192.168.0.0/16",  # private
        "100.64.0.0/10",  # carrier-grade NAT (shared address space)
        "127.0.0.0/8",  # loopback
        "169.254.0.0/16",  # link-local: cloud metadata services
        "192.0.0.0/24",  # IETF protocol assignments
        "192.0.2.0/24",
        "198.51.100.0/24",
        "203.0.113.0/24",  # documentation (TEST-NET-1, 2, 3)
        "192.88.99.0/24",  # the deprecated 6to4 relay anycast
        "198.18.0.0/15",  # benchmarking
        "224.0.0.0/4",  # multicast
        "240.0.0.0/4",  # reserved, 255.255.255.255 (limited broadcast) included
    )
)
# IPv6: only global unicast (2000::/3) is public, minus these special-purpose blocks inside
# it. The forms that carry an IPv4 address are judged by that address (`embedded_ipv4`).
IPV6_GLOBAL_UNICAST = _net("2000::/3")
IPV6_NOT_PUBLIC = tuple(
    _net(n)
    for n in (
        # IETF protocol assignments, Teredo (2001::/32: its IPv4 is obfuscated) included
        "2001::/23",
        "2001:db8::/32",
        "3fff::/20",  # documentation
    )
)
IPV4_MAPPED = _net("::ffff:0:0/96")  # ::ffff:a.b.c.d, what a dual-stack socket makes of IPv4
IPV4_COMPATIBLE = _net("::/96")  # ::a.b.c.d (deprecated; old stacks tunnel it to a.b.c.d)
NAT64 = _net("64:ff9b::/96")  # the well-known NAT64 prefix (RFC 6052): the IPv4 in the last 32 bits
SIX_TO_FOUR = _net("2002::/16")  # 6to4 (RFC 3056): the IPv4 in bits 16 to 48
# 64:ff9b:1::/48 (local-use NAT64, RFC 8215) is outside 2000::/3, so refused: the IPv4 may sit
# at any of several offsets in it, and it is never a public receiver's address.


def embedded_ipv4(ip: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    """The IPv4 address that an IPv6 address of a translation or tunnelling form reaches."""
    if ip in IPV4_MAPPED or ip in IPV4_COMPATIBLE or ip in NAT64:
        return ipaddress.IPv4Address(int(ip) & 0xFFFF_FFFF)
    if ip in SIX_TO_FOUR:
        return ipaddress.IPv4Address((int(ip) >> 80) & 0xFFFF_FFFF)
    return None


def _ipv4_is_public(ip: ipaddress.IPv4Address) -> bool:
    return ip.is_global and not any(ip in network for network in IPV4_NOT_PUBLIC)


def is_public_address(address: str) -> bool:
    """True when `address` (an IP literal, brackets and a %zone allowed) is on the internet.

    Not an IP address at all: False.
    """
    try:
        ip = ipaddress.ip_address(address.strip("[]").split("%")[0])
    except ValueError:
        return False
    if isinstance(ip, ipaddress.IPv4Address):
        return _ipv4_is_public(ip)
    carried = embedded_ipv4(ip)
    if carried is not None:
        return _ipv4_is_public(carried)
    return (
        ip in IPV6_GLOBAL_UNICAST
        and not any(ip in network for network in IPV6_NOT_PUBLIC)
        and ip.is_global
    )


def _is_ip_literal(host: str) -> bool:
    try:
        ipaddress.ip_address(host.strip("[]").split("%")[0])
    except ValueError:
        return False
    return True


def _is_localhost_name(host: str) -> bool:
    host = host.lower().rstrip(".")
    return host == "localhost" or host.endswith(".localhost")


def host_refused(host: str) -> bool:
    """The check a subscription's URL passes when it is saved (no DNS lookup: a name is
    checked again, resolved, before each send): localhost names and non-public literals."""
    if settings.CXDESK_WEBHOOK_ALLOW_PRIVATE_TARGETS:
        return False
    host = (host or "").strip()
    if _is_localhost_name(host):
        return True
    return _is_ip_literal(host) and not is_public_address(host)


class TargetRefused(Exception):
    """The URL's host may not be sent to; `str(exc)` is what the delivery log records."""


def resolve(host: str, port: int) -> list[str]:
    """The addresses to connect to for `host`, resolved once and every one checked.

    Raises TargetRefused when the name does not resolve, or when any address it resolves to
    is not public (one private answer among public ones is enough: the order in which they
    would be tried is the resolver's, not ours).
    """
    allow_private = settings.CXDESK_WEBHOOK_ALLOW_PRIVATE_TARGETS
    if not allow_private and _is_localhost_name(host):
        raise TargetRefused(REFUSED)
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError) as exc:
        raise TargetRefused(f"DNS: the host {host!r} could not be resolved") from exc
    addresses = list(dict.fromkeys(str(info[4][0]) for info in infos))
    if not addresses:
        raise TargetRefused(f"DNS: the host {host!r} has no address")
    if not allow_private and not all(is_public_address(a) for a in addresses):
        raise TargetRefused(REFUSED)
    return addresses[:MAX_ADDRESSES]


def tls_context() -> ssl.SSLContext:
    """httpx's default verification context (certifi's roots, or SSL_CERT_FILE/SSL_CERT_DIR),
    made once per value of those variables: loading the roots costs ~80 ms a delivery."""
    return _tls_context(os.environ.get("SSL_CERT_FILE", ""), os.environ.get("SSL_CERT_DIR", ""))


@functools.lru_cache(maxsize=4)
def _tls_context(cert_file: str, cert_dir: str) -> ssl.SSLContext:
    return httpx.create_ssl_context(trust_env=True)  # reads the same two variables


class PinnedTransport(httpx.BaseTransport):
    """Sends every request to one checked IP address, whatever name its URL holds.

    The URL's host is swapped for the address just before the request reaches httpcore, so
    nothing after the check resolves the name again, and a request for any other host (a
    redirect, were one ever followed) is refused, not sent. The Host header stays the name
    (httpx set it from the URL), and TLS sends the name as SNI and verifies the certificate
    against it (httpcore's ``sni_hostname`` request extension). Certificates are checked with
    certifi's roots, or SSL_CERT_FILE / SSL_CERT_DIR when set (a private CA on-premises).
    Given to an httpx.Client as its `transport`, it also keeps proxies from the environment out
    (httpx mounts them only on clients without one; the client sets trust_env=False as well).
    """

    def __init__(self, *, host: str, address: str) -> None:
        self.host = host.lower()
        self.address = address
        self._transport = httpx.HTTPTransport(retries=0, verify=tls_context())

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        if request.url.raw_host.decode("ascii").lower() != self.host:
            raise httpx.ConnectError(
                "refused: a request for another host than the checked one", request=request
            )
        extensions = dict(request.extensions)
        if not _is_ip_literal(self.host):
            extensions["sni_hostname"] = self.host
        pinned = httpx.Request(
            request.method,
            request.url.copy_with(host=self.address),
            headers=request.headers,  # the Host header of the name, set by httpx already
            stream=request.stream,
            extensions=extensions,
        )
        return self._transport.handle_request(pinned)

    def close(self) -> None:
        self._transport.close()
