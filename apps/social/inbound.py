"""Reading the networks' webhook bodies. Pure functions: no database, no network.

Two steps, so that what is stored is always the raw event and reading can be re-run:

1. `meta_pieces(body)` / `x_pieces(body)` split a signed, decoded webhook body into Pieces,
   one per customer message (DM, comment, mention). Each is stored as a SocialEvent before
   anything else happens. Receipts and noise — delivery/read receipts, echoes of the
   account's own messages, typing indicators, reactions, WhatsApp statuses, the account's
   own tweets and comments, retweets — are counted as skipped and not stored. A piece that
   cannot even be split out (an entry that is not an object …) is still a Piece: raw, with an
   error, so it is stored as failed. Only a body whose envelope is wrong (not an object, no
   entry list, no for_user_id) raises BadPayload → 400.
2. `message_from(network, kind, payload)` reads one stored event into an InboundMessage, or
   raises Unreadable (the event is kept as failed) or NotAMessage (kept as ignored).

Identity: every network's *stable user id* identifies the customer — Messenger PSID,
Instagram IGSID (DMs and comments carry the same one, so both reach one contact), WhatsApp
wa_id (a phone number: E.164 after normalisation), X numeric user id. Usernames and screen
names change and are re-used by other people later, so matching on them could attach a
stranger to someone's history; they are kept as `sender_handle` in the metadata and as the
contact's display name when we have nothing better.
"""

from dataclasses import dataclass, field
from datetime import UTC, datetime

from apps.contacts.models import ContactIdentity

Network = ContactIdentity.Network

DM, COMMENT, MENTION, OTHER = "dm", "comment", "mention", "other"

META_OBJECTS = {
    "page": Network.FACEBOOK,
    "instagram": Network.INSTAGRAM,
    "whatsapp_business_account": Network.WHATSAPP,
}
NETWORK_LABELS: dict[str, str] = {  # keyed by Network values (str)
    Network.FACEBOOK: "Messenger",
    Network.INSTAGRAM: "Instagram",
    Network.WHATSAPP: "WhatsApp",
    Network.X: "X",
}


class BadPayload(ValueError):
    """The body's envelope is not the network's webhook format (→ HTTP 400)."""


class Unreadable(ValueError):
    """A stored event lacks what a message needs (sender, id …): kept as failed."""


class NotAMessage(ValueError):
    """A stored event that is deliberately not turned into an interaction: kept as ignored."""


@dataclass
class Piece:
    """One event split out of a batch, as it will be stored."""

    network: str
    kind: str
    account_external_id: str
    external_id: str
    payload: dict
    error: str = ""


@dataclass
class Batch:
    pieces: list[Piece] = field(default_factory=list)
    skipped: int = 0
    unsupported_object: str = ""


@dataclass
class InboundMessage:
    network: str
    kind: str
    account_external_id: str
    message_id: str
    sender_id: str  # the network's stable id of the customer: their identity value
    sender_handle: str = ""  # username / screen name when the network gives one
    sender_name: str = ""
    text: str = ""
    occurred_at: datetime | None = None
    attachments: list[dict] = field(default_factory=list)
    details: dict = field(default_factory=dict)  # ids needed to thread and to answer

    @property
    def display_name(self) -> str:
        return self.sender_name or (f"@{self.sender_handle}" if self.sender_handle else "")

    @property
    def body_text(self) -> str:
        lines = [self.text.strip()] if self.text and self.text.strip() else []
        for attachment in self.attachments:
            what = attachment.get("type") or "attachment"
            where = (
                attachment.get("url")
                or attachment.get("filename")
                or attachment.get("media_id")
                or ""
            )
            caption = attachment.get("caption") or ""
            lines.append(" ".join(p for p in (f"[{what}]", where, caption) if p))
        return "\n".join(lines) or "(empty message)"

    @property
    def subject(self) -> str:
        label = NETWORK_LABELS.get(self.network, self.network)
        kind = {DM: "message", COMMENT: "comment", MENTION: "mention"}.get(self.kind, self.kind)
        first_line = self.body_text.splitlines()[0] if self.body_text else ""
        snippet = first_line if len(first_line) <= 80 else first_line[:79].rstrip() + "…"
        return f"{label} {kind}: {snippet}"


