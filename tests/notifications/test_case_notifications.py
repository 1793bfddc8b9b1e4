"""An agent hears about their own work: a case assigned to them by someone else, a customer's
reply on their case, an `@mention` in a note — each written once, even when the same
announcement of the case change is delivered again."""

import pytest
from django.db import transaction

from apps.cases import events, services
from apps.cases.models import Case
from apps.contacts.models import Contact
from apps.notifications.case_events import case_changes_notify, mentioned_usernames
from apps.notifications.models import Notification
from apps.notifications.services import notifications_mark_read
from tests.factories import AgentFactory, CaseFactory, SupervisorFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def announced():
    """Every CaseChange announced during the test, to deliver again."""
    changes: list[events.CaseChange] = []
    recorder = events.subscribe(changes.extend, in_transaction=True)
    yield changes
    events.unsubscribe(recorder)


def deliver_again(changes):
    with transaction.atomic():
        case_changes_notify(list(changes))


@pytest.fixture
def alex(team):
    return AgentFactory(username="alex.agent", first_name="Alex", last_name="Agent", teams=[team])


@pytest.fixture
def case(team):
    return CaseFactory(team=team, status=Case.Status.OPEN, subject="Refund please")


def notices(user, kind=None):
    found = Notification.objects.filter(recipient=user)
    return list(found.filter(kind=kind) if kind else found)


def customer_writes(case, text="Any news?"):
    return services.interaction_add(
        case_id=case.pk,
        channel="email",
        direction="in",
        body_text=text,
        author_contact=case.requester,
    )


# --- assigned -----------------------------------------------------------------------------


def test_a_case_assigned_by_someone_else_is_notified_once(team, alex, case, announced):
    supervisor = SupervisorFactory(first_name="Sam", last_name="Sato", teams=[team])

    services.case_assign(case_id=case.pk, assignee=alex, actor=supervisor)
    deliver_again(announced)

    [notice] = notices(alex)
    assert notice.kind == "assigned"
    assert notice.case_id == case.pk
    assert notice.text == f"{case.reference} assigned to you by Sam Sato: Refund please"
    assert notice.source.startswith("event:")
    assert not notices(supervisor)


def test_taking_a_case_yourself_notifies_nobody(alex, case):
    services.case_assign(case_id=case.pk, assignee=alex, actor=alex)
    services.case_reply(case_id=CaseFactory(team=case.team).pk, agent=alex, body_text="Hi")
    assert not notices(alex)


def test_each_assignment_is_its_own_notice(team, alex, case):
    supervisor, other = SupervisorFactory(teams=[team]), AgentFactory(teams=[team])
    services.case_assign(case_id=case.pk, assignee=alex, actor=supervisor)
    services.case_assign(case_id=case.pk, assignee=other, actor=supervisor)
    services.case_assign(case_id=case.pk, assignee=alex, actor=supervisor)
    assert len(notices(alex, "assigned")) == 2
    assert len(notices(other, "assigned")) == 1


def test_a_case_opened_assigned_to_you_by_the_system_is_notified(team, alex, announced):
    opened = services.case_open(
        requester=Contact.objects.create(name="Ann"),
        subject="Broken",
        channel="phone",
        team=team,
        assignee=alex,
        body_text="It broke",
    )
    deliver_again(announced)

    [notice] = notices(alex)
    assert (notice.kind, notice.case_id) == ("assigned", opened.case.pk)
    assert notice.text == f"{opened.case.reference} assigned to you: Broken"
    assert not notices(alex, "customer_replied")  # the opening message is the assignment


def test_a_rolled_back_assignment_leaves_no_notice(team, alex, case):
    supervisor = SupervisorFactory(teams=[team])

    def request_that_fails_later():
        with transaction.atomic():
            services.case_assign(case_id=case.pk, assignee=alex, actor=supervisor)
            raise RuntimeError("the rest of the request failed")

    with pytest.raises(RuntimeError):
        request_that_fails_later()
    assert not notices(alex)


# --- customer replied ----------------------------------------------------------------------


def test_a_customer_reply_on_your_case_is_notified_once(alex, case, announced):
    case.assignee = alex
    case.save()

    message = customer_writes(case, "Any   news\non my refund?")
    deliver_again(announced)

    [notice] = notices(alex)
    assert notice.kind == "customer_replied"
    assert notice.source == f"interaction:{message.pk}"
    assert (
        notice.text == f"{case.reference}: {case.requester.name} replied — Any news on my refund?"
    )


