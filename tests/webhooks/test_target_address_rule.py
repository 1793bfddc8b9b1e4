"""Which addresses a webhook may be sent to, checked against a reference written here.

The reference works on the integer value of an address, octet by octet and prefix by prefix,
rather than with the `ipaddress` networks the implementation uses, so the two are written
independently. IPv6 forms that carry an IPv4 address are judged by that IPv4 address.
"""

import ipaddress

import pytest
from django.core.exceptions import ValidationError
from django.test import override_settings
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from apps.webhooks import services

MASK32 = 0xFFFF_FFFF


def reference_ipv4_public(value: int) -> bool:
    a, b, c, _ = value.to_bytes(4, "big")
    if a in (0, 10, 127) or a >= 224:  # this network, private, loopback, multicast, reserved
        return False
    if (a, b) in ((169, 254), (192, 168), (198, 18), (198, 19)):  # link-local, private, bench
        return False
    if (a == 172 and 16 <= b <= 31) or (a == 100 and 64 <= b <= 127):  # private, CGNAT
        return False
    # IETF assignments, TEST-NET-1/2/3, the 6to4 relay anycast
    return (a, b, c) not in ((192, 0, 0), (192, 0, 2), (198, 51, 100), (203, 0, 113), (192, 88, 99))


def _prefix(value: int, bits: int) -> int:
    return value >> (128 - bits)


def reference_ipv6_public(value: int) -> bool:
    if value >> 32 in (0, 0xFFFF):  # ::a.b.c.d (compatible), ::ffff:a.b.c.d (mapped)
        return reference_ipv4_public(value & MASK32)
    if value >> 32 == 0x0064_FF9B << 64:  # NAT64 64:ff9b::/96
        return reference_ipv4_public(value & MASK32)
    if _prefix(value, 16) == 0x2002:  # 6to4: the IPv4 follows the first 16 bits
        return reference_ipv4_public((value >> 80) & MASK32)
    if _prefix(value, 3) != 0b001:  # not global unicast: ULA, link-local, multicast, 64:ff9b:1::
        return False
    if _prefix(value, 23) == 0x2001 << 7:  # IETF assignments 2001::/23, Teredo 2001::/32 in it
        return False
    return _prefix(value, 32) != 0x2001_0DB8 and _prefix(value, 20) != 0x3FFF0  # documentation


def reference_public(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    if address.version == 4:
        return reference_ipv4_public(int(address))
    return reference_ipv6_public(int(address))


def _embed(form: str, v4: ipaddress.IPv4Address, rest: int) -> ipaddress.IPv6Address:
    n = int(v4)
    return ipaddress.IPv6Address(
        {
            "mapped": (0xFFFF << 32) | n,
            "compatible": n,
            "nat64": (0x0064_FF9B << 96) | n,
            "6to4": (0x2002 << 112) | (n << 80) | (rest & ((1 << 80) - 1)),
            "teredo": (0x2001_0000 << 96) | (rest & ((1 << 96) - 1)),
            "nat64-local": (0x0064_FF9B_0001 << 80) | (rest & ((1 << 80) - 1)),
        }[form]
    )


def _url(address) -> str:
    return f"https://[{address}]/hook" if address.version == 6 else f"https://{address}/hook"


def _accepted(address) -> bool:
    with override_settings(CXDESK_WEBHOOK_ALLOW_PRIVATE_TARGETS=False):
        try:
            services.subscription_validate(url=_url(address), events=["case.created"])
        except ValidationError:
            return False
    return True


embedded_forms = st.builds(
    _embed,
    st.sampled_from(["mapped", "compatible", "nat64", "6to4", "teredo", "nat64-local"]),
    st.ip_addresses(v=4),
    st.integers(min_value=0, max_value=2**96 - 1),
)
any_address = st.one_of(st.ip_addresses(v=4), st.ip_addresses(v=6), embedded_forms)
fixtures_ok = hypothesis_settings(
    suppress_health_check=[HealthCheck.function_scoped_fixture], max_examples=300, deadline=None
)


@fixtures_ok
@given(any_address)
def test_a_subscription_url_is_accepted_exactly_when_its_address_is_public(address):
    assert _accepted(address) == reference_public(address), address


@fixtures_ok
@given(any_address)
def test_the_send_time_rule_agrees_with_the_reference(address):
    from apps.webhooks.targets import is_public_address

    assert is_public_address(str(address)) == reference_public(address), address


@pytest.mark.parametrize(
    ("address", "carried"),
    [
        ("::ffff:127.0.0.1", "127.0.0.1"),
        ("::ffff:169.254.169.254", "169.254.169.254"),
        ("::127.0.0.1", "127.0.0.1"),
        ("::10.0.0.1", "10.0.0.1"),
        ("64:ff9b::7f00:1", "127.0.0.1"),
        ("64:ff9b::a9fe:a9fe", "169.254.169.254"),
        ("64:ff9b::c0a8:1", "192.168.0.1"),
        ("2002:7f00:1::1", "127.0.0.1"),
        ("2002:a00:1:ffff::1", "10.0.0.1"),
        ("2002:6440:1::", "100.64.0.1"),
    ],
)
def test_ipv6_forms_of_private_ipv4_are_refused(address, carried):
    assert not reference_ipv4_public(int(ipaddress.IPv4Address(carried)))
    assert not _accepted(ipaddress.IPv6Address(address))


@pytest.mark.parametrize(
    "address",
    [
        "::ffff:93.184.216.34",
        "64:ff9b::5db8:d822",
        "2002:5db8:d822::1",
        "2606:4700::1111",
    ],
)
def test_ipv6_forms_of_public_ipv4_and_global_ipv6_are_accepted(address):
    assert _accepted(ipaddress.IPv6Address(address))


@pytest.mark.parametrize(
    "address",
    [
        "2001:0:4136:e378:8000:63bf:3fff:fdd2",  # Teredo, whatever client it hides
        "2001:0:5db8:d822::1",
        "64:ff9b:1::a00:1",
        "64:ff9b:1:5db8:d822::",  # local-use NAT64
        "fc00::1",
        "fd12:3456::1",
        "fe80::1",
        "fec0::1",
        "ff02::1",
        "ff0e::1",
        "::",
        "::1",
        "100::1",
        "2001:db8::1",
        "3fff::1",
        "5f00::1",
    ],
)
def test_other_non_global_ipv6_is_refused(address):
    assert not _accepted(ipaddress.IPv6Address(address))


@pytest.mark.parametrize(
    "address",
    [
        "100.64.0.1",
        "100.127.255.254",
        "0.1.2.3",
        "224.0.0.1",
        "239.255.255.250",
        "255.255.255.255",
        "240.0.0.1",
        "192.0.0.8",
        "198.18.0.1",
        "192.0.2.10",
        "192.88.99.1",
    ],
)
def test_non_global_ipv4_is_refused(address):
    assert not _accepted(ipaddress.IPv4Address(address))
