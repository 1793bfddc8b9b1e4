"""Schemathesis fuzzes every operation of /api/schema/ in-process (bounded examples).

It fails on any server error and on any response that the schema does not describe (status
code, content type, body shape). Runs in both CI passes; CXDESK_FUZZ_EXAMPLES bounds it.
"""

import os

import pytest
import schemathesis
from django.core.handlers.wsgi import WSGIHandler
from hypothesis import HealthCheck, settings
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)

from tests.factories import CaseFactory, InteractionFactory

EXAMPLES = int(os.environ.get("CXDESK_FUZZ_EXAMPLES", "15"))

schema = schemathesis.openapi.from_wsgi("/api/schema/", WSGIHandler())


@pytest.fixture
def keep_test_connection():
    """Schemathesis calls the WSGI handler directly, whose request signals would close the
    test's database connection (inside its transaction) after each call. Django's own test
    client disconnects that handler for the same reason; so do we, for this test."""
    from django.core.signals import request_finished, request_started
    from django.db import close_old_connections

    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture
def fuzz_token(db, admin_user, team, monkeypatch, keep_test_connection):
    from rest_framework.throttling import SimpleRateThrottle

    from apps.api.models import ApiToken
    from apps.api.services import api_token_create

    monkeypatch.setattr(SimpleRateThrottle, "THROTTLE_RATES",
                        {"token": "100000/minute", "user": "100000/minute",
                         "anon": "100000/minute"})
    for case in CaseFactory.create_batch(3, team=team):
        InteractionFactory(case=case)
    _, key = api_token_create(owner=admin_user, name="fuzz", scopes=ApiToken.Scope.values)
    return key


@pytest.mark.django_db
@schema.parametrize()
@settings(max_examples=EXAMPLES, deadline=None, derandomize=True,
          suppress_health_check=list(HealthCheck))
def test_the_api_matches_its_schema(case, fuzz_token):
    case.headers = {**(case.headers or {}), "Authorization": f"Bearer {fuzz_token}"}
    case.call_and_validate(checks=[not_a_server_error, status_code_conformance,
                                   content_type_conformance, response_schema_conformance])
