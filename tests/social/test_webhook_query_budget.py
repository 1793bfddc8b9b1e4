"""Each event costs a bounded number of queries, whatever else is in the database."""

import pytest

from tests.factories import CaseFactory
from tests.social.factories import messaging_item, messenger_account, messenger_body

pytestmark = pytest.mark.django_db
PER_NEW_CONVERSATION = 32
PER_FOLLOWING_MESSAGE = 27


def test_a_batch_costs_a_bounded_number_of_queries_per_message(
    post_meta, team, django_assert_max_num_queries
):
    messenger_account(team=team)
    CaseFactory.create_batch(20, channel="social")  # unrelated cases do not add queries
    first = [messaging_item(sender=str(n)) for n in range(1, 6)]
    following = [messaging_item(sender=str(n)) for n in range(1, 6)]

    with django_assert_max_num_queries(5 * PER_NEW_CONVERSATION):
        assert post_meta(messenger_body(*first)).json()["processed"] == 5
    with django_assert_max_num_queries(5 * PER_FOLLOWING_MESSAGE):
        assert post_meta(messenger_body(*following)).json()["processed"] == 5
