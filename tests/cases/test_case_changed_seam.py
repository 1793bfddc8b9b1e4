"""Every case write announces what it changed through apps/cases/events.py.

Each scenario drives one write path (every case service, the contact merge, the mail, phone,
chat and social paths, the auto-close sweep) and compares what it wrote with what it
announced: every CaseEvent's case and kind, every new interaction, every interaction whose
content or case changed and every changed case column must be covered by an announcement
about that case. A writer that forgets to announce fails here.
"""

from datetime import timedelta

import pytest
from django.utils import timezone

from apps.cases import events
from apps.cases import services as cases
from apps.cases.models import Case, CaseEvent, Interaction
from apps.chat import services as chat
from apps.chat.models import ChatWidget
from apps.contacts import services as contacts
from apps.mail import services as mail
from apps.phone import services as phone
from tests.factories import (
    CaseFactory,
    ContactFactory,
    EmailIdentityFactory,
    InteractionFactory,
)
from tests.mail.conftest import build_email

pytestmark = pytest.mark.django_db

Kind = CaseEvent.Kind
Status = Case.Status

# Which part of an announcement covers a CaseEvent of each kind.
COVERS = {
    Kind.CREATED: lambda c, e: c.created,
    Kind.STATUS: lambda c, e: "status" in c.fields,
    Kind.REOPENED: lambda c, e: "reopen_count" in c.fields,
    Kind.PRIORITY: lambda c, e: "priority" in c.fields,
    Kind.ASSIGNEE: lambda c, e: "assignee" in c.fields,
    Kind.TEAM: lambda c, e: "team" in c.fields,
    Kind.TAGS: lambda c, e: "tags" in c.fields,
    Kind.ROOT_CAUSE: lambda c, e: "root_cause" in c.fields,
    Kind.SUBJECT: lambda c, e: "subject" in c.fields,
    Kind.CUSTOM_FIELDS: lambda c, e: "custom_fields" in c.fields,
    Kind.INTERACTION: lambda c, e: (
        c.interaction is not None and c.interaction.pk == e.after["interaction_id"]
    ),
    Kind.REQUESTER: lambda c, e: "requester" in c.fields,
    Kind.MERGED_INTO: lambda c, e: "merged_into" in c.fields,
    Kind.MERGED_FROM: lambda c, e: c.related.get("merged_from") == e.after["case_id"],
    Kind.FOLLOW_UP: lambda c, e: c.related.get("follow_up") == e.after["case_id"],
    Kind.UNVERIFIED_REFERENCE: lambda c, e: (
        c.related.get("refers_to", c.related.get("referred_by"))
        == (e.after.get("refers_to") or e.after.get("referred_by"))["case_id"]
    ),
    Kind.PROBLEM: lambda c, e: "problems" in c.fields,
}

CASE_COLUMNS = [f.attname for f in Case._meta.concrete_fields if f.name != "updated_at"]
INTERACTION_CONTENT = ["case_id", "subject", "body_text", "body_html", "metadata"]


def test_every_kind_of_case_event_has_a_rule():
    assert set(COVERS) == set(Kind)


@pytest.fixture
def announced():
    """Every CaseChange announced during the test, in order."""
    changes: list[events.CaseChange] = []
    recorder = events.subscribe(changes.extend, in_transaction=True)
    yield changes
    events.unsubscribe(recorder)


def _state() -> dict:
    return {
        "event": CaseEvent.objects.order_by("-pk").values_list("pk", flat=True).first() or 0,
        "cases": {row["id"]: row for row in Case.objects.values(*CASE_COLUMNS)},
        "interactions": {
            row["id"]: row for row in Interaction.objects.values("id", *INTERACTION_CONTENT)
        },
    }


def _unannounced(before: dict, changes: list[events.CaseChange]) -> list[str]:
    """What was written without being announced, as readable lines (empty: all announced)."""
    about: dict[int, list[events.CaseChange]] = {}
    for change in changes:
        about.setdefault(change.case_id, []).append(change)
    after = _state()
    return (
        _unannounced_events(before, about)
        + _unannounced_interactions(before, after, about)
        + _unannounced_columns(before, after, about)
    )