def test_replies_wait_in_one_unread_notice_per_case(alex, case):
    case.assignee = alex
    case.save()
    customer_writes(case, "first")
    customer_writes(case, "second")
    assert len(notices(alex, "customer_replied")) == 1

    notifications_mark_read(user=alex)
    customer_writes(case, "third")
    assert len(notices(alex, "customer_replied")) == 2


def test_agents_writing_and_unassigned_cases_notify_no_reply(alex, team, case):
    customer_writes(case)  # nobody's case
    case.assignee = alex
    case.save()
    colleague = AgentFactory(teams=[team])
    services.case_reply(case_id=case.pk, agent=colleague, body_text="On its way")
    services.case_note(case_id=case.pk, agent=colleague, body_text="checked the ledger")
    assert not notices(alex)


# --- mentioned -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "names"),
    [
        ("@alex.agent please check", ["alex.agent"]),
        ("cc @Alex.Agent, @sam and @alex.agent.", ["alex.agent", "sam"]),
        ("(@sam)", ["sam"]),
        ("write to alex.agent@example.com", []),
        ("@@alex or @ alone or foo@bar", []),
        ("user+tag@example.com", []),
    ],
)
def test_mentions_are_at_names_not_addresses(text, names):
    assert mentioned_usernames(text) == names


def test_a_mention_in_a_note_notifies_the_named_user_once(team, alex, case, announced):
    author = AgentFactory(first_name="Pat", last_name="Lee", teams=[team])

    note = services.case_note(
        case_id=case.pk, agent=author, body_text="@Alex.Agent can you call them back?"
    )
    deliver_again(announced)

    [notice] = notices(alex)
    assert notice.kind == "mentioned"
    assert notice.source == f"interaction:{note.pk}"
    said = "@Alex.Agent can you call them back?"
    assert notice.text == f"{case.reference}: Pat Lee mentioned you in a note — {said}"


def test_who_cannot_see_the_case_unknown_names_and_the_author_are_not_told(
    team, other_team, alex, case
):
    AgentFactory(username="outsider", teams=[other_team])
    services.case_note(
        case_id=case.pk,
        agent=alex,
        body_text="@outsider @nobody @alex.agent, see alex.agent@example.com",
    )
    assert not Notification.objects.exists()


def test_a_mention_in_a_public_reply_is_no_mention(team, alex, case):
    services.case_reply(
        case_id=case.pk, agent=AgentFactory(teams=[team]), body_text="@alex.agent hi"
    )
    assert not notices(alex)


def test_an_admin_and_an_assignee_outside_the_team_can_be_mentioned(team, other_team):
    from tests.factories import AdminFactory

    admin = AdminFactory(username="root")
    helper = AgentFactory(username="helper", teams=[other_team])
    case = CaseFactory(team=None, assignee=helper)  # no team: its assignee sees it
    services.case_note(
        case_id=case.pk, agent=SupervisorFactory(teams=[team]), body_text="@root @helper look"
    )
    assert len(notices(admin, "mentioned")) == 1
    assert len(notices(helper, "mentioned")) == 1


def test_a_note_costs_a_bounded_number_of_queries(
    team, case, django_assert_max_num_queries, announced
):
    names = [AgentFactory(teams=[team]).username for _ in range(12)]
    services.case_note(case_id=case.pk, agent=AgentFactory(teams=[team]), body_text="x")
    announced.clear()
    services.case_note(
        case_id=case.pk,
        agent=AgentFactory(teams=[team]),
        body_text=" ".join(f"@{name}" for name in names),
    )
    # savepoint ×2, the users, ≤ MAX_MENTIONS EXISTS, the write (stored, insert, read back)
    with django_assert_max_num_queries(2 + 1 + 10 + 3):
        deliver_again(announced)
    assert Notification.objects.filter(kind="mentioned").count() == 10  # MAX_MENTIONS


def test_a_change_that_concerns_nobody_costs_no_query(case, django_assert_num_queries, announced):
    services.case_set_priority(case_id=case.pk, priority="high")
    with django_assert_num_queries(2):  # the savepoint of deliver_again, nothing else
        deliver_again(announced)
