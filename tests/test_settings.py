import os
import subprocess
import sys

import pytest
from django.conf import settings
from django.db import connection

from config import settings as config_settings


@pytest.mark.django_db
def test_sqlite_is_tuned_on_a_live_connection():
    if connection.vendor != "sqlite":
        pytest.skip("SQLite settings apply only when DATABASE_URL is not set")
    connection.ensure_connection()
    with connection.cursor() as cursor:
        pragmas = {}
        for name in ["journal_mode", "synchronous", "foreign_keys", "busy_timeout"]:
            cursor.execute(f"PRAGMA {name}")
            pragmas[name] = cursor.fetchone()[0]
    # The in-memory test database cannot use WAL; the file database is checked below.
    assert pragmas["synchronous"] == 1  # NORMAL
    assert pragmas["foreign_keys"] == 1
    assert pragmas["busy_timeout"] >= 5000
    assert connection.transaction_mode == "IMMEDIATE"
    assert not settings.DATABASES["default"].get("ATOMIC_REQUESTS")


def test_a_file_database_uses_wal(tmp_path):
    """Read the pragmas back from a real file database opened with the project's settings."""
    code = (
        "import django; django.setup();"
        "from django.db import connection; c = connection.cursor();"
        "print([c.execute(f'PRAGMA {p}').fetchone()[0] for p in "
        "('journal_mode', 'synchronous', 'foreign_keys', 'busy_timeout')]);"
        "c.execute('BEGIN'); c.execute('ROLLBACK')"
    )
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    env |= {
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "SQLITE_PATH": str(tmp_path / "db.sqlite3"),
    }
    out = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True
    ).stdout
    journal, synchronous, foreign_keys, busy = eval(out)  # noqa: S307 - our own subprocess
    assert (journal, synchronous, foreign_keys) == ("wal", 1, 1)
    assert busy >= 5000


@pytest.mark.django_db
def test_postgres_when_database_url_points_there():
    if not os.environ.get("DATABASE_URL", "").startswith("postgres"):
        pytest.skip("DATABASE_URL does not point at PostgreSQL in this run")
    assert connection.vendor == "postgresql"


@pytest.mark.parametrize(
    ("helper", "value"),
    [
        (config_settings.envbool, "maybe"),
        (config_settings.envint, "ten"),
    ],
)
def test_env_helpers_refuse_bad_values(monkeypatch, helper, value):
    from django.core.exceptions import ImproperlyConfigured

    monkeypatch.setenv("SOME_SETTING", value)
    with pytest.raises(ImproperlyConfigured):
        helper("SOME_SETTING", 1)


def test_env_helpers_read_good_values(monkeypatch):
    monkeypatch.setenv("A_BOOL", "Yes")
    monkeypatch.setenv("AN_INT", "42")
    monkeypatch.setenv("A_LIST", "a.example, b.example,")
    assert config_settings.envbool("A_BOOL", False) is True
    assert config_settings.envint("AN_INT", 0) == 42
    assert config_settings.envlist("A_LIST", []) == ["a.example", "b.example"]
    assert config_settings.envbool("UNSET_BOOL", True) is True


def _check_settings(env_overrides: dict[str, str]) -> subprocess.CompletedProcess:
    skip = {"DEBUG", "SECRET_KEY", "DJANGO_ALLOW_ASYNC_UNSAFE"}
    env = {k: v for k, v in os.environ.items() if k not in skip}
    env |= {"DJANGO_SETTINGS_MODULE": "config.settings"} | env_overrides
    return subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        env=env,
        capture_output=True,
        text=True,
        cwd=settings.BASE_DIR,
    )


def test_production_refuses_to_start_without_a_secret_key():
    result = _check_settings({"DJANGO_ENV": "production"})
    assert result.returncode != 0
    assert "SECRET_KEY must be set" in result.stderr


def test_production_settings_pass_the_deploy_check():
    result = _check_settings(
        {
            "DJANGO_ENV": "production",
            "SECRET_KEY": "x7#" * 20 + "production-grade-random-secret",
            "ALLOWED_HOSTS": "diary.example.org",
        }
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_a_typo_in_an_environment_variable_stops_start_up():
    result = _check_settings({"DJANGO_ENV": "prod"})
    assert result.returncode != 0
    assert "DJANGO_ENV must be one of" in result.stderr