def _unannounced_events(before: dict, about: dict) -> list[str]:
    return [
        f"CaseEvent {event.kind} on case {event.case_id}"
        for event in CaseEvent.objects.filter(pk__gt=before["event"]).order_by("pk")
        if not any(COVERS[event.kind](c, event) for c in about.get(event.case_id, []))
    ]


def _unannounced_interactions(before: dict, after: dict, about: dict) -> list[str]:
    missing = []
    for pk, row in after["interactions"].items():
        old = before["interactions"].get(pk)
        on_case = about.get(row["case_id"], [])
        if old is None:
            if not any(c.interaction is not None and c.interaction.pk == pk for c in on_case):
                missing.append(f"new interaction {pk} on case {row['case_id']}")
        elif old != row and not any(
            (c.interaction_updated is not None and c.interaction_updated.pk == pk)
            or "interactions" in c.fields
            for c in on_case
        ):
            missing.append(f"interaction {pk} changed on case {row['case_id']}")
    return missing


def _unannounced_columns(before: dict, after: dict, about: dict) -> list[str]:
    missing = []
    for pk, row in after["cases"].items():
        old = before["cases"].get(pk)
        if old is None:
            if not any(c.created for c in about.get(pk, [])):
                missing.append(f"new case {pk}")
            continue
        for column in CASE_COLUMNS:
            name = Case._meta.get_field(column.removesuffix("_id")).name if column != "id" else "id"
            if old[column] != row[column] and not any(
                name in c.fields or c.created for c in about.get(pk, [])
            ):
                missing.append(f"case {pk} column {name}")
    return missing


# --- The write paths ---------------------------------------------------------------------
# Each takes the fixtures, prepares its data and returns the write to check.


def _open(f):
    return lambda: cases.case_open(
        requester=ContactFactory(), subject="Hi", channel="email", team=f.team, tags=["x"]
    )


def _open_with_message(f):
    return lambda: cases.case_open(
        requester=ContactFactory(),
        subject="Hi",
        channel="web",
        body_text="hello",
        actor=f.agent,
        team=f.team,
    )


def _reply_reopens_solved(f):
    case = CaseFactory(team=f.team, status=Status.SOLVED, solved_at=timezone.now())
    return lambda: cases.interaction_add(
        case_id=case.pk, channel="email", direction="in", author_contact=case.requester
    )


def _reply_on_pending(f):
    case = CaseFactory(team=f.team, status=Status.PENDING)
    return lambda: cases.interaction_add(
        case_id=case.pk, channel="email", direction="in", body_text="back", is_public=True
    )


def _reply_on_closed_opens_follow_up(f):
    case = CaseFactory(team=f.team, status=Status.CLOSED)
    return lambda: cases.interaction_add(
        case_id=case.pk, channel="email", direction="in", body_text="again"
    )


def _reply_on_merged_goes_to_target(f):
    target = CaseFactory(team=f.team, status=Status.PENDING)
    source = CaseFactory(team=f.team, status=Status.CLOSED, merged_into=target)
    return lambda: cases.interaction_add(
        case_id=source.pk, channel="email", direction="in", body_text="about it"
    )


def _first_response(f):
    case = CaseFactory(team=f.team, status=Status.OPEN)
    return lambda: cases.interaction_add(
        case_id=case.pk, channel="web", direction="out", author_agent=f.agent, body_text="hi"
    )


def _case_reply(f):
    case = CaseFactory(team=f.team, status=Status.NEW)
    return lambda: cases.case_reply(
        case_id=case.pk, agent=f.agent, body_text="on it", then_status=Status.PENDING
    )


def _note(f):
    case = CaseFactory(team=f.team)
    return lambda: cases.case_note(case_id=case.pk, agent=f.agent, body_text="internal")


def _transition(f):
    case = CaseFactory(team=f.team, status=Status.OPEN)
    return lambda: cases.case_transition(case_id=case.pk, to=Status.SOLVED, actor=f.agent)


def _reopen(f):
    case = CaseFactory(team=f.team, status=Status.SOLVED, solved_at=timezone.now())
    return lambda: cases.case_reopen(case_id=case.pk, actor=f.agent)


