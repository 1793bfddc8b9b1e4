"""A delivery connects to the address its check approved, never to a second DNS answer.

DNS rebinding: a name answers a public address to the check and 127.0.0.1 to the connection.
The tests make the "public" answer 93.184.216.34 but never connect to it: the connection
recorder refuses it on the spot and tells where the attempt went.
"""

import datetime
import socket
import ssl

import httpx
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from apps.webhooks import services, targets
from apps.webhooks.models import WebhookDelivery
from tests.webhooks.conftest import running_receiver
from tests.webhooks.factories import WebhookSubscriptionFactory

pytestmark = pytest.mark.django_db

PUBLIC = "93.184.216.34"  # never reached: the recorder refuses connections to it


@pytest.fixture
def production_rule(settings):
    settings.CXDESK_WEBHOOK_ALLOW_PRIVATE_TARGETS = False


def _deliver(url: str) -> WebhookDelivery:
    subscription = WebhookSubscriptionFactory(url=url)
    delivery = WebhookDelivery.objects.create(
        subscription=subscription, event="case.created", payload={"id": "e1", "data": {}}
    )
    services.delivery_attempt(delivery_id=delivery.pk)
    delivery.refresh_from_db()
    return delivery


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]  # nothing listens once the socket is closed


def test_a_rebinding_name_is_only_ever_connected_to_at_the_checked_address(
    production_rule, receiver, resolver, connections
):
    resolver.answer("rebind.example.com", PUBLIC, "127.0.0.1")
    connections.blocked = {PUBLIC}

    delivery = _deliver(f"http://rebind.example.com:{receiver.port}/hooks/cxdesk")

    assert receiver.requests == []
    assert connections.attempts == [(PUBLIC, receiver.port)]
    assert resolver.lookups == ["rebind.example.com"]  # resolved once, by the check
    assert delivery.status == "pending"
    assert "ConnectError" in delivery.last_error


def test_the_delivery_log_does_not_tell_an_open_internal_port_from_a_closed_one(
    production_rule, receiver, resolver, connections
):
    connections.blocked = {PUBLIC}
    logs = []
    for port in (receiver.port, _closed_port()):
        resolver.answer("scan.example.com", PUBLIC, "127.0.0.1")
        delivery = _deliver(f"http://scan.example.com:{port}/")
        logs.append(
            (
                delivery.status,
                delivery.last_status_code,
                delivery.last_error,
                delivery.response_excerpt,
            )
        )

    assert logs[0] == logs[1]
    assert receiver.requests == []
    assert {host for host, _ in connections.attempts} == {PUBLIC}


def test_a_name_with_one_private_address_among_public_ones_is_refused(
    production_rule, resolver, connections
):
    resolver.answer("mixed.example.com", (PUBLIC, "127.0.0.1"))
    connections.block_all = True

    delivery = _deliver("https://mixed.example.com/hook")

    assert connections.attempts == []
    assert delivery.status == "pending"
    assert "refused" in delivery.last_error


def test_the_name_is_resolved_once_and_keeps_its_host_header(receiver, resolver):
    resolver.answer("hooks.example.test", "127.0.0.1")

    delivery = _deliver(f"http://hooks.example.test:{receiver.port}/hooks/cxdesk")

    assert delivery.status == "delivered"
    assert receiver.requests[0].headers["host"] == f"hooks.example.test:{receiver.port}"
    assert resolver.lookups == ["hooks.example.test"]


def test_the_next_address_is_tried_when_one_cannot_be_reached(receiver, resolver, connections):
    resolver.answer("two.example.test", ("127.0.0.2", "127.0.0.1"))
    connections.blocked = {"127.0.0.2"}

    delivery = _deliver(f"http://two.example.test:{receiver.port}/hooks/cxdesk")

    assert [host for host, _ in connections.attempts] == ["127.0.0.2", "127.0.0.1"]
    assert delivery.status == "delivered"
    assert len(receiver.requests) == 1
    assert resolver.lookups == ["two.example.test"]


def test_proxies_from_the_environment_are_not_used(receiver, monkeypatch):
    with running_receiver() as proxy:
        for name in (
            "HTTP_PROXY",
            "HTTPS_PROXY",
            "ALL_PROXY",
            "http_proxy",
            "https_proxy",
            "all_proxy",
        ):
            monkeypatch.setenv(name, f"http://127.0.0.1:{proxy.port}")
        for name in ("NO_PROXY", "no_proxy"):
            monkeypatch.delenv(name, raising=False)

        delivery = _deliver(receiver.url)

    assert proxy.requests == []
    assert delivery.status == "delivered"
    assert len(receiver.requests) == 1


