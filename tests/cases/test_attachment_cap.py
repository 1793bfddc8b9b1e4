"""One message stores at most CXDESK_MAX_ATTACHMENTS_PER_MESSAGE files, on every channel."""

import pytest

from apps.cases import services
from tests.factories import InteractionFactory

pytestmark = pytest.mark.django_db


def test_the_file_past_the_cap_is_refused_with_a_clear_error(settings):
    settings.CXDESK_MAX_ATTACHMENTS_PER_MESSAGE = 3
    interaction = InteractionFactory()
    for n in range(3):
        services.attachment_add(interaction=interaction, filename=f"{n}.txt", content=b"x")

    with pytest.raises(services.TooManyAttachments, match="limit of 3"):
        services.attachment_add(interaction=interaction, filename="3.txt", content=b"x")

    assert interaction.attachments.count() == 3


def test_files_that_would_pass_the_cap_are_refused_all_or_nothing(settings):
    settings.CXDESK_MAX_ATTACHMENTS_PER_MESSAGE = 3
    interaction = InteractionFactory()
    services.attachment_add(interaction=interaction, filename="0.txt", content=b"x")

    with pytest.raises(services.TooManyAttachments):
        services.attachments_add(
            interaction=interaction,
            files=[{"filename": f"{n}.txt", "content": b"x"} for n in range(1, 4)],
        )

    assert interaction.attachments.count() == 1


def test_the_cap_counts_per_message_not_per_case(settings):
    settings.CXDESK_MAX_ATTACHMENTS_PER_MESSAGE = 1
    first = InteractionFactory()
    second = InteractionFactory(case=first.case)
    services.attachment_add(interaction=first, filename="a.txt", content=b"a")

    services.attachment_add(interaction=second, filename="b.txt", content=b"b")

    with pytest.raises(services.TooManyAttachments):
        services.attachment_add(interaction=second, filename="c.txt", content=b"c")
    assert [second.attachments.count(), first.attachments.count()] == [1, 1]


def test_the_default_cap_is_50():
    from django.conf import settings

    assert settings.CXDESK_MAX_ATTACHMENTS_PER_MESSAGE == 50
