"""One conversation is one case while it lives: later messages join it, a solved case is
reopened, a closed one gets a follow-up case. Another account is another conversation."""

import pytest

from apps.cases import services
from apps.cases.models import Case
from tests.social.factories import (
    instagram_account,
    instagram_body,
    messaging_item,
    messenger_account,
    messenger_body,
)

pytestmark = pytest.mark.django_db
PSID = "24000000000000001"


@pytest.fixture
def account(team):
    return messenger_account(team=team)


def _say(post_meta, text, sender=PSID):
    response = post_meta(messenger_body(messaging_item(sender=sender, text=text)))
    assert response.json()["processed"] == 1


def test_a_second_message_while_the_case_is_open_joins_it(post_meta, account, reply):
    _say(post_meta, "My invoice is wrong")
    case = Case.objects.get()
    reply(case, "Which invoice?")

    _say(post_meta, "Number 42")

    assert Case.objects.count() == 1
    assert list(case.interactions.values_list("direction", flat=True)) == ["in", "out", "in"]


def test_a_pending_case_is_opened_again_by_the_customers_answer(post_meta, account, agent):
    _say(post_meta, "My invoice is wrong")
    case = Case.objects.get()
    services.case_reply(
        case_id=case.pk, agent=agent, body_text="Which one?", then_status=Case.Status.PENDING
    )

    _say(post_meta, "Number 42")

    case.refresh_from_db()
    assert Case.objects.count() == 1
    assert case.status == Case.Status.OPEN


def test_a_message_after_the_case_was_solved_reopens_it(post_meta, account, agent):
    _say(post_meta, "My invoice is wrong")
    case = Case.objects.get()
    services.case_transition(case_id=case.pk, to=Case.Status.SOLVED, actor=agent)

    _say(post_meta, "Still wrong!")

    case.refresh_from_db()
    assert Case.objects.count() == 1
    assert case.status == Case.Status.OPEN
    assert case.reopen_count == 1


def test_a_message_after_the_case_was_closed_opens_a_follow_up(post_meta, account, agent):
    _say(post_meta, "My invoice is wrong")
    first = Case.objects.get()
    services.case_transition(case_id=first.pk, to=Case.Status.SOLVED, actor=agent)
    services.case_transition(case_id=first.pk, to=Case.Status.CLOSED, actor=agent)

    _say(post_meta, "New problem: my parcel")

    follow_up = Case.objects.exclude(pk=first.pk).get()
    assert follow_up.follow_up_of == first
    assert follow_up.channel == "social"
    assert follow_up.team == first.team
    assert follow_up.requester == first.requester
    assert follow_up.interactions.get().body_text == "New problem: my parcel"

    _say(post_meta, "Any news?")  # the follow-up is now the conversation

    assert Case.objects.count() == 2
    assert follow_up.interactions.count() == 2


def test_the_reply_on_a_follow_up_goes_to_the_same_person(
    post_meta, account, agent, provider, reply
):
    _say(post_meta, "First")
    first = Case.objects.get()
    services.case_transition(case_id=first.pk, to=Case.Status.SOLVED, actor=agent)
    services.case_transition(case_id=first.pk, to=Case.Status.CLOSED, actor=agent)
    _say(post_meta, "Second")
    follow_up = Case.objects.exclude(pk=first.pk).get()
    provider.answer(200, {"message_id": "m_out"})

    reply(follow_up, "Hello again")

    assert provider.requests[-1].json["recipient"] == {"id": PSID}


def test_two_people_get_two_cases(post_meta, account):
    _say(post_meta, "Hi", sender="24000000000000001")
    _say(post_meta, "Hi", sender="24000000000000002")

    assert Case.objects.count() == 2


def test_the_same_person_writing_to_another_account_is_another_conversation(
    post_meta, team, other_team
):
    messenger_account(team=team)
    instagram_account(team=other_team)
    _say(post_meta, "Hi on Messenger")

    post_meta(instagram_body(messaging_item(sender=PSID, recipient="17841400000000001")))

    assert Case.objects.count() == 2
    assert set(Case.objects.values_list("team__name", flat=True)) == {"Billing", "Logistics"}