def test_redirects_are_not_followed(receiver, resolver):
    with running_receiver() as elsewhere:
        receiver.status = 307
        receiver.headers = {"Location": elsewhere.url}
        delivery = _deliver(receiver.url)
    assert elsewhere.requests == []
    assert delivery.status == "pending"
    assert delivery.last_status_code == 307


def test_the_pinned_transport_sends_nothing_for_another_host(connections):
    transport = targets.PinnedTransport(host="hooks.example.test", address="127.0.0.1")
    with pytest.raises(httpx.ConnectError):
        transport.handle_request(httpx.Request("POST", "http://elsewhere.example.test/"))
    assert connections.attempts == []


# --- TLS: SNI and the certificate are checked against the name, not the address -----------


def _certificate_authority(tmp_path, name: str):
    """A CA (its PEM file returned) and a server context holding a certificate for `name`."""
    now = datetime.datetime.now(datetime.UTC)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "cxdesk test CA")])
    ca = (
        x509.CertificateBuilder()
        .subject_name(ca_name)
        .issuer_name(ca_name)
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(hours=1))
        .not_valid_after(now + datetime.timedelta(hours=1))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                key_cert_sign=True,
                crl_sign=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(
            x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), critical=False
        )
        .sign(ca_key, hashes.SHA256())
    )
    key = ec.generate_private_key(ec.SECP256R1())
    leaf = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)]))
        .issuer_name(ca_name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(hours=1))
        .not_valid_after(now + datetime.timedelta(hours=1))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName(name)]), critical=False)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.ExtendedKeyUsage([x509.ExtendedKeyUsageOID.SERVER_AUTH]), critical=False
        )
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False
        )
        .sign(ca_key, hashes.SHA256())
    )
    ca_file = tmp_path / "ca.pem"
    ca_file.write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    chain = tmp_path / "server.pem"
    chain.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
        + leaf.public_bytes(serialization.Encoding.PEM)
    )
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(chain)
    return ca_file, context


@pytest.fixture
def tls_receiver(tmp_path, monkeypatch):
    """A TLS receiver on 127.0.0.1 with a certificate for hooks.example.test, trusted by the
    sender through SSL_CERT_FILE; `server_names` records the SNI of each handshake."""
    ca_file, context = _certificate_authority(tmp_path, "hooks.example.test")
    server_names = []
    context.sni_callback = lambda sock, name, ctx: server_names.append(name)
    monkeypatch.setenv("SSL_CERT_FILE", str(ca_file))
    with running_receiver(
        wrap_socket=lambda s: context.wrap_socket(s, server_side=True)
    ) as receiver:
        receiver.server_names = server_names
        yield receiver


def test_tls_sends_the_name_as_sni_and_verifies_the_certificate_against_it(tls_receiver, resolver):
    resolver.answer("hooks.example.test", "127.0.0.1")

    delivery = _deliver(f"https://hooks.example.test:{tls_receiver.port}/hooks/cxdesk")

    assert delivery.status == "delivered", delivery.last_error
    assert tls_receiver.server_names == ["hooks.example.test"]
    assert tls_receiver.requests[0].headers["host"] == f"hooks.example.test:{tls_receiver.port}"
    assert resolver.lookups == ["hooks.example.test"]


def test_a_certificate_for_another_name_is_refused(tls_receiver, resolver):
    resolver.answer("other.example.test", "127.0.0.1")

    delivery = _deliver(f"https://other.example.test:{tls_receiver.port}/hooks/cxdesk")

    assert delivery.status == "pending"
    assert "CERTIFICATE_VERIFY_FAILED" in delivery.last_error
    assert tls_receiver.requests == []
    assert resolver.lookups == ["other.example.test"]


def test_an_ip_address_url_is_verified_against_the_address(tls_receiver):
    delivery = _deliver(f"https://127.0.0.1:{tls_receiver.port}/hooks/cxdesk")

    assert delivery.status == "pending"
    assert "CERTIFICATE_VERIFY_FAILED" in delivery.last_error
    assert tls_receiver.requests == []
    assert tls_receiver.server_names in ([], [None])  # no SNI is sent for an address
