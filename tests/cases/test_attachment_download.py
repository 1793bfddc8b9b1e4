"""Agents download attachments of cases they may see; files are never served as our pages."""

import pytest
from django.urls import reverse

from apps.cases import services
from tests.factories import AgentFactory, CaseFactory, InteractionFactory

pytestmark = pytest.mark.django_db

DOWNLOAD_HEADERS = {
    "Content-Type": "application/octet-stream",
    "X-Content-Type-Options": "nosniff",
    "Content-Security-Policy": "default-src 'none'; sandbox",
    "Cache-Control": "private",
    "Cross-Origin-Resource-Policy": "same-origin",
}


def _attachment(
    team, *, filename="invoice 42.pdf", content=b"%PDF-1.7 invoice", content_type="application/pdf"
):
    interaction = InteractionFactory(case=CaseFactory(team=team))
    return services.attachment_add(
        interaction=interaction, filename=filename, content=content, content_type=content_type
    )


def _url(attachment):
    return reverse("case-attachment", args=[attachment.interaction.case_id, attachment.pk])


def _body(response) -> bytes:
    return b"".join(response.streaming_content)


def test_an_agent_of_the_owning_team_downloads_the_exact_file(client, agent, team):
    attachment = _attachment(team)
    client.force_login(agent)

    response = client.get(_url(attachment))

    assert response.status_code == 200
    assert _body(response) == b"%PDF-1.7 invoice"
    assert {name: response[name] for name in DOWNLOAD_HEADERS} == DOWNLOAD_HEADERS
    assert response["Content-Disposition"] == 'attachment; filename="invoice 42.pdf"'
    assert response["Content-Length"] == str(len(b"%PDF-1.7 invoice"))


def test_a_spoofed_html_file_with_a_script_is_a_sandboxed_octet_stream_download(
    client, agent, team
):
    page = b"<html><script>fetch('/api/v1/contacts/')</script></html>"
    attachment = _attachment(
        team, filename="statement.html", content=page, content_type="text/html"
    )
    client.force_login(agent)

    response = client.get(_url(attachment))

    assert response["Content-Type"] == "application/octet-stream"
    assert response["Content-Disposition"].startswith("attachment;")
    assert response["Content-Security-Policy"] == "default-src 'none'; sandbox"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert _body(response) == page


def test_a_non_ascii_filename_is_encoded_and_control_characters_are_dropped(client, agent, team):
    attachment = _attachment(team, filename="Rechnung\u202e März\r\n.pdf")
    client.force_login(agent)

    response = client.get(_url(attachment))

    assert response["Content-Disposition"] == (
        "attachment; filename*=utf-8''Rechnung%20M%C3%A4rz.pdf"
    )


def test_another_teams_agent_gets_a_404(client, team, other_team):
    attachment = _attachment(team)
    client.force_login(AgentFactory(teams=[other_team]))

    assert client.get(_url(attachment)).status_code == 404


def test_an_attachment_under_another_case_id_is_a_404(client, agent, team):
    attachment = _attachment(team)
    visible_case = CaseFactory(team=team)
    client.force_login(agent)

    url = reverse("case-attachment", args=[visible_case.pk, attachment.pk])
    assert client.get(url).status_code == 404


def test_without_a_login_the_download_redirects_to_the_login_page(client, team):
    attachment = _attachment(team)

    response = client.get(_url(attachment))

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_an_unknown_attachment_id_is_a_404(client, agent, team):
    case = CaseFactory(team=team)
    client.force_login(agent)

    assert client.get(reverse("case-attachment", args=[case.pk, 999_999])).status_code == 404


def test_a_file_missing_from_storage_is_a_clear_410(client, agent, team):
    attachment = _attachment(team)
    attachment.file.storage.delete(attachment.file.name)
    client.force_login(agent)

    response = client.get(_url(attachment))

    assert response.status_code == 410
    assert "invoice 42.pdf" in response.content.decode()
    assert "no longer in cxdesk" in response.content.decode()


def test_an_admin_downloads_any_teams_attachment(client, admin_user, other_team):
    attachment = _attachment(other_team)
    client.force_login(admin_user)

    assert _body(client.get(_url(attachment))) == b"%PDF-1.7 invoice"


def test_files_are_served_by_the_download_view_only_never_under_media_url(
    client, admin_user, team, settings
):
    attachment = _attachment(team)
    client.force_login(admin_user)

    # Django prefixes MEDIA_URL with the script prefix at run time ("media/" -> "/media/").
    media_path = "/" + settings.MEDIA_URL.lstrip("/") + attachment.file.name
    assert media_path.startswith("/media/attachments/")
    assert client.get(media_path).status_code == 404
    assert client.get(_url(attachment)).status_code == 200
