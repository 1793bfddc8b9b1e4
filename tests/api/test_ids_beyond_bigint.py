"""An id beyond a bigint in a URL is a 404 like any id that names nothing, never a 500 (on
SQLite such a lookup overflowed: found by the 200-example schema fuzz on the attachment
download)."""

import pytest

pytestmark = pytest.mark.django_db
BIG = "39453954631248632992408274993152"


@pytest.mark.parametrize(
    "url",
    [
        f"/api/v1/cases/{BIG}/",
        f"/api/v1/cases/{BIG}/interactions/",
        f"/api/v1/contacts/{BIG}/",
        f"/api/v1/calls/{BIG}/",
        f"/api/v1/chat/sessions/{BIG}/",
        f"/api/v1/webhooks/{BIG}/",
        f"/api/v1/cases/1/interactions/1/attachments/{BIG}/download/",
        f"/api/v1/cases/{BIG}/interactions/1/attachments/1/download/",
        f"/cases/{BIG}/",
        f"/cases/{BIG}/attachments/1/",
        f"/channels/chat/sessions/{BIG}/messages/",
        f"/channels/phone/cases/{BIG}/log-call/",
    ],
)
def test_an_id_beyond_a_bigint_names_nothing(admin_api, admin_user, client, url):
    client.force_login(admin_user)
    response = (admin_api if url.startswith("/api/") else client).get(url)
    assert response.status_code == 404, (url, response.status_code)
