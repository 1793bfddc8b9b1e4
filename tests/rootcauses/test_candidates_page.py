"""/root-causes/candidates/: the candidates one may see, with the decisions as plain POST
forms (no JavaScript needed, CSRF checked), a message after each; linked from the nav."""

import pytest
from django.test import Client

from apps.cases.models import Case
from apps.rootcauses.models import RootCause, RootCauseCandidate
from tests.factories import CaseFactory
from tests.rootcauses.candidate_data import make_candidate

pytestmark = pytest.mark.django_db

URL = "/root-causes/candidates/"


@pytest.fixture
def mine(team):
    return make_candidate([CaseFactory(team=team, subject=f"Crash {n}") for n in range(5)])


@pytest.fixture
def theirs(other_team):
    return make_candidate(
        [CaseFactory(team=other_team, subject="Parcel to the wrong address")],
        terms=("parcel", "address"),
    )


def test_the_page_lists_what_one_may_see_with_terms_subjects_and_cases(
    client, supervisor, mine, theirs
):
    client.force_login(supervisor)

    html = client.get(URL).content.decode()

    assert "statement, crash" in html
    assert "Crash 3" in html
    assert f'href="/cases/{mine.cases.first().pk}/"' in html
    assert "Parcel to the wrong address" not in html
    assert "Merge into a root cause" in html
    assert "Accept as a new root cause" not in html  # admins only


def test_an_agent_sees_candidates_but_no_decisions(client, agent, mine):
    client.force_login(agent)

    html = client.get(URL).content.decode()

    assert "Crash 0" in html
    assert '<form method="post" action="/root-causes/candidates/' not in html
    response = client.post(f"{URL}{mine.pk}/dismiss/")
    assert response.status_code == 403
    assert RootCauseCandidate.objects.get(pk=mine.pk).state == "open"


def test_the_nav_links_to_the_page(client, agent):
    client.force_login(agent)

    assert f'href="{URL}"' in client.get("/").content.decode()


def test_accepting_from_the_page_adds_the_node_and_tags_the_cases(client, admin_user, mine, cards):
    client.force_login(admin_user)

    response = client.post(
        f"{URL}{mine.pk}/accept/",
        {"name": "App crash", "parent": cards.pk, "owner_team": cards.owner_team_id},
        follow=True,
    )

    node = RootCause.objects.get(path="Cards › App crash")
    assert "Accepted as Cards › App crash" in response.content.decode()
    assert Case.objects.filter(root_cause=node).count() == 5
    assert "Crash 0" not in response.content.decode()  # decided: off the page


def test_a_bad_form_or_a_decided_candidate_says_why_and_changes_nothing(
    client, admin_user, mine, card_arrival
):
    client.force_login(admin_user)

    bad = client.post(f"{URL}{mine.pk}/accept/", {"name": "", "owner_team": "x"}, follow=True)
    assert "Not done" in bad.content.decode()
    assert RootCauseCandidate.objects.get(pk=mine.pk).state == "open"

    client.post(f"{URL}{mine.pk}/merge/", {"root_cause": card_arrival.pk})
    again = client.post(f"{URL}{mine.pk}/dismiss/", follow=True)
    assert "Not done: this candidate was merged" in again.content.decode()
    assert RootCauseCandidate.objects.get(pk=mine.pk).state == "merged"


def test_another_teams_candidate_or_an_unknown_action_is_not_found(
    client, supervisor, mine, theirs
):
    client.force_login(supervisor)

    assert client.post(f"{URL}{theirs.pk}/dismiss/").status_code == 404
    assert client.post(f"{URL}{mine.pk}/explode/").status_code == 404
    assert client.get(f"{URL}{mine.pk}/dismiss/").status_code == 405


def test_a_post_without_the_csrf_token_is_refused(supervisor, mine):
    strict = Client(enforce_csrf_checks=True)
    strict.force_login(supervisor)

    assert strict.post(f"{URL}{mine.pk}/dismiss/").status_code == 403
    assert RootCauseCandidate.objects.get(pk=mine.pk).state == "open"


def test_signed_out_is_sent_to_sign_in(client):
    response = client.get(URL)

    assert response.status_code == 302
    assert "login" in response["Location"]


def test_the_page_costs_the_same_queries_for_one_candidate_or_many(
    client, admin_user, team, card_arrival, django_assert_max_num_queries
):
    client.force_login(admin_user)
    make_candidate([CaseFactory(team=team) for _ in range(3)])
    with django_assert_max_num_queries(40) as few:
        client.get(URL)
    for _ in range(6):
        make_candidate([CaseFactory(team=team) for _ in range(3)])

    with django_assert_max_num_queries(len(few.captured_queries)):
        assert client.get(URL).content.decode().count('<section class="candidate"') == 7
