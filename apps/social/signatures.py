"""Webhook authenticity checks of Meta and X. Pure functions, compared in constant time."""

import base64
import hashlib
import hmac
import re


def _hmac_sha256(secret: str, message: bytes) -> bytes:
    return hmac.new(secret.encode(), message, hashlib.sha256).digest()


def meta_signature(*, secret: str, body: bytes) -> str:
    """X-Hub-Signature-256: "sha256=" + hex HMAC-SHA256 of the raw body, keyed with the app
    secret."""
    return "sha256=" + _hmac_sha256(secret, body).hex()


def meta_signature_valid(*, secret: str, header: str | None, body: bytes) -> bool:
    if not secret or not header:
        return False
    algorithm, _, digest = header.strip().partition("=")
    if algorithm.lower() != "sha256" or not digest:
        return False
    expected = _hmac_sha256(secret, body).hex()
    return hmac.compare_digest(expected.encode(), digest.strip().lower().encode())


# What X sends as a CRC crc_token: a short opaque string (observed: 48 characters of base64, a
# UUID encoded). X documents no format, so this admits base64, base64url and URL-unreserved
# characters, at most 128 of them — and nothing a JSON object needs ({ " : , space), so no
# webhook body can ever be a crc_token. Both constructions are the same HMAC with the same
# key: were any body admitted as a token, the CRC answer would be a valid body signature.
X_CRC_TOKEN_MAX_LENGTH = 128
_X_CRC_TOKEN = re.compile(rf"[A-Za-z0-9\-._~+/=]{{1,{X_CRC_TOKEN_MAX_LENGTH}}}")


def x_crc_token_valid(token: str) -> bool:
    return _X_CRC_TOKEN.fullmatch(token) is not None


def x_signature(*, secret: str, message: bytes) -> str:
    """X (Twitter) Account Activity: "sha256=" + base64 HMAC-SHA256 keyed with the consumer
    secret — of the raw body (x-twitter-webhooks-signature) or of the crc_token (the CRC
    check's response_token)."""
    return "sha256=" + base64.b64encode(_hmac_sha256(secret, message)).decode()


def x_signature_valid(*, secret: str, header: str | None, body: bytes) -> bool:
    if not secret or not header:
        return False
    if _X_CRC_TOKEN.fullmatch(body.decode("ascii", "replace")):
        return False  # something the CRC check would sign: never an event body
    expected = x_signature(secret=secret, message=body)
    return hmac.compare_digest(expected.encode(), header.strip().encode())
