"""Sending agents' replies to social networks: the "social" channel's sender.

Registered in settings.CXDESK_OUTBOUND_SENDERS as {"social": "apps.social.outbound.send"};
apps.cases.outbound calls `send(interaction)` from the send_interaction task, stores the id
it returns as the interaction's external_id, and retries a TransientSendError with backoff.

A reply answers the customer's latest social message on the case, from the SocialAccount it
was sent to (with that account's access token), in the same form:

- Messenger DM: POST {META_GRAPH_API_URL}/{v}/{page id}/messages with recipient.id = PSID,
  messaging_type RESPONSE and message.text;
- Instagram DM: POST {INSTAGRAM_GRAPH_API_URL}/{v}/{IG account id}/messages with
  recipient.id = IGSID and message.text (the Instagram API with Instagram Login);
- Instagram comment: POST {INSTAGRAM_GRAPH_API_URL}/{v}/{comment id}/replies with message
  (a public reply under the comment);
- WhatsApp: POST {META_GRAPH_API_URL}/{v}/{phone-number id}/messages with messaging_product
  whatsapp, to = wa_id, type text, text.body;
- X DM: POST {X_API_URL}/2/dm_conversations/with/{user id}/messages with text;
- X mention: POST {X_API_URL}/2/tweets with text and reply.in_reply_to_tweet_id (a public
  reply in the thread).

Every request carries `Authorization: Bearer <access token>` (Meta page / Instagram user /
WhatsApp system-user token; X OAuth 2.0 user-context token with dm.write and tweet.write).
{v} is META_GRAPH_API_VERSION. Outcomes: 2xx → the network's message id; 5xx, 429, 408,
timeouts, connection errors and Meta errors flagged transient or rate-limited →
TransientSendError (retried); any other answer → PermanentSendError carrying the provider's
own error message, shown on the interaction.
"""

import logging

import httpx
from django.conf import settings

from apps.cases.models import Interaction
from apps.cases.outbound import PermanentSendError, TransientSendError
from apps.contacts.models import ContactIdentity

from . import selectors
from .models import SocialAccount

logger = logging.getLogger(__name__)

Network = ContactIdentity.Network
USER_AGENT = "cxdesk-social/1"
ERROR_CHARS = 500
# Graph API error codes that mean "later": unknown/temporary, app/user/page rate limits,
# WhatsApp throughput and pair rate limits. Any error with is_transient=true too.
META_TRANSIENT_CODES = {1, 2, 4, 17, 32, 341, 613, 130429, 131048, 131056, *range(80001, 80015)}


def _graph_url(*parts: str, instagram: bool = False) -> str:
    base = settings.INSTAGRAM_GRAPH_API_URL if instagram else settings.META_GRAPH_API_URL
    version = settings.META_GRAPH_API_VERSION.strip("/")
    return "/".join([base.rstrip("/"), version, *parts])


def _x_url(path: str) -> str:
    return settings.X_API_URL.rstrip("/") + path


def send(interaction: Interaction) -> str | None:
    """Send one agent reply; the network's id for it. Raises Transient/PermanentSendError."""
    text = (interaction.body_text or "").strip()
    if not text:
        raise PermanentSendError("the reply has no text to send")
    meta, account = _answered_message(interaction)
    recipient = meta.get("sender_id")
    if not recipient:
        raise PermanentSendError("the message to answer has no sender id")
    return _post_reply(meta, account, recipient=recipient, text=text)


def _answered_message(interaction: Interaction) -> tuple[dict, SocialAccount]:
    """The metadata of the customer's message the reply answers, and the account to send
    from; PermanentSendError when there is none or it cannot send."""
    target = selectors.reply_target(case_id=interaction.case_id)
    if target is None:
        raise PermanentSendError(
            "this case has no message received through a social account to answer; "
            "reply on another channel"
        )
    meta = target.metadata
    account = SocialAccount.objects.filter(pk=meta.get("social_account_id")).first()
    if account is None:
        raise PermanentSendError("the social account the customer wrote to was deleted")
    if not account.is_active:
        raise PermanentSendError(f"{account} is inactive: activate it to send replies")
    if not account.access_token:
        raise PermanentSendError(f"{account} has no access token: set one in the admin")
    return meta, account


