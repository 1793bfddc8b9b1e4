"""Status callbacks of one call update one Call and one interaction; repeats change nothing."""

from datetime import timedelta

import pytest

from apps.cases.models import Case, CaseEvent, Interaction
from apps.contacts.models import Contact
from apps.phone.models import Call
from apps.webhooks.models import WebhookDelivery
from tests.factories import AgentFactory
from tests.phone.conftest import CUSTOMER, T0, twilio_params

pytestmark = pytest.mark.django_db


def _snapshot():
    return {
        "calls": list(Call.objects.values()),
        "interactions": list(Interaction.objects.values()),
        "events": CaseEvent.objects.count(),
        "cases": list(Case.objects.values()),
        "contacts": Contact.objects.count(),
        "deliveries": WebhookDelivery.objects.count(),
    }


def test_ringing_then_in_progress_then_completed_updates_one_interaction(twilio_post, progression):
    codes = [twilio_post(params).status_code for params in progression]

    assert codes == [201, 200, 200]
    call = Call.objects.get()
    assert call.status == "completed"
    assert call.started_at == T0
    assert call.answered_at == T0 + timedelta(seconds=10)
    assert call.ended_at == T0 + timedelta(seconds=190)
    assert call.duration_seconds == 180
    assert call.recording_url == "https://api.twilio.com/recordings/RE1"
    interaction = Interaction.objects.get()
    assert call.interaction == interaction
    assert (interaction.channel, interaction.direction, interaction.external_id) == (
        "phone",
        "in",
        call.sid,
    )
    assert interaction.author_contact == call.contact
    assert interaction.metadata["status"] == "completed"
    assert interaction.metadata["duration_seconds"] == 180
    assert interaction.metadata["recording_url"] == "https://api.twilio.com/recordings/RE1"
    assert "completed · 3 min 00 s" in interaction.body_text
    assert call.case.events.filter(kind="interaction").count() == 1


def test_the_same_callback_twice_changes_nothing(twilio_post, progression):
    for params in progression:
        twilio_post(params)
    before = _snapshot()

    responses = [twilio_post(params) for params in progression]

    assert [r.status_code for r in responses] == [200, 200, 200]
    assert _snapshot() == before


def test_a_late_ringing_callback_does_not_move_the_call_back(twilio_post, progression):
    ringing, in_progress, completed = progression
    twilio_post(completed)
    twilio_post(in_progress)
    twilio_post(ringing)

    call = Call.objects.get()
    assert call.status == "completed"
    assert call.started_at == T0  # the earliest time seen
    assert call.answered_at == T0 + timedelta(seconds=10)
    assert Interaction.objects.count() == 1


def test_a_completed_callback_alone_infers_the_answer_time(twilio_post):
    twilio_post(twilio_params(status="completed", at=T0, CallDuration=60))
    call = Call.objects.get()
    assert call.answered_at == call.started_at == T0 - timedelta(seconds=60)
    assert call.ended_at == T0


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"CallSid": ""}, "CallSid"),
        ({"CallStatus": "exploded"}, "CallStatus"),
        ({"Direction": "sideways"}, "Direction"),
        ({"From": "not a number"}, "From"),
        ({"From": "Anonymous"}, "From"),
        ({"Timestamp": "yesterday-ish"}, "Timestamp"),
        ({"Timestamp": "Fri, 01 Jan 9999 23:59:59 -1200"}, "Timestamp"),
        ({"Timestamp": "Fri, 31 Dec 9999 23:59:59 -1200"}, "Timestamp"),  # UTC beyond year 9999
        ({"CallDuration": "-4"}, "CallDuration"),
        ({"RecordingUrl": "javascript:alert(1)"}, "RecordingUrl"),
        # Django's URLValidator takes IRIs; a stored recording URL must be an RFC 3986 URI, as
        # through the calls API (else GET /calls/ would break its own schema).
        ({"RecordingUrl": "https://api.twilio.com/recordings/ä"}, "RecordingUrl"),
        ({"RecordingUrl": "https://api.twilio.com/rec|ordings"}, "RecordingUrl"),
        ({"CallSid": "CA 1; drop table"}, "CallSid"),
    ],
)
def test_a_bad_parameter_is_400_naming_it_and_stores_nothing(twilio_post, params, field):
    response = twilio_post(twilio_params(**{"sid": "CA" + "1" * 32}) | params)

    assert response.status_code == 400, response.content
    error = response.json()["error"]
    assert error["code"] == "invalid_callback"
    assert field in error["fields"]
    assert (Call.objects.count(), Case.objects.count(), Contact.objects.count()) == (0, 0, 0)


def test_missing_parameters_are_each_named(twilio_post):
    response = twilio_post({"CallSid": "CA" + "2" * 32})
    assert response.status_code == 400
    assert set(response.json()["error"]["fields"]) == {"CallStatus", "From", "To", "Direction"}
    assert not Case.objects.exists()


def test_an_unknown_team_in_the_url_is_400(twilio_post):
    path = "/channels/phone/twilio/status/?team=nope"
    response = twilio_post(twilio_params(), path=path)
    assert response.status_code == 400
    assert "team" in response.json()["error"]["fields"]
    assert not Case.objects.exists()


def test_a_busy_outbound_call_is_recorded_but_is_no_response(twilio_post):
    twilio_post(
        twilio_params(status="busy", from_="+14155550100", to=CUSTOMER, direction="outbound-api")
    )
    call = Call.objects.get()
    assert (call.direction, call.status, call.customer_number) == ("outbound", "busy", CUSTOMER)
    assert call.case.first_response_at is None


def test_an_outbound_call_answered_by_a_machine_is_a_voicemail(twilio_post):
    twilio_post(
        twilio_params(
            status="completed",
            from_="+14155550100",
            to=CUSTOMER,
            direction="outbound-api",
            AnsweredBy="machine_end_beep",
            CallDuration=20,
        )
    )
    assert Call.objects.get().disposition == "voicemail"


def test_the_leg_to_an_agents_client_names_who_answered(twilio_post, agent):
    parent = "CA" + "p" * 32
    leg = "CA" + "c" * 32
    twilio_post(twilio_params(parent, "in-progress", at=T0))  # the IVR answers
    twilio_post(
        twilio_params(
            leg,
            "ringing",
            to=f"client:{agent.username}",
            direction="outbound-dial",
            ParentCallSid=parent,
            at=T0 + timedelta(seconds=30),
        )
    )
    twilio_post(
        twilio_params(
            leg,
            "in-progress",
            to=f"client:{agent.username}",
            direction="outbound-dial",
            ParentCallSid=parent,
            at=T0 + timedelta(seconds=45),
        )
    )

    call = Call.objects.get()  # the leg is no call of its own
    assert call.sid == parent
    assert call.agent == agent
    assert call.answered_at == T0 + timedelta(seconds=45)
    case = call.case
    assert case.first_response_at == T0 + timedelta(seconds=45)
    assert case.assignee == agent


def test_a_softphone_call_from_an_agent_is_their_outbound_call(twilio_post, agent):
    twilio_post(
        twilio_params(
            status="in-progress", from_=f"client:{agent.username}", to=CUSTOMER, direction="inbound"
        )
    )
    call = Call.objects.get()
    assert (call.direction, call.agent, call.from_number) == ("outbound", agent, "")
    assert call.interaction.author_agent == agent


def test_a_call_between_two_clients_is_ignored(twilio_post):
    AgentFactory(username="bo")
    response = twilio_post(twilio_params(from_="client:alex", to="client:bo"))
    assert response.status_code == 200
    assert "ignored" in response.json()
    assert not Call.objects.exists()