def _assign(f):
    case = CaseFactory(team=f.team, status=Status.NEW)
    return lambda: cases.case_assign(case_id=case.pk, assignee=f.agent, actor=f.agent)


def _set_team(f):
    case = CaseFactory(team=f.team, assignee=f.agent, status=Status.OPEN)
    return lambda: cases.case_set_team(case_id=case.pk, team=f.other_team, actor=None)


def _set_priority(f):
    case = CaseFactory(team=f.team)
    return lambda: cases.case_set_priority(case_id=case.pk, priority="urgent", actor=f.agent)


def _set_subject(f):
    case = CaseFactory(team=f.team)
    return lambda: cases.case_set_subject(case_id=case.pk, subject="New words", actor=f.agent)


def _set_tags(f):
    case = CaseFactory(team=f.team)
    return lambda: cases.case_set_tags(case_id=case.pk, tags=["billing"], actor=f.agent)


def _set_root_cause(f):
    from apps.rootcauses.services import root_cause_create

    cause = root_cause_create(name="Cards", owner_team=f.other_team)
    case = CaseFactory(team=f.team)
    return lambda: cases.case_set_root_cause(case_id=case.pk, root_cause=cause, actor=f.agent)


def _set_custom_fields(f):
    case = CaseFactory(team=f.team)
    return lambda: cases.case_set_custom_fields(
        case_id=case.pk, values={"order": "42"}, actor=f.agent
    )


def _update(f):
    case = CaseFactory(team=f.team, status=Status.NEW)
    return lambda: cases.case_update(
        case_id=case.pk,
        actor=f.agent,
        assignee=f.agent,
        priority="high",
        subject="Both",
        tags=["a"],
        custom_fields={"k": 1},
        status=Status.PENDING,
    )


def _merge(f):
    target = CaseFactory(team=f.team, status=Status.SOLVED, solved_at=timezone.now())
    source = CaseFactory(team=f.team, status=Status.OPEN, first_response_at=timezone.now())
    InteractionFactory(case=source)
    return lambda: cases.case_merge(source_id=source.pk, target_id=target.pk, actor=f.agent)


def _close_solved_sweep(f):
    CaseFactory.create_batch(3, status=Status.SOLVED, solved_at=timezone.now() - timedelta(days=60))
    return cases.cases_close_solved


def _contact_merge(f):
    source, target = ContactFactory(), ContactFactory()
    CaseFactory.create_batch(2, requester=source, team=f.team)
    InteractionFactory(case=CaseFactory(requester=source), author_contact=source)
    return lambda: contacts.contact_merge(source_id=source.pk, target_id=target.pk)


def _email_new_case(f):
    raw = build_email(subject="Invoice wrong", message_id="<n1@example.com>")
    return lambda: mail.email_receive(raw=raw, source="upload", mailbox=f.mailbox)


def _email_unverified_reference(f):
    case = CaseFactory(team=f.other_team, status=Status.SOLVED, subject="Refund")
    raw = build_email(sender="Mallory <mallory@evil.test>", subject=f"Re: [{case.reference}] hi")
    return lambda: mail.email_receive(raw=raw, source="upload", mailbox=f.mailbox)


def _email_reply_threads(f):
    customer = EmailIdentityFactory(value="ada@example.com").contact
    case = CaseFactory(requester=customer, team=f.team, status=Status.PENDING)
    InteractionFactory(case=case, channel="email", external_id="<q1@example.com>")
    raw = build_email(in_reply_to="<q1@example.com>", message_id="<r1@example.com>")
    return lambda: mail.email_receive(raw=raw, source="upload", mailbox=f.mailbox)


def _call_recorded(f):
    return lambda: phone.call_record(
        sid="CA1", direction="inbound", from_number="+12025550143", status="ringing", team=f.team
    )


def _call_answered(f):
    phone.call_record(
        sid="CA2", direction="inbound", from_number="+12025550143", status="ringing", team=f.team
    )
    return lambda: phone.call_record(
        sid="CA2", status="completed", agent=f.agent, duration_seconds=75
    )