def _post_reply(meta: dict, account: SocialAccount, *, recipient: str, text: str) -> str | None:
    """POST the reply to the network's API for the kind of message it answers."""
    network, kind = meta.get("network"), meta.get("kind")
    if network == Network.FACEBOOK:
        data = _post(
            _graph_url(account.external_id, "messages"),
            account.access_token,
            {
                "recipient": {"id": recipient},
                "messaging_type": "RESPONSE",
                "message": {"text": text},
            },
        )
        return _id(data, "message_id")
    if network == Network.INSTAGRAM and kind == "comment":
        if not meta.get("comment_id"):
            raise PermanentSendError("the comment to answer has no comment id")
        data = _post(
            _graph_url(meta["comment_id"], "replies", instagram=True),
            account.access_token,
            {"message": text},
        )
        return _id(data, "id")
    if network == Network.INSTAGRAM:
        data = _post(
            _graph_url(account.external_id, "messages", instagram=True),
            account.access_token,
            {"recipient": {"id": recipient}, "message": {"text": text}},
        )
        return _id(data, "message_id")
    if network == Network.WHATSAPP:
        wa_id = str(meta.get("wa_id") or recipient or "").lstrip("+")
        data = _post(
            _graph_url(account.external_id, "messages"),
            account.access_token,
            {
                "messaging_product": "whatsapp",
                "recipient_type": "individual",
                "to": wa_id,
                "type": "text",
                "text": {"preview_url": False, "body": text},
            },
        )
        return _id(data, "messages", 0, "id")
    if network == Network.X and kind == "mention":
        data = _post(
            _x_url("/2/tweets"),
            account.access_token,
            {"text": text, "reply": {"in_reply_to_tweet_id": meta.get("tweet_id")}},
        )
        return _id(data, "data", "id")
    if network == Network.X:
        data = _post(
            _x_url(f"/2/dm_conversations/with/{recipient}/messages"),
            account.access_token,
            {"text": text},
        )
        return _id(data, "data", "dm_event_id")
    raise PermanentSendError(f"cannot reply to a {network} {kind} message")


def _id(data, *path) -> str | None:
    for key in path:
        try:
            data = data[key]
        except (KeyError, IndexError, TypeError):
            return None
    return str(data) if isinstance(data, str | int) and not isinstance(data, bool) else None


def _post(url: str, token: str, body: dict) -> dict:
    timeout = settings.CXDESK_SOCIAL_SEND_TIMEOUT
    headers = {
        "Authorization": f"Bearer {token}",
        "User-Agent": USER_AGENT,
        "Accept": "application/json",
    }
    try:
        with httpx.Client(
            timeout=httpx.Timeout(timeout, connect=min(timeout, 5.0)), follow_redirects=False
        ) as client:
            response = client.post(url, json=body, headers=headers)
    except httpx.TimeoutException as exc:
        raise TransientSendError(
            f"no answer within {timeout:g} s from {httpx.URL(url).host} ({type(exc).__name__})"
        ) from exc
    except (httpx.UnsupportedProtocol, httpx.InvalidURL) as exc:
        raise PermanentSendError(f"cannot send to {url}: {exc}") from exc
    except httpx.HTTPError as exc:  # connection refused, reset, DNS …: the network may recover
        raise TransientSendError(f"{type(exc).__name__}: {exc}") from exc
    try:
        data = response.json()
    except ValueError:
        data = None
    status = response.status_code
    if 200 <= status < 300:
        return data if isinstance(data, dict) else {}
    reason = _provider_error(data) or response.text[:200] or response.reason_phrase
    message = f"HTTP {status}: {reason}"[:ERROR_CHARS]
    if status >= 500 or status in (408, 429) or _meta_transient(data):
        raise TransientSendError(message)
    raise PermanentSendError(message)


def _provider_error(data) -> str:
    """The provider's own words: Graph `error`, X `detail`/`title` or `errors[]`."""
    if not isinstance(data, dict):
        return ""
    error = data.get("error")
    if isinstance(error, dict):
        text = str(error.get("error_user_msg") or error.get("message") or "").strip()
        details = (
            (error.get("error_data") or {}).get("details")
            if isinstance(error.get("error_data"), dict)
            else None
        )
        code = error.get("code")
        sub = error.get("error_subcode")
        codes = f" (code {code}{f'/{sub}' if sub else ''})" if code is not None else ""
        return f"{text}{codes}" + (f": {details}" if details else "")
    if isinstance(error, str):
        return error
    if data.get("detail") or data.get("title"):
        return str(data.get("detail") or data.get("title"))
    errors = data.get("errors")
    if isinstance(errors, list) and errors and isinstance(errors[0], dict):
        return "; ".join(str(e.get("message") or e.get("detail") or e) for e in errors[:3])
    return ""


def _meta_transient(data) -> bool:
    error = data.get("error") if isinstance(data, dict) else None
    if not isinstance(error, dict):
        return False
    return bool(error.get("is_transient")) or error.get("code") in META_TRANSIENT_CODES