# --- small tolerant readers ------------------------------------------------------------------


def _str(value) -> str:
    if isinstance(value, bool) or not isinstance(value, str | int):
        return ""
    return str(value).strip()


def _dict(value) -> dict:
    return value if isinstance(value, dict) else {}


def _list(value) -> list:
    return value if isinstance(value, list) else []


def _get(data, *path):
    for key in path:
        if not isinstance(data, dict):
            return None
        data = data.get(key)
    return data


def _from_timestamp(value, *, millis: bool) -> datetime | None:
    try:
        number = float(value)
        return datetime.fromtimestamp(number / 1000 if millis else number, tz=UTC)
    except (TypeError, ValueError, OverflowError, OSError):
        return None


# --- Meta: Messenger, Instagram, WhatsApp ------------------------------------------------------


def meta_pieces(body) -> Batch:
    """Split a Meta webhook body ({"object": …, "entry": [...]}) into customer messages."""
    if not isinstance(body, dict):
        raise BadPayload("the body must be a JSON object")
    obj = body.get("object")
    if not isinstance(obj, str) or not obj:
        raise BadPayload('"object" is missing (page, instagram or whatsapp_business_account)')
    entries = body.get("entry")
    if not isinstance(entries, list):
        raise BadPayload('"entry" must be a list')
    network = META_OBJECTS.get(obj)
    if network is None:
        # A genuine (signed) delivery for a product we do not handle: acknowledge it, or Meta
        # retries and eventually disables the subscription.
        return Batch(skipped=len(entries), unsupported_object=obj)
    batch = Batch()
    for entry in entries:
        if not isinstance(entry, dict):
            batch.pieces.append(
                Piece(
                    network,
                    OTHER,
                    "",
                    "",
                    {"object": obj, "entry": entry},
                    error="an entry is not a JSON object",
                )
            )
        elif network == Network.WHATSAPP:
            _whatsapp_entry(obj, entry, batch)
        else:
            _messaging_entry(obj, network, entry, batch)
    return batch


def _broken(batch: Batch, network: str, obj: str, raw, error: str, account: str = "") -> None:
    batch.pieces.append(
        Piece(network, OTHER, account, "", {"object": obj, "raw": raw}, error=error)
    )


def _messaging_entry(obj: str, network: str, entry: dict, batch: Batch) -> None:
    entry_id = _str(entry.get("id"))
    messaging, changes = entry.get("messaging"), entry.get("changes")
    if messaging is None and changes is None:
        # "standby" (another app owns the thread) and anything else: not ours to answer.
        batch.skipped += max(len(_list(entry.get("standby"))), 1)
        return
    if messaging is not None:
        if not isinstance(messaging, list):
            _broken(batch, network, obj, entry, "entry.messaging is not a list", entry_id)
        else:
            for item in messaging:
                _messaging_item(obj, network, entry_id, item, batch)
    if changes is not None:
        if not isinstance(changes, list):
            _broken(batch, network, obj, entry, "entry.changes is not a list", entry_id)
            return
        for change in changes:
            _meta_change(obj, network, entry, change, batch)


def _messaging_item(obj: str, network: str, entry_id: str, item, batch: Batch) -> None:
    if not isinstance(item, dict):
        _broken(batch, network, obj, item, "a messaging event is not a JSON object", entry_id)
        return
    account = _str(_get(item, "recipient", "id")) or entry_id
    payload = {"object": obj, "entry_id": entry_id, "messaging": item}
    message, postback = item.get("message"), item.get("postback")
    if "message" in item and not isinstance(message, dict):
        batch.pieces.append(
            Piece(
                network, OTHER, account, "", payload, error="messaging.message is not a JSON object"
            )
        )
    elif isinstance(message, dict):
        if message.get("is_echo") or message.get("is_deleted"):
            batch.skipped += 1  # our own message echoed back, or an unsent one
            return
        batch.pieces.append(Piece(network, DM, account, _str(message.get("mid")), payload))
    elif isinstance(postback, dict):
        batch.pieces.append(Piece(network, DM, account, _str(postback.get("mid")), payload))
    else:
        batch.skipped += 1  # delivery, read, reaction, referral, optin, typing …


