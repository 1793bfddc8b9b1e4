"""A fixed problem's 15 open cases on email, chat and social, answered together: each reply
goes out on the case's own channel through the outbound services, each case is solved, each
step is audited, and running the task again sends nothing more."""

import pytest
from django.core import mail

from apps.cases.models import Case, CaseEvent, Interaction
from apps.core.queue import task_named
from apps.problems import selectors, services
from apps.problems.models import ProblemAnswer, ProblemEvent
from tests.factories import CaseFactory, ContactFactory, EmailIdentityFactory

pytestmark = pytest.mark.django_db

BODY = "Hello {contact.first_name}, the double charge on {case.reference} is refunded."


def open_cases(team, channel, n):
    cases = []
    for i in range(n):
        contact = EmailIdentityFactory().contact if channel == "email" else ContactFactory()
        contact.name = f"Ann{channel}{i} Example"
        contact.save()
        cases.append(
            CaseFactory(team=team, channel=channel, requester=contact, status=Case.Status.OPEN)
        )
    return cases


@pytest.fixture
def fifteen(team, fixed, supervisor):
    cases = {ch: open_cases(team, ch, 5) for ch in ("email", "chat", "social")}
    every = [c.pk for group in cases.values() for c in group]
    services.problem_link_cases(problem_id=fixed.pk, case_ids=every, actor=supervisor)
    return cases


def start(fixed, supervisor, capture):
    with capture(execute=True):
        return services.answer_together_start(problem_id=fixed.pk, body=BODY, actor=supervisor)


def test_each_case_is_answered_on_its_own_channel_and_solved(
    fixed, fifteen, supervisor, senders, django_capture_on_commit_callbacks
):
    assert start(fixed, supervisor, django_capture_on_commit_callbacks) == 15

    # Email: five real messages, one to each requester, with the placeholders filled in.
    assert len(mail.outbox) == 5
    for case in fifteen["email"]:
        (message,) = [m for m in mail.outbox if case.reference in m.subject]
        assert message.to == [f"{case.requester.name} <{case.requester.identities.get().value}>"]
        assert f"Hello Ann{case.channel}" in message.body
        assert f"on {case.reference} is refunded" in message.body
    # Chat and social: each through its channel's sender, once per case.
    for channel in ("chat", "social"):
        sent = sorted(case_id for ch, case_id, _ in senders.SENT if ch == channel)
        assert sent == sorted(c.pk for c in fifteen[channel])
    assert len(senders.SENT) == 10

    for channel, cases in fifteen.items():
        for case in cases:
            case.refresh_from_db()
            assert case.status == Case.Status.SOLVED
            (reply,) = Interaction.objects.filter(case=case, direction="out")
            assert reply.channel == channel
            assert reply.delivery_status == Interaction.Delivery.SENT
            assert reply.author_agent == supervisor
            assert reply.metadata["problem_id"] == fixed.pk
            # Audited on the case: the reply and the solve, by the supervisor.
            kinds = set(case.events.filter(actor=supervisor).values_list("kind", flat=True))
            assert {CaseEvent.Kind.INTERACTION, CaseEvent.Kind.STATUS} <= kinds

    # And on the problem: one event per case answered, and the start.
    assert ProblemEvent.objects.filter(problem=fixed, kind="answered").count() == 15
    assert ProblemEvent.objects.filter(problem=fixed, kind="answer_started").count() == 1
    progress = selectors.answer_progress(problem=fixed)
    assert (progress.total, progress.answered, progress.remaining, progress.failed) == (
        15,
        15,
        0,
        0,
    )


def test_running_the_task_again_sends_nothing_more(
    fixed, fifteen, supervisor, senders, django_capture_on_commit_callbacks
):
    start(fixed, supervisor, django_capture_on_commit_callbacks)
    replies = Interaction.objects.filter(direction="out").count()
    with django_capture_on_commit_callbacks(execute=True):
        result = task_named("apps.problems.tasks.answer_together").delay(fixed.pk).get()
        services.answers_sweep()
    assert result == {"answered": 0, "skipped": 0, "failed": 0}
    assert len(mail.outbox) == 5
    assert len(senders.SENT) == 10
    assert Interaction.objects.filter(direction="out").count() == replies == 15
    assert ProblemAnswer.objects.filter(problem=fixed).count() == 15


def test_a_second_start_answers_only_the_cases_listed_since(
    fixed, fifteen, supervisor, team, senders, django_capture_on_commit_callbacks
):
    start(fixed, supervisor, django_capture_on_commit_callbacks)
    (late,) = open_cases(team, "chat", 1)
    services.problem_link_cases(problem_id=fixed.pk, case_ids=[late.pk], actor=supervisor)
    assert start(fixed, supervisor, django_capture_on_commit_callbacks) == 1
    assert [case_id for _, case_id, _ in senders.SENT].count(late.pk) == 1
    assert len(senders.SENT) == 11
    assert len(mail.outbox) == 5


def test_a_failure_on_one_case_does_not_stop_the_others_and_is_shown(
    client, fixed, supervisor, team, other_team, senders, django_capture_on_commit_callbacks
):
    email, chat = open_cases(team, "email", 1)[0], open_cases(team, "chat", 1)[0]
    phone = CaseFactory(team=team, channel="phone", status=Case.Status.OPEN)
    refused = CaseFactory(team=team, channel="social", status=Case.Status.OPEN)
    team.root_cause_required = True  # and these cases have no root cause …
    team.save()
    email.root_cause = chat.root_cause = fixed.root_cause  # … but these two have one
    email.save()
    chat.save()
    ids = [phone.pk, refused.pk, email.pk, chat.pk]
    services.problem_link_cases(problem_id=fixed.pk, case_ids=ids, actor=supervisor)
    start(fixed, supervisor, django_capture_on_commit_callbacks)

    for case in (email, chat):
        case.refresh_from_db()
        assert case.status == Case.Status.SOLVED
    for case in (phone, refused):
        case.refresh_from_db()
        assert case.status == Case.Status.OPEN
        assert not Interaction.objects.filter(case=case, direction="out").exists()  # rolled back
    rows = {a.case_id: a for a in ProblemAnswer.objects.filter(problem=fixed)}
    assert rows[phone.pk].status == "failed"
    assert "no outbound channel" in rows[phone.pk].error
    assert rows[refused.pk].status == "failed"
    assert "needs a root cause" in rows[refused.pk].error
    progress = selectors.answer_progress(problem=fixed)
    assert (progress.answered, progress.failed, progress.remaining) == (2, 2, 0)

    client.force_login(supervisor)
    page = client.get(f"/problems/{fixed.pk}/progress/", HTTP_HX_REQUEST="true").content.decode()
    assert "2 failed" in page
    assert phone.reference in page
    assert "needs a root cause" in page


def test_a_message_the_channel_refuses_is_counted_as_not_delivered(
    fixed, supervisor, team, senders, django_capture_on_commit_callbacks
):
    (case,) = open_cases(team, "social", 1)
    senders.FAIL_CASES.add(case.pk)
    services.problem_link_cases(problem_id=fixed.pk, case_ids=[case.pk], actor=supervisor)
    start(fixed, supervisor, django_capture_on_commit_callbacks)
    progress = selectors.answer_progress(problem=fixed)
    assert (progress.answered, progress.undelivered) == (1, 1)
    reply = Interaction.objects.get(case=case, direction="out")
    assert reply.delivery_status == Interaction.Delivery.FAILED
