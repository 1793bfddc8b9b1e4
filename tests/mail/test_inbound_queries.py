"""Processing one message costs a bounded number of queries, however many came before.

Counted inside the test's transaction, so every atomic block adds a SAVEPOINT and a
RELEASE; on PostgreSQL in autocommit the outermost pair is a plain BEGIN/COMMIT.
"""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from apps.mail import services
from tests.factories import CaseFactory, EmailIdentityFactory, InteractionFactory

pytestmark = pytest.mark.django_db

NEW_CASE_NEW_CONTACT = 21  # store, thread, contact (+2), case_open, interaction, mark done
REPLY = 16
DUPLICATE = 5


def _history(mailbox, make_email, count):
    for n in range(count):
        services.email_receive(
            raw=make_email(sender=f"old{n}@example.com", message_id=f"<old-{n}@example.com>"),
            source="imap",
            mailbox=mailbox,
        )


def _count(raw, mailbox) -> int:
    with CaptureQueriesContext(connection) as queries:
        inbound = services.email_receive(raw=raw, source="imap", mailbox=mailbox)
    assert inbound.status in ("processed", "duplicate"), inbound.error
    return len(queries.captured_queries)


def test_a_new_case_costs_the_same_after_many_earlier_messages(mailbox, make_email):
    _history(mailbox, make_email, 1)
    few = _count(make_email(sender="first@example.com"), mailbox)
    _history(mailbox, make_email, 30)
    many = _count(make_email(sender="second@example.com"), mailbox)

    assert few == many <= NEW_CASE_NEW_CONTACT


def test_each_attachment_costs_one_insert_and_the_cap_one_count(mailbox, make_email):
    _count(make_email(sender="warm@example.com"), mailbox)  # warms the cached lookups
    plain = _count(make_email(sender="a@example.com"), mailbox)
    with_files = _count(
        make_email(
            sender="b@example.com",
            attachments=[(f"f{n}.pdf", "application/pdf", b"%PDF") for n in range(3)],
        ),
        mailbox,
    )

    assert with_files == plain + 1 + 3  # the cap's one COUNT, then an INSERT per file


def test_a_reply_and_a_duplicate_stay_within_their_budget(
    mailbox, make_email, django_assert_max_num_queries
):
    _history(mailbox, make_email, 20)
    case = CaseFactory(requester=EmailIdentityFactory(value="known@example.com").contact)
    InteractionFactory(case=case, external_id="<known-1@example.com>")

    with django_assert_max_num_queries(REPLY):
        services.email_receive(
            raw=make_email(sender="known@example.com", in_reply_to="<known-1@example.com>"),
            source="imap",
            mailbox=mailbox,
        )
    with django_assert_max_num_queries(DUPLICATE):
        services.email_receive(
            raw=make_email(message_id="<old-3@example.com>"), source="imap", mailbox=mailbox
        )