def _meta_change(obj: str, network: str, entry: dict, change, batch: Batch) -> None:
    entry_id = _str(entry.get("id"))
    if not isinstance(change, dict):
        _broken(batch, network, obj, change, "a change is not a JSON object", entry_id)
        return
    fieldname, value = change.get("field"), change.get("value")
    payload = {
        "object": obj,
        "entry_id": entry_id,
        "entry_time": entry.get("time"),
        "change": change,
    }
    if fieldname == "messages" and isinstance(value, dict) and "sender" in value:
        # The dashboard's "Test" button sends a DM in this shape.
        _messaging_item(obj, network, entry_id, value, batch)
    elif network == Network.INSTAGRAM and fieldname in ("comments", "live_comments"):
        if _str(_get(value, "from", "id")) == entry_id:
            batch.skipped += 1  # the account's own comment (e.g. our reply)
            return
        error = "" if isinstance(value, dict) else "change.value is not a JSON object"
        batch.pieces.append(
            Piece(network, COMMENT, entry_id, _str(_get(value, "id")), payload, error=error)
        )
    elif network == Network.INSTAGRAM and fieldname == "mentions":
        external = _str(_get(value, "comment_id")) or _str(_get(value, "media_id"))
        batch.pieces.append(Piece(network, MENTION, entry_id, external, payload))
    elif network == Network.FACEBOOK and fieldname == "feed":
        if _str(_get(value, "from", "id")) in ("", entry_id) or _get(value, "verb") != "add":
            batch.skipped += 1
            return
        # Someone posted or commented on the Page: kept (ignored) until feeds are supported.
        external = _str(_get(value, "comment_id")) or _str(_get(value, "post_id"))
        batch.pieces.append(Piece(network, OTHER, entry_id, external, payload))
    else:
        batch.skipped += 1  # other subscribed fields (story insights, account updates …)


def _whatsapp_entry(obj: str, entry: dict, batch: Batch) -> None:
    network = Network.WHATSAPP
    changes = entry.get("changes")
    if not isinstance(changes, list):
        _broken(batch, network, obj, entry, "entry.changes is not a list")
        return
    for change in changes:
        if not isinstance(change, dict):
            _broken(batch, network, obj, change, "a change is not a JSON object")
            continue
        if change.get("field") != "messages":
            batch.skipped += 1  # template, quality, account updates: not customer messages
            continue
        value = change.get("value")
        if not isinstance(value, dict):
            _broken(batch, network, obj, change, "change.value is not a JSON object")
            continue
        metadata = _dict(value.get("metadata"))
        account = _str(metadata.get("phone_number_id"))
        batch.skipped += len(_list(value.get("statuses")))  # sent/delivered/read receipts
        messages = value.get("messages")
        if messages is None:
            continue
        if not isinstance(messages, list):
            _broken(batch, network, obj, change, "value.messages is not a list", account)
            continue
        contacts = [c for c in _list(value.get("contacts")) if isinstance(c, dict)]
        for message in messages:
            if not isinstance(message, dict):
                _broken(batch, network, obj, message, "a message is not a JSON object", account)
                continue
            if message.get("type") == "reaction":
                batch.skipped += 1
                continue
            sender = _str(message.get("from"))
            contact = next(
                (c for c in contacts if _str(c.get("wa_id")) == sender),
                contacts[0] if len(contacts) == 1 else None,
            )
            payload = {
                "object": obj,
                "entry_id": _str(entry.get("id")),
                "metadata": metadata,
                "contact": contact,
                "message": message,
            }
            batch.pieces.append(Piece(network, DM, account, _str(message.get("id")), payload))


# --- X (Twitter) Account Activity API ------------------------------------------------------------


