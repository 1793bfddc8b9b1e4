import pytest

from apps.problems import services
from apps.rootcauses import services as rootcauses
from tests.factories import TeamFactory


@pytest.fixture
def product_team(db):
    """The owner team of the root cause: outside the contact center."""
    return TeamFactory(name="Payments product", slug="payments-product")


@pytest.fixture
def billing_cause(product_team):
    category = rootcauses.root_cause_create(name="Billing", owner_team=product_team)
    return rootcauses.root_cause_create(
        name="Double charge", parent=category, owner_team=product_team
    )


@pytest.fixture
def problem(billing_cause, supervisor, team):
    """An open problem owned by the supervisor's team."""
    return services.problem_create(
        title="Double charge on renewal since 2.3",
        root_cause=billing_cause,
        owner_team=team,
        actor=supervisor,
    )


@pytest.fixture
def senders(settings):
    """Email through the real sender (mail.outbox); chat and social recorded."""
    from tests.problems import senders as recording

    recording.SENT.clear()
    recording.FAIL_CASES.clear()
    settings.CXDESK_OUTBOUND_SENDERS = {
        "email": "apps.mail.outbound.send",
        "chat": "tests.problems.senders.chat",
        "social": "tests.problems.senders.social",
    }
    return recording


@pytest.fixture
def fixed(problem, supervisor):
    """The problem, fixed yesterday."""
    import datetime

    from django.utils import timezone

    services.problem_transition(problem_id=problem.pk, to="investigating", actor=supervisor)
    services.problem_transition(problem_id=problem.pk, to="fix_in_progress", actor=supervisor)
    return services.problem_transition(
        problem_id=problem.pk,
        to="fixed",
        actor=supervisor,
        fix_date=timezone.localdate() - datetime.timedelta(days=1),
    )
