"""Lockouts and throttles find the client by one rule: X-Forwarded-For only from trusted
proxies (TRUSTED_PROXY_COUNT), never by default."""

import pytest
from django.test import RequestFactory
from rest_framework.settings import api_settings
from rest_framework.throttling import BaseThrottle

from apps.core.http import client_ip


def _request(xff=None, remote="192.0.2.1"):
    extra = {"REMOTE_ADDR": remote}
    if xff is not None:
        extra["HTTP_X_FORWARDED_FOR"] = xff
    return RequestFactory().get("/", **extra)


def _drf_ident(request):
    return BaseThrottle().get_ident(request)


def test_without_a_trusted_proxy_the_header_is_ignored(settings):
    request = _request(xff="203.0.113.9")
    assert client_ip(request) == "192.0.2.1"
    assert api_settings.NUM_PROXIES == 0
    assert _drf_ident(request) == "192.0.2.1"


@pytest.mark.parametrize(
    ("proxies", "xff", "expected"),
    [
        (1, "203.0.113.9", "203.0.113.9"),
        # A client writes its own entry first; one proxy appends the real address.
        (1, "10.0.0.1, 203.0.113.9", "203.0.113.9"),
        (2, "10.0.0.1, 203.0.113.9, 198.51.100.2", "203.0.113.9"),
        (2, "203.0.113.9", "203.0.113.9"),
        (1, "", "192.0.2.1"),
        (1, "not-an-address", "192.0.2.1"),
    ],
)
def test_behind_trusted_proxies_the_client_is_the_address_they_saw(
    settings, proxies, xff, expected
):
    settings.CXDESK_TRUSTED_PROXY_COUNT = proxies
    assert client_ip(_request(xff=xff)) == expected


def test_settings_give_drf_throttles_the_same_proxy_count():
    from django.conf import settings

    assert settings.REST_FRAMEWORK["NUM_PROXIES"] == settings.CXDESK_TRUSTED_PROXY_COUNT


@pytest.mark.parametrize(
    ("remote", "network"),
    [
        ("192.0.2.1", "192.0.2.1"),
        ("2001:db8:1:2:a:b:c:d", "2001:db8:1:2::"),
        ("2001:db8:1:2::ffff", "2001:db8:1:2::"),
        ("::ffff:192.0.2.9", "192.0.2.9"),
    ],
)
def test_limits_count_an_ipv6_client_per_64(remote, network):
    from apps.core.http import client_network

    assert client_network(_request(remote=remote)) == network