def _call_logged_outbound(f):
    case = CaseFactory(team=f.team, status=Status.NEW)
    return lambda: phone.call_log(
        case=case, agent=f.agent, direction="outbound", number="+12025550143"
    )


def _chat_started(f):
    widget = ChatWidget.objects.create(name="Site", team=f.team)
    return lambda: chat.chat_start(widget=widget, visitor_id="v-1", name="Ada", message="Hello?")


def _problem_fixture(f):
    from apps.problems import services as problems
    from apps.rootcauses.services import root_cause_create
    from tests.factories import SupervisorFactory

    boss = SupervisorFactory(teams=[f.team])
    cause = root_cause_create(name="Renewals", owner_team=f.team)
    return problems.problem_create(title="Double charge", root_cause=cause, actor=boss)


def _problem_link(f):
    from apps.problems import services as problems

    problem = _problem_fixture(f)
    ids = [CaseFactory(team=f.team).pk for _ in range(3)]
    return lambda: problems.problem_link_cases(problem_id=problem.pk, case_ids=ids, actor=f.agent)


def _problem_unlink(f):
    from apps.problems import services as problems

    problem = _problem_fixture(f)
    case = CaseFactory(team=f.team)
    problems.problem_link_cases(problem_id=problem.pk, case_ids=[case.pk], actor=f.agent)
    return lambda: problems.problem_unlink_case(
        problem_id=problem.pk, case_id=case.pk, actor=f.agent
    )


WRITES = [
    _open,
    _open_with_message,
    _reply_reopens_solved,
    _reply_on_pending,
    _reply_on_closed_opens_follow_up,
    _reply_on_merged_goes_to_target,
    _first_response,
    _case_reply,
    _note,
    _transition,
    _reopen,
    _assign,
    _set_team,
    _set_priority,
    _set_subject,
    _set_tags,
    _set_root_cause,
    _set_custom_fields,
    _update,
    _merge,
    _close_solved_sweep,
    _contact_merge,
    _email_new_case,
    _email_unverified_reference,
    _email_reply_threads,
    _call_recorded,
    _call_answered,
    _call_logged_outbound,
    _chat_started,
    _problem_link,
    _problem_unlink,
]


class Fixtures:
    def __init__(self, **kwargs):
        self.__dict__.update(kwargs)


@pytest.mark.parametrize("write", WRITES, ids=lambda w: w.__name__.lstrip("_"))
def test_the_write_announces_everything_it_changed(
    write, announced, team, other_team, agent, settings
):
    from apps.mail.models import Mailbox

    mailbox = Mailbox.objects.create(name="Support", email_address="support@cxdesk.test", team=team)
    act = write(
        Fixtures(team=team, other_team=other_team, agent=agent, mailbox=mailbox, settings=settings)
    )
    announced.clear()  # the setup's own writes are not under test
    before = _state()

    act()

    assert CaseEvent.objects.filter(pk__gt=before["event"]).exists()  # the write wrote
    assert _unannounced(before, announced) == []


def test_an_unannounced_write_is_caught(announced, team):
    """The check itself: a CaseEvent written without an announcement is reported."""
    case = CaseFactory(team=team)
    before = _state()

    CaseEvent.objects.create(case=case, kind=Kind.PRIORITY, before="normal", after="high")
    Case.objects.filter(pk=case.pk).update(priority="high")

    assert _unannounced(before, announced) == [
        f"CaseEvent priority on case {case.pk}",
        f"case {case.pk} column priority",
    ]


def test_the_agent_is_the_actor_of_what_they_change(announced, team, agent):
    case = CaseFactory(team=team, status=Status.OPEN)

    cases.case_set_priority(case_id=case.pk, priority="high", actor=agent)

    [change] = announced
    assert (change.case_id, change.fields, change.actor) == (case.pk, ("priority",), agent)
    assert (change.before, change.after) == ({"priority": "normal"}, {"priority": "high"})


@pytest.mark.django_db(transaction=True)
def test_announcements_outside_a_transaction_are_refused():
    with pytest.raises(RuntimeError, match="inside the transaction"):
        events.announce(1, fields=["status"])