def x_pieces(body) -> Batch:
    """Split an Account Activity body into DMs and mentions addressed to `for_user_id`."""
    if not isinstance(body, dict):
        raise BadPayload("the body must be a JSON object")
    me = _str(body.get("for_user_id"))
    if not me:
        raise BadPayload('"for_user_id" is missing')
    network = Network.X
    users = _dict(body.get("users"))
    batch = Batch()
    known = {
        "for_user_id",
        "users",
        "direct_message_events",
        "tweet_create_events",
        "apps",
        "user_has_blocked",
    }
    batch.skipped += sum(
        len(v) if isinstance(v, list) else 1 for k, v in body.items() if k not in known
    )

    dms = body.get("direct_message_events")
    if dms is not None and not isinstance(dms, list):
        _broken(batch, network, "x", dms, "direct_message_events is not a list", me)
    for event in _list(dms):
        if not isinstance(event, dict):
            _broken(batch, network, "x", event, "a DM event is not a JSON object", me)
            continue
        if event.get("type") != "message_create":
            batch.skipped += 1
            continue
        create = _dict(event.get("message_create"))
        sender = _str(create.get("sender_id"))
        if sender == me:
            batch.skipped += 1  # the account's own message
            continue
        recipient = _str(_get(create, "target", "recipient_id"))
        payload = {
            "for_user_id": me,
            "direct_message_event": event,
            "users": {uid: users[uid] for uid in (sender, recipient) if uid in users},
        }
        batch.pieces.append(Piece(network, DM, me, _str(event.get("id")), payload))

    tweets = body.get("tweet_create_events")
    if tweets is not None and not isinstance(tweets, list):
        _broken(batch, network, "x", tweets, "tweet_create_events is not a list", me)
    for tweet in _list(tweets):
        if not isinstance(tweet, dict):
            _broken(batch, network, "x", tweet, "a tweet event is not a JSON object", me)
            continue
        author = _str(_get(tweet, "user", "id_str")) or _str(_get(tweet, "user", "id"))
        if author == me or "retweeted_status" in tweet or not _addresses(tweet, me):
            batch.skipped += 1  # our own tweet, a retweet, or a tweet not addressed to us
            continue
        tweet_id = _str(tweet.get("id_str")) or _str(tweet.get("id"))
        payload = {"for_user_id": me, "tweet_create_event": tweet}
        batch.pieces.append(Piece(network, MENTION, me, tweet_id, payload))
    return batch


def _addresses(tweet: dict, me: str) -> bool:
    """A reply to the account, or a tweet that @mentions it."""
    if _str(tweet.get("in_reply_to_user_id_str")) == me:
        return True
    mentions = _list(_get(tweet, "entities", "user_mentions")) + _list(
        _get(tweet, "extended_tweet", "entities", "user_mentions")
    )
    return any(_str(_get(m, "id_str")) == me or _str(_get(m, "id")) == me for m in mentions)


# --- One stored event → one message --------------------------------------------------------------


def message_from(network: str, kind: str, payload: dict) -> InboundMessage:
    """Read a stored event. Raises Unreadable or NotAMessage."""
    if not isinstance(payload, dict):
        raise Unreadable("the stored event is not a JSON object")
    if kind == OTHER:
        if network == Network.FACEBOOK and _get(payload, "change", "field") == "feed":
            raise NotAMessage(
                "Facebook Page feed posts and comments are not handled yet; answer them on Facebook"
            )
        raise Unreadable("the event could not be read when it was received")
    if network in (Network.FACEBOOK, Network.INSTAGRAM) and "messaging" in payload:
        return _meta_message(network, payload)
    if network == Network.INSTAGRAM and kind == COMMENT:
        return _instagram_comment(payload)
    if network == Network.INSTAGRAM and kind == MENTION:
        raise NotAMessage(
            "Instagram @mention notifications carry only ids (media_id, "
            "comment_id); reading the mention itself is not supported yet"
        )
    if network == Network.WHATSAPP:
        return _whatsapp_message(payload)
    if network == Network.X and kind == DM:
        return _x_dm(payload)
    if network == Network.X and kind == MENTION:
        return _x_mention(payload)
    raise Unreadable(f"no reader for a {network} {kind} event")


def _meta_attachment(attachment: dict) -> dict:
    payload = _dict(attachment.get("payload"))
    found = {
        "type": _str(attachment.get("type")) or "attachment",
        "url": _str(payload.get("url")) or _str(attachment.get("url")),
        "title": _str(attachment.get("title")) or _str(payload.get("title")),
    }
    if payload.get("sticker_id"):
        found["sticker_id"] = _str(payload.get("sticker_id"))
    return {k: v for k, v in found.items() if v}


