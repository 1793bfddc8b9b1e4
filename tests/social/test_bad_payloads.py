"""A signed body that is not JSON or not a webhook event: 400 naming what is wrong, nothing
stored. A signed body of a product we do not handle: acknowledged, so Meta does not retry."""

import pytest

from apps.cases.models import Case
from apps.social.models import SocialEvent
from tests.social.factories import messenger_account

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def account(team):
    return messenger_account(team=team)


@pytest.mark.parametrize("body", [b"{not json", b"", b"\xff\xfe"])
def test_a_body_that_is_not_json_is_a_bad_request(post_meta, body):
    response = post_meta(body)

    assert response.status_code == 400
    error = response.json()["error"]
    assert error["status"] == 400
    assert error["code"] == "invalid_json"
    assert error["message"].startswith("The body is not valid JSON")
    assert not SocialEvent.objects.exists()
    assert not Case.objects.exists()


def test_a_body_nested_too_deep_is_a_bad_request(post_meta):
    response = post_meta(b"[" * 100_000)

    assert response.status_code == 400
    assert response.json()["error"]["code"] == "json_too_deep"
    assert not SocialEvent.objects.exists()
    assert not Case.objects.exists()


@pytest.mark.parametrize(
    ("body", "names"),
    [
        ([], "JSON object"),
        ({"entry": []}, '"object"'),
        ({"object": "page"}, '"entry"'),
        ({"object": "page", "entry": {"id": "1"}}, '"entry"'),
    ],
)
def test_a_body_of_the_wrong_shape_is_a_bad_request(post_meta, body, names):
    response = post_meta(body)

    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "invalid_payload"
    assert names in error["message"]
    assert not SocialEvent.objects.exists()
    assert not Case.objects.exists()


@pytest.mark.parametrize("body", [[], {"direct_message_events": []}, {"for_user_id": ""}])
def test_an_x_body_without_for_user_id_is_a_bad_request(post_x, body):
    response = post_x(body)

    assert response.status_code == 400
    assert response.json()["error"]["code"] == "invalid_payload"


def test_an_object_we_do_not_handle_is_acknowledged_and_ignored(post_meta):
    response = post_meta({"object": "user", "entry": [{"id": "1", "changes": []}]})

    assert response.status_code == 200
    assert response.json()["ignored"] == 1
    assert not SocialEvent.objects.exists()


def test_an_unexpected_error_answers_503_so_the_provider_retries(post_meta, monkeypatch):
    from apps.social import services

    def broken(**kwargs):
        raise RuntimeError("database went away")

    monkeypatch.setattr(services, "events_receive", broken)

    response = post_meta({"object": "page", "entry": []})

    assert response.status_code == 503
    assert response.json()["error"]["code"] == "unavailable"


def test_a_body_over_the_size_limit_is_refused(post_meta, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 100

    response = post_meta({"object": "page", "entry": [], "padding": "x" * 200})

    assert response.status_code == 413
    assert response.json()["error"]["code"] == "payload_too_large"
