"""Recording senders for the chat and social channels (the email channel's is the real one,
through Django's locmem backend): registered in CXDESK_OUTBOUND_SENDERS by the tests."""

SENT: list[tuple[str, int, int]] = []  # (channel, case id, interaction id)
FAIL_CASES: set[int] = set()  # cases whose send the channel refuses


def _send(channel, interaction):
    from apps.cases.outbound import PermanentSendError

    if interaction.case_id in FAIL_CASES:
        raise PermanentSendError(f"the {channel} provider refused the message")
    SENT.append((channel, interaction.case_id, interaction.pk))
    return f"{channel}-{interaction.pk}"


def chat(interaction):
    return _send("chat", interaction)


def social(interaction):
    return _send("social", interaction)
