"""The outbound sender of the chat channel (settings.CXDESK_OUTBOUND_SENDERS["chat"]).

An agent's chat reply needs no transport: cases.services.case_reply stored it on the chat's
case, and the widget picks it up on its next poll. Sending it means finding the chat it
answers, marking that chat answered, and giving the reply an id of the chat channel.
"""

from apps.cases.models import Interaction
from apps.cases.outbound import PermanentSendError

from . import services


def send(interaction: Interaction) -> str:
    session = services.chat_session_answering(interaction=interaction)
    if session is None:
        # The reply is stored, but no chat window will show it: say so on the interaction
        # (delivery failed), so the agent answers on another channel.
        raise PermanentSendError(
            "no chat was open on this case when the reply was written; "
            "the customer will not see it in the chat widget"
        )
    services.chat_mark_answered(session_id=session.pk)
    return f"chat:{session.pk}:{interaction.pk}"
