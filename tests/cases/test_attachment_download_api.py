"""Integrations download attachments with a cases:read token; interactions link to them."""

import pytest
from rest_framework.test import APIClient

from apps.cases import services
from tests.factories import AgentFactory, CaseFactory, InteractionFactory

pytestmark = pytest.mark.django_db


def _attachment(
    team, *, filename="scan.html", content=b"<script>alert(1)</script>", content_type="text/html"
):
    interaction = InteractionFactory(case=CaseFactory(team=team))
    return services.attachment_add(
        interaction=interaction, filename=filename, content=content, content_type=content_type
    )


def _url(attachment):
    interaction = attachment.interaction
    return (
        f"/api/v1/cases/{interaction.case_id}/interactions/{interaction.pk}"
        f"/attachments/{attachment.pk}/download/"
    )


def _body(response) -> bytes:
    return b"".join(response.streaming_content)


def test_a_read_token_downloads_the_file_as_a_sandboxed_attachment(token_client, agent, team):
    attachment = _attachment(team)
    api = token_client(agent, scopes=["cases:read"])

    response = api.get(_url(attachment))

    assert response.status_code == 200
    assert _body(response) == b"<script>alert(1)</script>"
    assert response["Content-Type"] == "application/octet-stream"
    assert response["Content-Disposition"] == 'attachment; filename="scan.html"'
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Security-Policy"] == "default-src 'none'; sandbox"
    assert response["Cache-Control"] == "private"


@pytest.mark.parametrize("accept", ["application/octet-stream", "*/*", "application/json"])
def test_any_accept_header_gets_the_file(agent_api, team, accept):
    attachment = _attachment(team)

    response = agent_api.get(_url(attachment), HTTP_ACCEPT=accept)

    assert response.status_code == 200
    assert _body(response) == b"<script>alert(1)</script>"


def test_a_token_without_cases_read_is_refused(token_client, agent, team):
    attachment = _attachment(team)
    api = token_client(agent, scopes=["contacts:read"])

    response = api.get(_url(attachment))

    assert response.status_code == 403
    assert response.json()["error"]["message"] == "This token lacks the cases:read scope."


def test_without_credentials_the_api_answers_401():
    attachment = _attachment(CaseFactory().team)

    response = APIClient().get(_url(attachment))

    assert response.status_code == 401
    assert response.json()["error"]["code"] == "not_authenticated"


def test_another_teams_token_gets_a_404(token_client, team, other_team):
    attachment = _attachment(team)
    api = token_client(AgentFactory(teams=[other_team]))

    response = api.get(_url(attachment))

    assert response.status_code == 404
    assert response.json()["error"] == {
        "status": 404,
        "code": "not_found",
        "message": "No such attachment.",
    }


def test_the_attachment_must_belong_to_the_interaction_in_the_url(agent_api, team):
    attachment = _attachment(team)
    other = InteractionFactory(case=attachment.interaction.case)

    response = agent_api.get(
        f"/api/v1/cases/{other.case_id}/interactions/{other.pk}"
        f"/attachments/{attachment.pk}/download/"
    )

    assert response.status_code == 404
    assert response.json()["error"]["message"] == "No such attachment."


def test_an_unknown_attachment_id_is_a_404(agent_api, team):
    interaction = InteractionFactory(case=CaseFactory(team=team))

    response = agent_api.get(
        f"/api/v1/cases/{interaction.case_id}/interactions/"
        f"{interaction.pk}/attachments/999999/download/"
    )

    assert response.status_code == 404
    assert response.json()["error"]["message"] == "No such attachment."


def test_a_file_missing_from_storage_is_a_410_in_the_envelope(agent_api, team):
    attachment = _attachment(team)
    attachment.file.storage.delete(attachment.file.name)

    response = agent_api.get(_url(attachment), HTTP_ACCEPT="application/octet-stream")

    assert response.status_code == 410
    error = response.json()["error"]
    assert error["code"] == "attachment_missing"
    assert "scan.html" in error["message"]


def test_interactions_list_each_attachment_with_its_download_url(agent_api, team):
    attachment = _attachment(team)
    case_id = attachment.interaction.case_id

    response = agent_api.get(f"/api/v1/cases/{case_id}/interactions/")

    [interaction] = response.json()["results"]
    assert interaction["attachments"] == [
        {
            "id": attachment.pk,
            "filename": "scan.html",
            "content_type": "text/html",
            "size": len(b"<script>alert(1)</script>"),
            "content_id": "",
            "download_url": f"http://testserver{_url(attachment)}",
        }
    ]
    assert _body(agent_api.get(interaction["attachments"][0]["download_url"])) == (
        b"<script>alert(1)</script>"
    )


def test_the_interactions_list_costs_the_same_queries_with_many_attachments(
    agent_api, team, django_assert_max_num_queries
):
    case = CaseFactory(team=team)
    url = f"/api/v1/cases/{case.pk}/interactions/"
    for _ in range(2):
        services.attachment_add(
            interaction=InteractionFactory(case=case), filename="a.txt", content=b"a"
        )
    with django_assert_max_num_queries(20) as few:
        agent_api.get(url)
    for _ in range(20):
        interaction = InteractionFactory(case=case)
        for n in range(5):
            services.attachment_add(interaction=interaction, filename=f"{n}.txt", content=b"b")

    with django_assert_max_num_queries(len(few.captured_queries)):
        response = agent_api.get(url)

    assert sum(len(i["attachments"]) for i in response.json()["results"]) == 2 + 20 * 5
