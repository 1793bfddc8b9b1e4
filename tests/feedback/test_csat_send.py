"""A due survey goes out once, on the case's own channel, through that channel's sender."""

from datetime import timedelta

import pytest
from django.core import mail

from apps.cases.models import Interaction
from apps.chat.models import ChatSession, ChatWidget
from apps.feedback import links, services, tasks
from apps.feedback.models import Survey
from apps.mail.references import subject_token

from .conftest import SOLVED_AT

pytestmark = pytest.mark.django_db

LATER = SOLVED_AT + timedelta(hours=1, minutes=1)


def _survey_email(case):
    return [
        m for m in mail.outbox if subject_token(case) in m.subject and "How did we do" in m.body
    ]


def test_email_survey_goes_in_the_thread_once(clock, make_case, committed):
    case = make_case()
    mail.outbox.clear()
    clock.move_to(SOLVED_AT + timedelta(minutes=59))
    assert committed(tasks.send_due_surveys) == 0  # not due yet
    assert _survey_email(case) == []

    clock.move_to(LATER)
    assert committed(tasks.send_due_surveys) == 1
    survey = Survey.objects.get(case=case)
    assert survey.state == Survey.State.SENT
    assert survey.channel == "email"
    assert survey.sent_at == LATER
    assert survey.expires_at == LATER + timedelta(days=14)
    [message] = _survey_email(case)
    customer = Interaction.objects.filter(case=case, direction=Interaction.Direction.INBOUND).get()
    assert message.extra_headers["In-Reply-To"] == customer.external_id
    assert customer.external_id in message.extra_headers["References"]
    assert message.to == [f"{case.requester.name} <{case.requester.identities.get().value}>"]
    assert links.survey_url(survey.pk) in message.body
    assert links.opt_out_url(survey.pk) in message.body
    html = message.alternatives[0][0]
    assert links.survey_url(survey.pk) + "?rating=bad" in html

    # The task again, the beat again, two workers: nothing more is sent.
    assert committed(tasks.send_survey, survey.pk) == ""
    assert committed(tasks.send_due_surveys) == 0
    assert len(_survey_email(case)) == 1
    assert Interaction.objects.filter(case=case, metadata__survey=survey.pk).count() == 1


def test_the_survey_message_is_no_agent_response(clock, make_case, committed):
    case = make_case()
    first_response = case.first_response_at
    clock.move_to(LATER)
    committed(tasks.send_due_surveys)
    message = Interaction.objects.get(case=case, metadata__survey=Survey.objects.get().pk)
    assert message.author_agent_id is None
    assert message.direction == Interaction.Direction.OUTBOUND
    assert message.is_public
    case.refresh_from_db()
    assert case.status == "solved"
    assert case.first_response_at == first_response


def test_snapshot_of_the_case_when_sent(clock, make_case, agent, committed):
    case = make_case()
    clock.move_to(LATER)
    committed(tasks.send_due_surveys)
    survey = Survey.objects.get()
    assert (survey.team_id, survey.agent_id, survey.priority) == (
        case.team_id,
        agent.pk,
        case.priority,
    )


@pytest.fixture
def widget(db):
    return ChatWidget.objects.create(name="Acme", allowed_origins=["https://acme.example"])


def test_chat_survey_is_a_prompt_in_the_open_chat_at_once(
    clock, make_case, widget, agent, committed
):
    case = make_case(channel="chat", solved=False, email=False)
    ChatSession.objects.create(widget=widget, case=case, contact=case.requester, visitor_id="v-1")
    from apps.cases import services as case_services

    committed(case_services.case_transition, case_id=case.pk, to="solved", actor=agent)
    survey = Survey.objects.get(case=case)
    assert survey.state == Survey.State.SENT  # delay 0 for chats: sent on commit
    assert survey.channel == "chat"
    message = Interaction.objects.get(pk=survey.interaction_id)
    assert message.channel == "chat"
    assert links.survey_url(survey.pk) in message.body_text
    assert message.delivery_status == Interaction.Delivery.SENT


