"""`manage.py demo_data` loads a believable contact center through the services, once."""

from datetime import timedelta
from io import StringIO

import phonenumbers
import pytest
from django.contrib.auth import authenticate, get_user_model
from django.core.management import call_command
from django.db.models import Count, Min
from django.test import RequestFactory
from django.utils import timezone

from apps.accounts.models import AgentProfile, Team, role_of
from apps.cases.models import Case, CaseEvent, Interaction
from apps.contacts.models import Contact, ContactIdentity

pytestmark = pytest.mark.django_db

PASSWORD = "demo-pass-2026"
SMALL = 60


def load(*args: str) -> str:
    out = StringIO()
    call_command("demo_data", *args, stdout=out)
    return out.getvalue()


@pytest.fixture
def demo():
    return load("--cases", str(SMALL))


def counts() -> dict[str, int]:
    return {
        "users": get_user_model().objects.count(),
        "teams": Team.objects.count(),
        "contacts": Contact.objects.count(),
        "identities": ContactIdentity.objects.count(),
        "cases": Case.objects.count(),
        "interactions": Interaction.objects.count(),
        "events": CaseEvent.objects.count(),
    }


def test_the_logins_the_makefile_prints_exist_with_their_role_and_teams(demo):
    User = get_user_model()
    expected = {
        "admin": ("admin", set()),
        "sam.super": ("supervisor", {"Billing", "Logistics"}),
        "alex.agent": ("agent", {"Billing"}),
    }
    for username, (role, teams) in expected.items():
        user = User.objects.get(username=username)
        assert role_of(user) == role
        assert set(user.teams.values_list("name", flat=True)) == teams
        # django-axes guards authenticate(): it needs the request a sign-in comes with.
        request = RequestFactory().post("/accounts/login/")
        assert authenticate(request, username=username, password=PASSWORD) == user
    assert User.objects.get(username="admin").is_superuser
    assert User.objects.count() >= 12


def test_some_agents_have_a_capacity_for_the_consoles_workload(demo):
    capacities = dict(
        AgentProfile.objects.filter(max_open_cases__isnull=False).values_list(
            "user__username", "max_open_cases"
        )
    )
    assert capacities == {"tom.becker": 8, "lucas.silva": 10, "emma.wright": 8}


def test_cases_come_on_every_channel(demo):
    channels = set(Case.objects.values_list("channel", flat=True))
    assert {"email", "chat", "phone", "social"} <= channels


def test_every_status_occurs_even_in_a_small_load(demo):
    assert set(Case.objects.values_list("status", flat=True)) == set(Case.Status.values)


def test_cases_are_spread_over_the_last_60_days_and_none_is_in_the_future(demo):
    now = timezone.now()
    created = sorted(Case.objects.values_list("created_at", flat=True))
    assert created[0] >= now - timedelta(days=60)
    assert created[-1] <= now
    for start in range(0, 60, 10):  # every ten days of the span has cases
        window = (now - timedelta(days=start + 10), now - timedelta(days=start))
        assert any(window[0] <= at < window[1] for at in created)
    assert not Interaction.objects.filter(occurred_at__gt=now).exists()
    assert not CaseEvent.objects.filter(at__gt=now).exists()
    assert not Case.objects.filter(updated_at__gt=now).exists()


def test_every_case_has_an_interaction_and_a_created_event(demo):
    assert not Case.objects.filter(interactions__isnull=True).exists()
    with_created = CaseEvent.objects.filter(kind=CaseEvent.Kind.CREATED).values("case").distinct()
    assert Case.objects.exclude(pk__in=with_created).count() == 0


def test_history_is_in_the_past_and_in_order(demo):
    first_event = dict(CaseEvent.objects.values_list("case").annotate(at=Min("at")))
    first_interaction = dict(
        Interaction.objects.values_list("case").annotate(at=Min("occurred_at"))
    )
    for case in Case.objects.all():
        assert first_event[case.pk] == case.created_at == first_interaction[case.pk]
        replies = case.interactions.filter(
            direction="out", is_public=True, author_agent__isnull=False
        )
        first_reply = replies.aggregate(at=Min("occurred_at"))["at"]
        assert case.first_response_at == first_reply
        if case.status in (Case.Status.SOLVED, Case.Status.CLOSED):
            assert case.first_response_at <= case.solved_at
        if case.status == Case.Status.CLOSED:
            assert case.solved_at <= case.closed_at <= case.updated_at


