"""CXDESK_SLA_ENABLED=false: the engine neither listens to case writes nor sweeps."""

import os
import subprocess
import sys

from django.conf import settings

from apps.sla import tasks

PROBE = (
    "import django; django.setup(); "
    "from apps.cases import events; from apps.sla.case_events import cases_changed; "
    "print(cases_changed in events._in_transaction)"
)


def _subscribed(enabled: str) -> str:
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "cxdesk.settings", "CXDESK_SLA_ENABLED": enabled}
    result = subprocess.run(
        [sys.executable, "-c", PROBE],
        cwd=settings.BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    return result.stdout.strip().splitlines()[-1]


def test_the_engine_subscribes_to_the_seam_only_when_enabled():
    assert _subscribed("true") == "True"
    assert _subscribed("false") == "False"


def test_the_sweep_does_nothing_when_disabled(settings, monkeypatch):
    settings.CXDESK_SLA_ENABLED = False
    monkeypatch.setattr(tasks.services, "sla_sweep", lambda: pytest_fail())
    assert tasks.sweep() == {}


def pytest_fail():
    raise AssertionError("the sweep ran although the engine is off")
