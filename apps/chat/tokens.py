"""Session tokens of the chat widget: signed, bound to one chat session, time-limited.

The widget gets one when it starts a chat and sends it back in the `X-Chat-Token` header.
It is django.core.signing over the session id and visitor id (HMAC with SECRET_KEY and a salt
of its own), so it cannot be forged, and it names the session it was issued for: the views
refuse it for any other session. Nothing is stored server-side.
"""

from django.core import signing

from apps.core.errors import DomainError

SALT = "cxdesk.chat.session-token"
MAX_AGE_SECONDS = 24 * 3600
HEADER = "HTTP_X_CHAT_TOKEN"


class TokenError(DomainError):
    """Why a token was refused: `code` for the error envelope, the message for people."""

    code = "invalid_chat_token"
    status = 401

    def __init__(self, code: str, message: str, *, status: int = 401):
        self.code, self.status = code, status
        super().__init__(message)


def token_for(session) -> str:
    return signing.dumps({"s": session.pk, "v": session.visitor_id}, salt=SALT)


def session_id_from(token: str) -> tuple[int, str]:
    """(session id, visitor id) of a valid token; raises TokenError otherwise."""
    if not token:
        raise TokenError("chat_token_missing", "Send the chat's token in the X-Chat-Token header.")
    try:
        data = signing.loads(token, salt=SALT, max_age=MAX_AGE_SECONDS)
    except signing.SignatureExpired:
        raise TokenError("chat_token_expired", "This chat token has expired.") from None
    except signing.BadSignature:
        raise TokenError("invalid_chat_token", "This chat token is not valid.") from None
    try:
        return int(data["s"]), str(data["v"])
    except (TypeError, KeyError, ValueError):  # signed by us, but not a session token
        raise TokenError("invalid_chat_token", "This chat token is not valid.") from None