def _meta_message(network: str, payload: dict) -> InboundMessage:
    item = _dict(payload.get("messaging"))
    sender = _str(_get(item, "sender", "id"))
    account = _str(_get(item, "recipient", "id")) or _str(payload.get("entry_id"))
    if not sender:
        raise Unreadable("messaging.sender.id is missing")
    if not account:
        raise Unreadable("messaging.recipient.id is missing")
    details: dict = {}
    message, postback = item.get("message"), item.get("postback")
    if isinstance(message, dict):
        if message.get("is_echo"):
            raise NotAMessage("an echo of the account's own message")
        mid, text = _str(message.get("mid")), _str(message.get("text"))
        attachments = [
            _meta_attachment(a) for a in _list(message.get("attachments")) if isinstance(a, dict)
        ]
        if _get(message, "reply_to", "mid"):
            details["reply_to_mid"] = _str(_get(message, "reply_to", "mid"))
        if _get(message, "reply_to", "story", "url"):
            details["reply_to_story"] = _str(_get(message, "reply_to", "story", "url"))
        if _get(message, "quick_reply", "payload"):
            details["quick_reply_payload"] = _str(_get(message, "quick_reply", "payload"))
    elif isinstance(postback, dict):
        mid = _str(postback.get("mid"))
        text = _str(postback.get("title")) or _str(postback.get("payload"))
        attachments = []
        details["postback_payload"] = _str(postback.get("payload"))
    else:
        raise NotAMessage("neither a message nor a postback")
    return InboundMessage(
        network=network,
        kind=DM,
        account_external_id=account,
        message_id=mid,
        sender_id=sender,
        text=text,
        attachments=attachments,
        details=details,
        occurred_at=_from_timestamp(item.get("timestamp"), millis=True),
    )


def _instagram_comment(payload: dict) -> InboundMessage:
    value = _dict(_get(payload, "change", "value"))
    sender = _str(_get(value, "from", "id"))
    comment_id = _str(value.get("id"))
    if not sender:
        raise Unreadable("value.from.id (the commenter) is missing")
    if not comment_id:
        raise Unreadable("value.id (the comment id) is missing")
    details = {
        "comment_id": comment_id,
        "media_id": _str(_get(value, "media", "id")),
        "media_product_type": _str(_get(value, "media", "media_product_type")),
        "parent_id": _str(value.get("parent_id")),
        "field": _str(_get(payload, "change", "field")),
    }
    return InboundMessage(
        network=Network.INSTAGRAM,
        kind=COMMENT,
        account_external_id=_str(payload.get("entry_id")),
        message_id=comment_id,
        sender_id=sender,
        sender_handle=_str(_get(value, "from", "username")),
        text=_str(value.get("text")),
        details={k: v for k, v in details.items() if v},
        occurred_at=_from_timestamp(payload.get("entry_time"), millis=False),
    )


_WHATSAPP_MEDIA = ("image", "video", "audio", "document", "sticker")


def _whatsapp_message(payload: dict) -> InboundMessage:
    message = _dict(payload.get("message"))
    metadata = _dict(payload.get("metadata"))
    wa_id = _str(message.get("from"))
    message_id = _str(message.get("id"))
    account = _str(metadata.get("phone_number_id"))
    if not wa_id:
        raise Unreadable("message.from (the customer's wa_id) is missing")
    if not message_id:
        raise Unreadable("message.id is missing")
    if not account:
        raise Unreadable("value.metadata.phone_number_id is missing")
    kind = _str(message.get("type")) or "unknown"
    content = _dict(message.get(kind))
    text, attachments = "", []
    if kind == "text":
        text = _str(content.get("body"))
    elif kind in _WHATSAPP_MEDIA:
        attachment = {
            "type": kind,
            "media_id": _str(content.get("id")),
            "mime_type": _str(content.get("mime_type")),
            "filename": _str(content.get("filename")),
            "caption": _str(content.get("caption")),
        }
        attachments.append({k: v for k, v in attachment.items() if v})
    elif kind == "location":
        place = ", ".join(p for p in (_str(content.get("name")), _str(content.get("address"))) if p)
        text = f"[location] {place} ({content.get('latitude')}, {content.get('longitude')})"
    elif kind == "contacts":
        names = [_str(_get(c, "name", "formatted_name")) for c in _list(message.get("contacts"))]
        text = "[contact card] " + ", ".join(n for n in names if n)
    elif kind == "interactive":
        reply = _dict(content.get("button_reply")) or _dict(content.get("list_reply"))
        text = _str(reply.get("title")) or _str(reply.get("id"))
    elif kind == "button":
        text = _str(content.get("text")) or _str(content.get("payload"))
    elif kind == "system":
        text = f"[system] {_str(content.get('body'))}"
    else:
        errors = [
            _str(e.get("title")) or _str(e.get("message"))
            for e in _list(message.get("errors"))
            if isinstance(e, dict)
        ]
        text = f"[{kind} message]" + (f" {'; '.join(e for e in errors if e)}" if errors else "")
    contact = _dict(payload.get("contact"))
    details = {
        "wa_id": wa_id,
        "message_type": kind,
        "display_phone_number": _str(metadata.get("display_phone_number")),
        "waba_id": _str(payload.get("entry_id")),
        "reply_to_message_id": _str(_get(message, "context", "id")),
    }
    return InboundMessage(
        network=Network.WHATSAPP,
        kind=DM,
        account_external_id=account,
        message_id=message_id,
        sender_id=wa_id,
        sender_name=_str(_get(contact, "profile", "name")),
        text=text,
        attachments=attachments,
        details={k: v for k, v in details.items() if v},
        occurred_at=_from_timestamp(message.get("timestamp"), millis=False),
    )


