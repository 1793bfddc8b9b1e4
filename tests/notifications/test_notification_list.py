"""The notification list puts unread ones first and opens a notice's case (marking it read);
the header's unread count is on every agent page and refreshed by polling."""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.urls import reverse

from apps.notifications.models import Notification
from apps.notifications.services import notifications_mark_read, notify_many
from tests.factories import AgentFactory, CaseFactory

pytestmark = pytest.mark.django_db
HTMX = {"HTTP_HX_REQUEST": "true"}
NOON = datetime(2026, 12, 2, 12, 0, tzinfo=UTC)


def write(user, text, case=None, kind="assigned"):
    [notice] = notify_many([(user, kind, case, text)])
    return notice


def test_unread_notices_come_first_then_newest_first(client, agent):
    with time_machine.travel(NOON, tick=False) as clock:
        write(agent, "oldest unread")
        clock.shift(timedelta(minutes=1))
        newest_read = write(agent, "newest but read")
        clock.shift(timedelta(minutes=1))
        write(agent, "newer unread")
    notifications_mark_read(user=agent, ids=[newest_read.pk])
    client.force_login(agent)

    page = client.get(reverse("notifications:inbox")).content.decode()

    positions = [page.index(text) for text in ("newer unread", "oldest unread", "newest but read")]
    assert positions == sorted(positions)
    assert page.count("(unread)") == 2


def test_opening_a_notice_marks_it_read_and_goes_to_its_case(client, agent, team):
    case = CaseFactory(team=team, assignee=agent)
    notice = write(agent, f"{case.reference} assigned to you", case)
    client.force_login(agent)
    page = client.get(reverse("notifications:inbox")).content.decode()
    url = reverse("notifications:open", args=[notice.pk])
    assert f'href="{url}"' in page

    response = client.get(url)

    assert response.status_code == 302
    assert response["Location"] == reverse("case-detail", args=[case.pk])
    notice.refresh_from_db()
    assert notice.read_at is not None


def test_a_notice_without_a_case_goes_back_to_the_list(client, agent):
    notice = write(agent, "nothing to open", kind="sla_warning")
    client.force_login(agent)
    response = client.get(reverse("notifications:open", args=[notice.pk]))
    assert response["Location"] == reverse("notifications:inbox")


def test_another_users_notice_cannot_be_opened(client, agent, team):
    theirs = write(AgentFactory(teams=[team]), "theirs", CaseFactory(team=team))
    client.force_login(agent)
    assert client.get(reverse("notifications:open", args=[theirs.pk])).status_code == 404
    assert client.post(reverse("notifications:open", args=[theirs.pk])).status_code == 405
    theirs.refresh_from_db()
    assert theirs.read_at is None


def test_every_agent_page_shows_the_unread_count_and_polls_it(client, agent, team):
    write(agent, "one")
    write(agent, "two")
    write(AgentFactory(teams=[team]), "someone else's")
    client.force_login(agent)
    count_url = reverse("notifications:count")

    for path in [reverse("home"), reverse("case-detail", args=[CaseFactory(team=team).pk])]:
        page = client.get(path).content.decode()
        assert (
            f'<span id="notification-count" hx-get="{count_url}" hx-trigger="every 30s" '
            'hx-swap="outerHTML"><span class="count">2</span>'
        ) in page

    notifications_mark_read(user=agent)
    badge = client.get(count_url, **HTMX).content.decode()
    assert 'id="notification-count"' in badge  # the poller replaces itself and goes on
    assert 'class="count"' not in badge


def test_the_count_costs_one_query_beyond_the_session(client, agent, django_assert_num_queries):
    for i in range(5):
        write(agent, f"n{i}")
    client.force_login(agent)
    with django_assert_num_queries(3):  # session, user, the COUNT
        badge = client.get(reverse("notifications:count"), **HTMX).content.decode()
    assert '<span class="count">5</span>' in badge


def test_the_count_without_a_session(client):
    url = reverse("notifications:count")
    assert client.get(url).status_code == 302  # a page: to sign in
    assert client.get(url, **HTMX).status_code == 401  # a poll: htmx swaps nothing in


def test_the_list_costs_the_same_queries_whatever_its_length_and_state(
    client, agent, team, django_assert_max_num_queries
):
    def fill(n):
        for i in range(n):
            write(agent, f"n{i}", CaseFactory(team=team))
        some = Notification.objects.values_list("pk", flat=True)[: n // 2]
        notifications_mark_read(user=agent, ids=list(some))

    fill(4)
    client.force_login(agent)
    with django_assert_max_num_queries(6) as few:
        client.get(reverse("notifications:inbox"))
    fill(40)
    with django_assert_max_num_queries(len(few.captured_queries)):
        client.get(reverse("notifications:inbox"))