def test_chat_that_ended_falls_back_to_email(clock, make_case, widget, agent, committed):
    case = make_case(channel="chat", solved=False)
    ChatSession.objects.create(
        widget=widget,
        case=case,
        contact=case.requester,
        visitor_id="v-2",
        status="ended",
        ended_at=SOLVED_AT,
        ended_by="customer",
    )
    from apps.cases import services as case_services

    committed(case_services.case_transition, case_id=case.pk, to="solved", actor=agent)
    survey = Survey.objects.get(case=case)
    assert (survey.state, survey.channel) == (Survey.State.SENT, "email")


def test_chat_that_ended_without_email_is_not_surveyed(clock, make_case, widget, agent, committed):
    case = make_case(channel="chat", solved=False, email=False)
    ChatSession.objects.create(
        widget=widget,
        case=case,
        contact=case.requester,
        visitor_id="v-3",
        status="ended",
        ended_at=SOLVED_AT,
        ended_by="customer",
    )
    from apps.cases import services as case_services

    committed(case_services.case_transition, case_id=case.pk, to="solved", actor=agent)
    survey = Survey.objects.get(case=case)
    assert (survey.state, survey.reason) == (Survey.State.SUPPRESSED, "no_channel")


sent_on_social: list[Interaction] = []


def record_social(interaction):
    sent_on_social.append(interaction)
    return f"social-{interaction.pk}"


def test_social_survey_goes_through_the_social_sender(clock, make_case, settings, committed):
    settings.CXDESK_OUTBOUND_SENDERS = {
        **settings.CXDESK_OUTBOUND_SENDERS,
        "social": "tests.feedback.test_csat_send.record_social",
    }
    sent_on_social.clear()
    case = make_case(channel="social", email=False)
    sent_on_social.clear()  # the agent's reply went that way too
    clock.move_to(LATER)
    committed(tasks.send_due_surveys)
    survey = Survey.objects.get(case=case)
    assert (survey.state, survey.channel) == (Survey.State.SENT, "social")
    [message] = sent_on_social
    assert message.pk == survey.interaction_id
    assert links.survey_url(survey.pk) in message.body_text


def test_phone_case_is_asked_by_email(clock, make_case, committed):
    case = make_case(channel="phone")
    clock.move_to(LATER)
    committed(tasks.send_due_surveys)
    survey = Survey.objects.get(case=case)
    assert (survey.state, survey.channel) == (Survey.State.SENT, "email")


def test_phone_case_without_email_is_not_surveyed(clock, make_case, committed):
    case = make_case(channel="phone", email=False)
    clock.move_to(LATER)
    committed(tasks.send_due_surveys)
    survey = Survey.objects.get(case=case)
    assert (survey.state, survey.reason) == (Survey.State.SUPPRESSED, "no_channel")


def test_reopened_before_due_is_cancelled(clock, make_case, agent, committed):
    from apps.cases import services as case_services

    case = make_case()
    case_services.case_reopen(case_id=case.pk, actor=agent)
    clock.move_to(LATER)
    committed(tasks.send_due_surveys)
    survey = Survey.objects.get(case=case)
    assert (survey.state, survey.reason) == (Survey.State.CANCELLED, "reopened")
    assert _survey_email(case) == []


def test_a_failing_send_rolls_back_and_is_retried(clock, make_case, monkeypatch, committed):
    case = make_case()
    clock.move_to(LATER)
    survey = Survey.objects.get(case=case)

    def broken(**kwargs):
        raise RuntimeError("database went away")

    monkeypatch.setattr(services.case_services, "case_message", broken)
    with pytest.raises(RuntimeError):
        services.survey_send(survey_id=survey.pk)
    survey.refresh_from_db()
    assert survey.state == Survey.State.SCHEDULED  # the claim rolled back with the send
    monkeypatch.undo()
    assert committed(services.survey_send, survey_id=survey.pk).state == Survey.State.SENT