def test_someone_reaches_out_on_two_channels_and_is_one_contact(demo):
    people = Case.objects.values("requester").annotate(channels=Count("channel", distinct=True))
    assert people.filter(channels__gte=2).exists()


def test_each_channel_carries_its_own_details(demo):
    call = Interaction.objects.filter(channel="phone", direction="in").first()
    assert {"duration_seconds", "from", "to", "disposition"} <= set(call.metadata)
    chat_case = Case.objects.filter(channel="chat").exclude(status="new").first()
    chat = chat_case.interactions.filter(channel="chat")
    assert chat.count() >= 4
    assert len({m.metadata["chat_session_id"] for m in chat}) == 1
    post = Interaction.objects.filter(channel="social", direction="in").first()
    assert {"network", "handle"} <= set(post.metadata)


def test_phone_numbers_are_valid_e164(demo):
    numbers = ContactIdentity.objects.filter(kind="phone").values_list("value", flat=True)
    assert numbers
    for number in numbers:
        assert phonenumbers.is_valid_number(phonenumbers.parse(number)), number


def test_running_it_twice_creates_nothing_new(demo):
    before = counts()
    output = load("--cases", str(SMALL))
    assert "demo data already loaded" in output
    assert counts() == before


def test_list_prints_every_login_and_writes_nothing():
    output = load("--list")
    assert "alex.agent" in output
    assert "sam.super" in output
    assert get_user_model().objects.count() == 0
    assert Case.objects.count() == 0


def test_the_default_load_has_over_300_cases_on_every_status():
    output = load()  # the default count, as `make demo` runs it
    assert Case.objects.count() >= 300
    assert set(Case.objects.values_list("status", flat=True)) == set(Case.Status.values)
    assert "cases by status" in output


def test_the_demo_history_is_not_sent_again(settings):
    from apps.cases.models import Interaction

    settings.CXDESK_OUTBOUND_SENDERS = {"email": "tests.cases.test_outbound_sending.fake_sender"}
    load("--cases", "30")
    outbound = Interaction.objects.filter(direction="out", is_public=True)
    assert outbound.exists()
    assert not outbound.filter(delivery_status__in=["pending", "failed"]).exists()


def test_the_demo_has_a_chat_widget_whose_page_it_prints(demo, settings):
    from apps.chat.models import ChatWidget

    settings.CXDESK_PUBLIC_URL = "http://127.0.0.1:8000"
    widget = ChatWidget.objects.get()
    assert widget.team.name == "Customer Care"
    assert widget.is_active
    again = load("--cases", str(SMALL))  # twice: the same widget, printed again
    assert ChatWidget.objects.get() == widget
    assert f"chat widget: http://127.0.0.1:8000/channels/chat/demo/{widget.public_key}/" in again


def test_the_demo_cases_have_their_sla_clocks_before_any_worker_runs(
    django_capture_on_commit_callbacks,
):
    """`make demo` queues a recompute per case after the load commits, for a worker that
    has not started yet; the command computes the clocks itself, so the queue shows time
    left from its first page. Here the after-commit callbacks (the enqueues) are captured
    and never run: only the command can have computed the clocks."""
    from apps.sla.models import SlaClock

    with django_capture_on_commit_callbacks(execute=False) as queued:
        output = load("--cases", str(SMALL))
    assert queued  # the recompute enqueues a worker would have run
    # (the load's cases, and the one the received demo email opened)
    assert f"SLA clocks computed for {Case.objects.count()} cases" in output
    open_cases = Case.objects.open()
    assert open_cases.exists()
    assert SlaClock.objects.filter(case__in=open_cases).count() >= open_cases.count()
    assert not Case.objects.filter(sla_computed_at__isnull=True).exists()
