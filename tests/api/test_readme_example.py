"""The README's curl example works: its JSON bodies, sent to the paths it names, do what it says."""

import json
import re
from pathlib import Path

import pytest

from apps.cases.models import Case

pytestmark = pytest.mark.django_db
README = (Path(__file__).resolve().parents[2] / "README.md").read_text()


def _example():
    block = README.split("## The REST API in ten lines", 1)[1].split("```sh", 1)[1]
    block = block.split("```", 1)[0]
    lines = [line for line in block.strip().splitlines() if line.strip()]
    bodies = [json.loads(b) for b in re.findall(r"-d '(\{.*\})'", block)]
    paths = re.findall(r"POST \$API(/[\w$/]+)", block)
    return lines, bodies, paths


def test_the_example_is_ten_lines():
    lines, bodies, paths = _example()
    assert len(lines) == 10
    assert len(bodies) == 2
    assert paths == ["/cases/", "/cases/$CASE/interactions/"]


def test_the_example_opens_a_case_and_replies(admin_api):
    _, (create, reply), (create_path, reply_path) = _example()
    created = admin_api.post(
        f"/api/v1{create_path}", create, format="json", HTTP_IDEMPOTENCY_KEY="readme-1"
    )
    assert created.status_code == 201, created.content
    case_id = created.json()["id"]
    answered = admin_api.post(
        f"/api/v1{reply_path.replace('$CASE', str(case_id))}",
        reply,
        format="json",
        HTTP_IDEMPOTENCY_KEY="readme-2",
    )
    assert answered.status_code == 201, answered.content
    case = Case.objects.get(pk=case_id)
    assert case.status == "pending"
    assert case.first_response_at is not None
    assert case.interactions.count() == 2
