import importlib.util
import os
import subprocess
import sys
from pathlib import Path

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


def _load_settings(monkeypatch, **env: str):
    """Run config/settings.py afresh as a separate module under `env` (live settings untouched)."""
    for name in [
        *["DJANGO_ENV", "DEBUG", "CACHE_URL", "REDIS_URL"],
        *["SECURE_HSTS_SECONDS", "SECURE_HSTS_PRELOAD", "SECURE_HSTS_INCLUDE_SUBDOMAINS"],
    ]:
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    spec = importlib.util.spec_from_file_location(
        "settings_under_test", Path(config_settings.__file__)
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize(
    ("env", "servers"),
    [
        ({"REDIS_URL": "redis://127.0.0.1:6379/3"}, ["redis://127.0.0.1:6379/3"]),
        (
            {"CACHE_URL": "rediss://:pw@cache.example.org:6380/0"},
            ["rediss://:pw@cache.example.org:6380/0"],
        ),
        (
            {"CACHE_URL": "redis://a:6379/1", "REDIS_URL": "redis://b:6379/2"},
            ["redis://a:6379/1"],
        ),
        (
            {"REDIS_URL": "redis://primary:6379/0,redis://replica:6379/0"},
            ["redis://primary:6379/0", "redis://replica:6379/0"],
        ),
        # Spaces after the commas would reach redis-py and fail every read from a replica.
        (
            {"REDIS_URL": " redis://primary:6379/0, redis://replica:6379/0 ; "},
            ["redis://primary:6379/0", "redis://replica:6379/0"],
        ),
        ({"REDIS_URL": "unix:///run/redis/redis.sock?db=2"}, ["unix:///run/redis/redis.sock?db=2"]),
    ],
)
def test_a_redis_url_selects_djangos_redis_cache(monkeypatch, env, servers):
    cache = _load_settings(monkeypatch, **env).CACHES["default"]
    assert cache["BACKEND"] == "django.core.cache.backends.redis.RedisCache"
    assert cache["LOCATION"] == servers
    assert cache["OPTIONS"]["socket_timeout"] > 0  # a dead Redis cannot hang a worker


def test_without_a_cache_url_each_process_keeps_a_memory_cache(monkeypatch):
    cache = _load_settings(monkeypatch).CACHES["default"]
    assert cache["BACKEND"] == "django.core.cache.backends.locmem.LocMemCache"


@pytest.mark.parametrize(
    "url", ["memcached://127.0.0.1:11211", "127.0.0.1:6379", "redis://a:6379/0,http://b/"]
)
def test_a_cache_url_that_is_not_redis_stops_start_up(monkeypatch, url):
    from django.core.exceptions import ImproperlyConfigured

    with pytest.raises(ImproperlyConfigured, match="redis://, rediss:// or unix://"):
        _load_settings(monkeypatch, CACHE_URL=url)


def test_the_cache_round_trips_through_redis():
    """Run by CI's Redis pass (REDIS_URL set): what one process stores, another reads."""
    url = os.environ.get("REDIS_URL") or os.environ.get("CACHE_URL")
    if not url:
        pytest.skip("REDIS_URL is not set in this run (CI's Redis pass sets it)")
    import redis
    from django.core.cache import cache, caches
    from django.core.cache.backends.redis import RedisCache
    from django.utils.safestring import SafeString, mark_safe

    assert isinstance(caches["default"], RedisCache)
    html = mark_safe("<p>Sam (caregiver)</p>")
    cache.set("round-trip", {"html": html, "n": 3}, 30)
    # A second backend instance, as another gunicorn process would have, reads the same value.
    other = caches.create_connection("default")
    value = other.get("round-trip")
    assert value == {"html": html, "n": 3}
    assert isinstance(value["html"], SafeString)  # still marked safe after pickling
    # And the key is in Redis itself, under the configured prefix.
    client = redis.Redis.from_url(url.split(",")[0])
    assert client.exists(cache.make_key("round-trip")) == 1
    assert cache.make_key("round-trip").startswith(settings.CACHES["default"]["KEY_PREFIX"])
    # allauth's rate-limit counters use incr/add: they work across processes too.
    cache.add("counter", 0, 30)
    other.incr("counter")
    assert cache.get("counter") == 1
    cache.delete_many(["round-trip", "counter"])


def test_hsts_preload_is_off_unless_asked_for(monkeypatch):
    production = {"DJANGO_ENV": "production", "SECRET_KEY": "k" * 60}
    default = _load_settings(monkeypatch, **production)
    assert default.SECURE_HSTS_SECONDS >= 31536000
    assert default.SECURE_HSTS_INCLUDE_SUBDOMAINS is True
    assert default.SECURE_HSTS_PRELOAD is False
    # Exactly the "not on the preload list" warning is silenced, nothing else.
    assert default.SILENCED_SYSTEM_CHECKS == ["security.W021"]

    preload = _load_settings(monkeypatch, **production, SECURE_HSTS_PRELOAD="true")
    assert preload.SECURE_HSTS_PRELOAD is True
    assert preload.SILENCED_SYSTEM_CHECKS == []

    development = _load_settings(monkeypatch)
    assert development.SECURE_HSTS_SECONDS == 0
    assert not development.SECURE_HSTS_INCLUDE_SUBDOMAINS
    assert not development.SECURE_HSTS_PRELOAD
    assert development.SILENCED_SYSTEM_CHECKS == []


@pytest.mark.parametrize(
    "env",
    [
        {"SECURE_HSTS_PRELOAD": "true", "SECURE_HSTS_INCLUDE_SUBDOMAINS": "false"},
        {"SECURE_HSTS_PRELOAD": "true", "SECURE_HSTS_SECONDS": "86400"},
    ],
)
def test_hsts_preload_that_the_preload_list_would_refuse_stops_start_up(monkeypatch, env):
    from django.core.exceptions import ImproperlyConfigured

    with pytest.raises(ImproperlyConfigured, match="SECURE_HSTS_PRELOAD needs"):
        _load_settings(monkeypatch, DJANGO_ENV="production", SECRET_KEY="k" * 60, **env)


@pytest.mark.parametrize(
    "env",
    [
        {"SECURE_HSTS_PRELOAD": "true"},
        {"SECURE_HSTS_INCLUDE_SUBDOMAINS": "false"},
        {"REDIS_URL": "redis://127.0.0.1:6379/0"},  # only read, never connected to, by check
    ],
)
def test_the_deploy_check_stays_clean_with_each_production_choice(env):
    result = _check_settings(
        {
            "DJANGO_ENV": "production",
            "SECRET_KEY": "x7#" * 20 + "production-grade-random-secret",
            "ALLOWED_HOSTS": "diary.example.org",
        }
        | env
    )
    assert result.returncode == 0, result.stdout + result.stderr
