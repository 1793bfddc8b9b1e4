"""Social accounts, and webhook bodies in each network's format (as documented by Meta and X)."""

import itertools
import time

import factory

from apps.social.models import SocialAccount

PAGE_ID = "104000000000001"
IG_ACCOUNT_ID = "17841400000000001"
WA_PHONE_NUMBER_ID = "106540000000001"
WABA_ID = "102290000000001"
X_ACCOUNT_ID = "1500000000000000001"

_ids = itertools.count(1)
EPOCH_MS = 1_735_689_600_000  # 2025-01-01T00:00:00Z


def _next() -> int:
    return next(_ids)


def _now_ms() -> int:
    """Messages happen now (+1 ms each), so they sort after what agents did before them."""
    return int(time.time() * 1000) + _next()


class SocialAccountFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = SocialAccount
        django_get_or_create = ["network", "external_id"]

    network = "facebook"
    external_id = PAGE_ID
    name = factory.LazyAttribute(lambda a: f"Acme on {a.network}")
    access_token = factory.LazyAttribute(lambda a: f"token-of-{a.network}-{a.external_id}")
    is_active = True


def messenger_account(**kwargs):
    return SocialAccountFactory(network="facebook", external_id=PAGE_ID, **kwargs)


def instagram_account(**kwargs):
    return SocialAccountFactory(network="instagram", external_id=IG_ACCOUNT_ID, **kwargs)


def whatsapp_account(**kwargs):
    return SocialAccountFactory(network="whatsapp", external_id=WA_PHONE_NUMBER_ID, **kwargs)


def x_account(**kwargs):
    return SocialAccountFactory(network="x", external_id=X_ACCOUNT_ID, **kwargs)


# --- Meta: Messenger and Instagram messaging ---------------------------------------------------


def messaging_item(
    *,
    sender="24000000000000001",
    recipient=PAGE_ID,
    text="Hello",
    mid=None,
    attachments=None,
    is_echo=False,
    timestamp=None,
) -> dict:
    message = {"mid": mid or f"m_{_next()}"}
    if text is not None:
        message["text"] = text
    if attachments:
        message["attachments"] = attachments
    if is_echo:
        message["is_echo"] = True
        message["app_id"] = 1517776481860111
    return {
        "sender": {"id": sender},
        "recipient": {"id": recipient},
        "timestamp": timestamp or _now_ms(),
        "message": message,
    }


def messenger_body(*items, page_id=PAGE_ID) -> dict:
    return {
        "object": "page",
        "entry": [{"id": page_id, "time": EPOCH_MS, "messaging": list(items)}],
    }


def instagram_body(*items, account_id=IG_ACCOUNT_ID) -> dict:
    return {
        "object": "instagram",
        "entry": [{"id": account_id, "time": EPOCH_MS, "messaging": list(items)}],
    }


def instagram_comment_body(
    *,
    comment_id=None,
    sender="9800000000000001",
    username="Ann.Lee",
    text="Where is my order?",
    media_id="18000000000000001",
    account_id=IG_ACCOUNT_ID,
    field="comments",
) -> dict:
    return {
        "object": "instagram",
        "entry": [
            {
                "id": account_id,
                "time": _now_ms() // 1000,
                "changes": [
                    {
                        "field": field,
                        "value": {
                            "id": comment_id or f"1790000000000{_next():04d}",
                            "from": {"id": sender, "username": username},
                            "media": {"id": media_id, "media_product_type": "FEED"},
                            "text": text,
                        },
                    }
                ],
            }
        ],
    }


# --- Meta: WhatsApp Cloud API -------------------------------------------------------------------


def whatsapp_message(
    *,
    wa_id="16505551234",
    text="Hi, my parcel is late",
    wamid=None,
    type="text",
    content=None,
    timestamp=None,
) -> dict:
    message = {
        "from": wa_id,
        "id": wamid or f"wamid.HBgL{_next():06d}",
        "timestamp": str(timestamp or _now_ms() // 1000),
        "type": type,
    }
    message[type] = content if content is not None else {"body": text}
    return message


def whatsapp_body(
    *messages, contacts=None, statuses=None, phone_number_id=WA_PHONE_NUMBER_ID
) -> dict:
    value = {
        "messaging_product": "whatsapp",
        "metadata": {"display_phone_number": "15550001111", "phone_number_id": phone_number_id},
    }
    if contacts is None:
        contacts = [{"profile": {"name": "Wanda Smith"}, "wa_id": m["from"]} for m in messages]
    if messages:
        value["contacts"] = contacts
        value["messages"] = list(messages)
    if statuses:
        value["statuses"] = statuses
    return {
        "object": "whatsapp_business_account",
        "entry": [{"id": WABA_ID, "changes": [{"field": "messages", "value": value}]}],
    }


# --- X (Twitter) Account Activity API -------------------------------------------------------


def x_user(user_id="2244994945", screen_name="TwitterDev", name="Twitter Dev") -> dict:
    return {"id": user_id, "name": name, "screen_name": screen_name}


def x_dm_body(
    *,
    sender="2244994945",
    text="My card was charged twice",
    event_id=None,
    screen_name="TwitterDev",
    name="Twitter Dev",
    for_user_id=X_ACCOUNT_ID,
) -> dict:
    event_id = event_id or f"1800000000000{_next():06d}"
    return {
        "for_user_id": for_user_id,
        "direct_message_events": [
            {
                "type": "message_create",
                "id": event_id,
                "created_timestamp": str(_now_ms()),
                "message_create": {
                    "target": {
                        "recipient_id": for_user_id if sender != for_user_id else "2244994945"
                    },
                    "sender_id": sender,
                    "message_data": {"text": text, "entities": {}},
                },
            }
        ],
        "users": {
            sender: x_user(sender, screen_name, name),
            for_user_id: x_user(for_user_id, "AcmeSupport", "Acme Support"),
        },
    }


def x_tweet(
    *,
    tweet_id=None,
    author="2244994945",
    screen_name="TwitterDev",
    name="Twitter Dev",
    text="@AcmeSupport my order never arrived",
    mention=X_ACCOUNT_ID,
    in_reply_to_user=None,
    **extra,
) -> dict:
    tweet = {
        "created_at": "Wed Jan 01 00:00:05 +0000 2025",
        "id": int(tweet_id or f"1810000000000{_next():06d}"),
        "text": text,
        "user": {"id": int(author), "id_str": author, "name": name, "screen_name": screen_name},
        "entities": {
            "user_mentions": [{"screen_name": "AcmeSupport", "id": int(mention), "id_str": mention}]
            if mention
            else []
        },
        "timestamp_ms": str(_now_ms()),
        **extra,
    }
    tweet["id_str"] = str(tweet["id"])
    if in_reply_to_user:
        tweet["in_reply_to_user_id_str"] = in_reply_to_user
    return tweet


def x_mention_body(*tweets, for_user_id=X_ACCOUNT_ID) -> dict:
    return {"for_user_id": for_user_id, "tweet_create_events": list(tweets)}
