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
