"""The case page and the admin link each attachment to its download view, never to MEDIA_URL."""

import pytest
from django.urls import reverse

from apps.cases import services
from tests.factories import CaseFactory, InteractionFactory

pytestmark = pytest.mark.django_db


def test_the_case_page_links_each_attachment_with_its_name_size_and_type(client, agent, team):
    interaction = InteractionFactory(case=CaseFactory(team=team))
    attachment = services.attachment_add(
        interaction=interaction,
        filename="invoice <draft>.pdf",
        content=b"x" * 2048,
        content_type="application/pdf",
    )
    client.force_login(agent)

    body = client.get(reverse("case-detail", args=[interaction.case_id])).content.decode()

    url = reverse("case-attachment", args=[interaction.case_id, attachment.pk])
    assert (
        f'<a href="{url}" download>invoice &lt;draft&gt;.pdf</a> '
        '<span class="muted">(2.0\xa0KB, application/pdf)</span>'
    ) in body
    assert attachment.file.name not in body


def test_the_case_page_costs_the_same_queries_with_many_attachments(
    client, agent, team, django_assert_max_num_queries
):
    case = CaseFactory(team=team)
    services.attachment_add(
        interaction=InteractionFactory(case=case), filename="a.txt", content=b"a"
    )
    client.force_login(agent)
    url = reverse("case-detail", args=[case.pk])
    with django_assert_max_num_queries(30) as few:
        client.get(url)
    for _ in range(10):
        interaction = InteractionFactory(case=case)
        for n in range(5):
            services.attachment_add(interaction=interaction, filename=f"{n}.txt", content=b"b")

    with django_assert_max_num_queries(len(few.captured_queries)):
        response = client.get(url)

    assert response.content.decode().count(f'href="/cases/{case.pk}/attachments/') == 51


def test_the_admin_links_attachments_to_the_download_view(client, admin_user, team):
    interaction = InteractionFactory(case=CaseFactory(team=team))
    first, second = (
        services.attachment_add(interaction=interaction, filename=name, content=b"x")
        for name in ("a.pdf", "b.pdf")
    )
    client.force_login(admin_user)
    url = reverse("admin:cases_interaction_change", args=[interaction.pk])

    body = client.get(url).content.decode()

    for attachment in (first, second):
        download = reverse("case-attachment", args=[interaction.case_id, attachment.pk])
        assert f'<a href="{download}">Download</a>' in body
        assert attachment.file.name not in body
    assert "/media/" not in body


def test_the_admin_links_cost_no_query_per_attachment(
    client, admin_user, django_assert_max_num_queries
):
    interaction = InteractionFactory()
    services.attachment_add(interaction=interaction, filename="a.pdf", content=b"x")
    client.force_login(admin_user)
    url = reverse("admin:cases_interaction_change", args=[interaction.pk])
    with django_assert_max_num_queries(40) as few:
        client.get(url)
    for n in range(10):
        services.attachment_add(interaction=interaction, filename=f"{n}.pdf", content=b"x")

    with django_assert_max_num_queries(len(few.captured_queries)):
        assert client.get(url).content.decode().count(">Download</a>") == 11


def test_the_case_page_says_which_files_were_not_stored(client, agent, team):
    skipped = [
        {
            "filename": "page51.pdf",
            "content_type": "application/pdf",
            "size": 4,
            "reason": "too many",
        },
        {
            "filename": "<huge>.bin",
            "content_type": "application/octet-stream",
            "size": 10**9,
            "reason": "too large",
        },
    ]
    interaction = InteractionFactory(
        case=CaseFactory(team=team), metadata={"attachments_skipped": skipped}
    )
    client.force_login(agent)

    body = client.get(reverse("case-detail", args=[interaction.case_id])).content.decode()

    assert (
        "2 more files not stored (page51.pdf: too many; &lt;huge&gt;.bin: too large) — "
        "still in the raw message"
    ) in body
