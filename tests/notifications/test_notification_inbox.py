"""A user's notifications page: theirs only, newest first, marked read; the header counts."""

import pytest

from apps.notifications.models import Notification
from apps.notifications.services import notify_many
from tests.factories import CaseFactory, SupervisorFactory

pytestmark = pytest.mark.django_db


def test_a_supervisor_sees_their_notifications_and_marks_them_read(client, team):
    supervisor, other = SupervisorFactory(teams=[team]), SupervisorFactory()
    case = CaseFactory(team=team)
    notify_many(
        [
            (supervisor, "sla_breached", case, f"{case.reference}: first response breached"),
            (supervisor, "sla_warning", case, f"{case.reference}: resolution due soon"),
            (other, "sla_breached", case, "someone else's"),
        ]
    )
    client.force_login(supervisor)

    page = client.get("/notifications/").content.decode()
    assert "first response breached" in page
    assert "resolution due soon" in page
    assert "someone else&#x27;s" not in page
    assert "someone else's" not in page
    assert '<span class="count">2</span>' in page

    one = Notification.objects.filter(recipient=supervisor).order_by("pk").first()
    client.post("/notifications/read/", {"id": one.pk})
    assert Notification.objects.filter(recipient=supervisor, read_at__isnull=True).count() == 1
    client.post("/notifications/read/")
    assert not Notification.objects.filter(recipient=supervisor, read_at__isnull=True).exists()
    assert Notification.objects.get(recipient=other).read_at is None


def test_marking_another_users_notification_read_is_a_404_and_changes_nothing(client, team):
    supervisor, other = SupervisorFactory(teams=[team]), SupervisorFactory()
    [theirs] = notify_many([(other, "sla_breached", None, "not yours")])
    [mine] = notify_many([(supervisor, "sla_breached", None, "mine")])
    client.force_login(supervisor)

    assert client.post("/notifications/read/", {"id": theirs.pk}).status_code == 404
    for junk in ["abc", "-1", str(2**70)]:  # never "all of them" by mistake
        assert client.post("/notifications/read/", {"id": junk}).status_code == 404

    theirs.refresh_from_db()
    mine.refresh_from_db()
    assert theirs.read_at is None
    assert mine.read_at is None


def test_the_inbox_needs_a_login_and_reading_needs_a_post(client, agent):
    assert client.get("/notifications/").status_code == 302
    client.force_login(agent)
    assert client.get("/notifications/read/").status_code == 405


def test_the_inbox_costs_the_same_queries_whatever_its_length(
    client, team, django_assert_max_num_queries
):
    supervisor = SupervisorFactory(teams=[team])
    notify_many([(supervisor, "sla_breached", CaseFactory(team=team), "x") for _ in range(3)])
    client.force_login(supervisor)
    with django_assert_max_num_queries(6) as few:
        client.get("/notifications/")
    notify_many([(supervisor, "sla_breached", CaseFactory(team=team), "x") for _ in range(30)])
    with django_assert_max_num_queries(len(few.captured_queries)):
        client.get("/notifications/")
