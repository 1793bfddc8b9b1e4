"""Every environment variable the settings read is documented in .env.example and the README."""

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _variables_read_by_settings() -> set[str]:
    source = (ROOT / "cxdesk" / "settings.py").read_text()
    return set(re.findall(r'env(?:\.\w+)?\(\s*"([A-Z][A-Z0-9_]+)"', source)) | set(
        re.findall(r'Env\(\)\.\w+\(\s*"([A-Z][A-Z0-9_]+)"', source)
    )


def test_settings_read_the_variables_we_expect():
    names = _variables_read_by_settings()
    assert {
        "DATABASE_URL",
        "CELERY_BROKER_URL",
        "SECRET_KEY",
        "DEBUG",
        "ALLOWED_HOSTS",
        "EMAIL_URL",
        "TIME_ZONE",
    } <= names


def test_every_variable_is_in_env_example():
    text = (ROOT / ".env.example").read_text()
    documented = set(re.findall(r"^(?:# )?([A-Z][A-Z0-9_]+)=", text, re.MULTILINE))
    assert _variables_read_by_settings() - documented == set()


def test_every_variable_is_in_the_readme_table():
    documented = set(
        re.findall(r"^\| `([A-Z][A-Z0-9_]+)` \|", (ROOT / "README.md").read_text(), re.MULTILINE)
    )
    assert _variables_read_by_settings() - documented == set()


def test_a_copy_of_env_example_starts_the_project(tmp_path):
    """A newcomer copies .env.example to .env: Django must start with exactly those values."""
    import os
    import subprocess
    import sys

    code = (
        "import environ, sys; environ.Env.read_env(sys.argv[1]); "
        "import django; from django.core.management import call_command; django.setup(); "
        "from django.conf import settings as s; call_command('check'); "
        "print(s.DATABASES['default']['ENGINE'], s.CONN_MAX_AGE if hasattr(s, 'CONN_MAX_AGE') "
        "else s.DATABASES['default']['CONN_MAX_AGE'], s.DEBUG)"
    )
    clean = {
        k: v
        for k, v in os.environ.items()
        if not k.isupper() or k in ("PATH", "HOME", "LANG", "PYTHONPATH")
    }
    result = subprocess.run(
        [sys.executable, "-c", code, str(ROOT / ".env.example")],
        cwd=ROOT,
        timeout=120,
        env={**clean, "DJANGO_SETTINGS_MODULE": "cxdesk.settings", "CXDESK_VAR_DIR": str(tmp_path)},
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.split()[-3:] == ["django.db.backends.sqlite3", "0", "False"]
