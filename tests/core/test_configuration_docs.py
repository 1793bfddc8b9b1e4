"""Every environment variable the settings read is documented in .env.example and the README."""

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _variables_read_by_settings() -> set[str]:
    source = (ROOT / "cxdesk" / "settings.py").read_text()
    return set(re.findall(r'env(?:\.\w+)?\(\s*"([A-Z][A-Z0-9_]+)"', source)) | set(
        re.findall(r'Env\(\)\.\w+\(\s*"([A-Z][A-Z0-9_]+)"', source))


def test_settings_read_the_variables_we_expect():
    names = _variables_read_by_settings()
    assert {"DATABASE_URL", "CELERY_BROKER_URL", "SECRET_KEY", "DEBUG", "ALLOWED_HOSTS",
            "EMAIL_URL", "TIME_ZONE"} <= names


def test_every_variable_is_in_env_example():
    documented = set(re.findall(r"^([A-Z][A-Z0-9_]+)=", (ROOT / ".env.example").read_text(),
                                re.MULTILINE))
    assert _variables_read_by_settings() - documented == set()


def test_every_variable_is_in_the_readme_table():
    documented = set(re.findall(r"^\| `([A-Z][A-Z0-9_]+)` \|", (ROOT / "README.md").read_text(),
                                re.MULTILINE))
    assert _variables_read_by_settings() - documented == set()
