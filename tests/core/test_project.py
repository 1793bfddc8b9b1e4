"""Project-level guarantees: migrations match the models, deploy settings pass, health check."""

import os
import subprocess
import sys
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command

ROOT = Path(__file__).resolve().parents[2]
PRODUCTION_ENV = {
    "DEBUG": "false",
    "SECRET_KEY": "x7Q!cxdesk-test-production-key-0123456789-abcdefghijklmnopqrstuvwxyz",
    "ALLOWED_HOSTS": "support.example.com",
    "HTTPS": "true",
    "SECURE_HSTS_PRELOAD": "true",
    "DATABASE_URL": "postgres://cxdesk:secret@db.example.com:5432/cxdesk",
    "CELERY_BROKER_URL": "redis://cache.example.com:6379/0",
}


def _manage(*args, env):
    clean = {k: v for k, v in os.environ.items() if k not in PRODUCTION_ENV}
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env={**clean, **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.mark.django_db
def test_no_model_change_is_missing_a_migration():
    out = StringIO()
    try:
        call_command("makemigrations", "--check", "--dry-run", stdout=out)
        missing = ""
    except SystemExit:  # --check exits 1 when a migration is missing
        missing = out.getvalue()
    assert not missing, f"A model change has no migration; makemigrations would write:\n{missing}"


def test_production_settings_pass_the_deploy_check():
    result = _manage("check", "--deploy", "--fail-level", "WARNING", env=PRODUCTION_ENV)
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_deploy_check_refuses_the_development_key():
    env = {k: v for k, v in PRODUCTION_ENV.items() if k != "SECRET_KEY"}
    result = _manage("check", "--deploy", env=env)
    assert result.returncode != 0
    assert "cxdesk.E001" in result.stderr


def test_the_wsgi_app_refuses_to_serve_without_a_secret_key():
    env = {k: v for k, v in PRODUCTION_ENV.items() if k != "SECRET_KEY"}
    code = "import cxdesk.wsgi"
    clean = {k: v for k, v in os.environ.items() if k not in PRODUCTION_ENV}
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env={**clean, **env},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode != 0
    assert "SECRET_KEY is not set" in result.stderr


def test_settings_read_the_database_and_broker_from_the_environment():
    code = (
        "from django.conf import settings as s; import django; django.setup(); "
        "print(s.DATABASES['default']['ENGINE'], s.DATABASES['default']['NAME'], "
        "s.CELERY_TASK_ALWAYS_EAGER)"
    )
    clean = {k: v for k, v in os.environ.items() if k not in PRODUCTION_ENV}
    env = {**clean, "DJANGO_SETTINGS_MODULE": "cxdesk.settings", **PRODUCTION_ENV}
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60
    )
    assert result.stdout.split() == ["django.db.backends.postgresql", "cxdesk", "False"]
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env={**clean, "DJANGO_SETTINGS_MODULE": "cxdesk.settings"},
        capture_output=True,
        text=True,
        timeout=60,
    )
    engine, name, eager = result.stdout.split()
    assert engine == "django.db.backends.sqlite3"
    assert name.endswith("cxdesk.sqlite3")
    assert eager == "True"


@pytest.mark.django_db
def test_the_health_check_answers(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}
