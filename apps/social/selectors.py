"""Reads of the social channel."""

from apps.cases.models import Channel, Interaction
from apps.contacts.models import Contact

from .models import SocialAccount


def conversation_case_id(*, contact: Contact, account: SocialAccount) -> int | None:
    """The case holding this customer's latest message to this account, or None.

    Whatever its status: `interaction_add` applies what a new message means — an open or
    pending case takes it, a solved one is reopened, a closed one gets a follow-up case, a
    merged one passes it to the case it was merged into. So a conversation is one case while
    it lives, and the next problem after closure is linked to the last one. Uses the index on
    Interaction.author_contact; a person has few messages.
    """
    return (
        Interaction.objects.filter(
            channel=Channel.SOCIAL,
            direction=Interaction.Direction.INBOUND,
            author_contact=contact,
            metadata__social_account_id=account.pk,
        )
        .order_by("-id")
        .values_list("case_id", flat=True)
        .first()
    )


def reply_target(*, case_id: int) -> Interaction | None:
    """The customer's latest social message on the case: the one an agent's reply answers."""
    candidates = (
        Interaction.objects.filter(
            case_id=case_id,
            channel=Channel.SOCIAL,
            direction=Interaction.Direction.INBOUND,
            is_public=True,
        )
        .order_by("-occurred_at", "-id")
        .only("pk", "metadata", "case_id")[:20]
    )
    return next((i for i in candidates if (i.metadata or {}).get("social_account_id")), None)