def _x_dm(payload: dict) -> InboundMessage:
    event = _dict(payload.get("direct_message_event"))
    create = _dict(event.get("message_create"))
    sender = _str(create.get("sender_id"))
    event_id = _str(event.get("id"))
    if not sender:
        raise Unreadable("message_create.sender_id is missing")
    if not event_id:
        raise Unreadable("the DM event id is missing")
    user = _dict(_dict(payload.get("users")).get(sender))
    data = _dict(create.get("message_data"))
    media = _dict(_get(data, "attachment", "media"))
    attachments = []
    if media:
        attachments.append(
            {
                "type": _str(media.get("type")) or "media",
                "url": _str(media.get("media_url_https")) or _str(media.get("media_url")),
            }
        )
    details = {
        "dm_event_id": event_id,
        "recipient_id": _str(_get(create, "target", "recipient_id")),
    }
    return InboundMessage(
        network=Network.X,
        kind=DM,
        account_external_id=_str(payload.get("for_user_id")),
        message_id=event_id,
        sender_id=sender,
        sender_handle=_str(user.get("screen_name")),
        sender_name=_str(user.get("name")),
        text=_str(data.get("text")),
        attachments=attachments,
        details={k: v for k, v in details.items() if v},
        occurred_at=_from_timestamp(event.get("created_timestamp"), millis=True),
    )


def _x_mention(payload: dict) -> InboundMessage:
    tweet = _dict(payload.get("tweet_create_event"))
    user = _dict(tweet.get("user"))
    sender = _str(user.get("id_str")) or _str(user.get("id"))
    tweet_id = _str(tweet.get("id_str")) or _str(tweet.get("id"))
    if not sender:
        raise Unreadable("tweet.user.id_str (the author) is missing")
    if not tweet_id:
        raise Unreadable("tweet.id_str is missing")
    text = (
        _str(_get(tweet, "extended_tweet", "full_text"))
        or _str(tweet.get("full_text"))
        or _str(tweet.get("text"))
    )
    occurred_at = _from_timestamp(tweet.get("timestamp_ms"), millis=True)
    if occurred_at is None and tweet.get("created_at"):
        try:
            occurred_at = datetime.strptime(str(tweet["created_at"]), "%a %b %d %H:%M:%S %z %Y")
        except ValueError:
            occurred_at = None
    details = {
        "tweet_id": tweet_id,
        "in_reply_to_status_id": _str(tweet.get("in_reply_to_status_id_str")),
    }
    return InboundMessage(
        network=Network.X,
        kind=MENTION,
        account_external_id=_str(payload.get("for_user_id")),
        message_id=tweet_id,
        sender_id=sender,
        sender_handle=_str(user.get("screen_name")),
        sender_name=_str(user.get("name")),
        text=text,
        details={k: v for k, v in details.items() if v},
        occurred_at=occurred_at,
    )
