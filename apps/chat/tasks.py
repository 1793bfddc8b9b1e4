from celery import shared_task

from . import services

MAX_BATCHES_PER_RUN = 20


@shared_task(acks_late=True)
def end_idle_chats() -> int:
    """Beat sweep: end chats whose customer has been silent longer than
    CXDESK_CHAT_IDLE_MINUTES. Bounded (≤ 20 batches of 500) and safe to run twice."""
    ended = 0
    for _ in range(MAX_BATCHES_PER_RUN):
        batch = services.chat_sessions_end_idle()
        ended += batch
        if batch == 0:
            break
    return ended


@shared_task(acks_late=True)
def send_claim_link(session_id: int) -> bool:
    """Mail the confirmation link of a chat's email claim (once per chat: idempotent)."""
    return services.chat_claim_send_link(session_id=session_id)


@shared_task(acks_late=True)
def send_due_claim_links() -> int:
    """Beat sweep: the confirmation links a lost task did not send (claims < 1 h old)."""
    return services.chat_claim_links_send_due()
