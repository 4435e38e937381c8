"""The one env-driven settings file: defaults that work, and bad values refused at start-up with a clear message."""

import json
import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings
from django.utils import timezone

BASE_DIR = Path(__file__).resolve().parents[2]
REPORT = """
import json
from django.conf import settings
from django.db import connection
out = {
    "env": settings.SIBAO_ENV, "debug": settings.DEBUG, "two_factor": settings.SIBAO_REQUIRE_2FA,
    "secret_key": settings.SECRET_KEY, "engine": settings.DATABASES["default"]["ENGINE"],
    "name": str(settings.DATABASES["default"]["NAME"]), "import_max": settings.SIBAO_IMPORT_MAX_BYTES,
    "secure_cookies": settings.SESSION_COOKIE_SECURE, "language": settings.LANGUAGE_CODE,
    "time_zone": settings.TIME_ZONE,
}
if out["engine"].endswith("sqlite3"):
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA journal_mode")
        out["journal_mode"] = cursor.fetchone()[0]
print(json.dumps(out))
"""


def start(tmp_path, code: str = "", **env) -> subprocess.CompletedProcess:
    """Start Django in a fresh interpreter with only these settings variables set."""
    environ = {
        k: v for k, v in os.environ.items() if not k.startswith(("SIBAO_", "DJANGO_")) and k not in _SETTINGS_VARS
    }
    environ.update({"DJANGO_SETTINGS_MODULE": "sibao.settings", "SIBAO_VAR_DIR": str(tmp_path), **env})
    return subprocess.run(
        [sys.executable, "-c", "import django\ndjango.setup()\n" + code],
        env=environ,
        cwd=BASE_DIR,
        capture_output=True,
        text=True,
        timeout=120,
    )


_SETTINGS_VARS = {"DATABASE_URL", "SECRET_KEY", "ALLOWED_HOSTS", "CSRF_TRUSTED_ORIGINS", "DB_CONN_MAX_AGE"}


def report(tmp_path, **env) -> dict:
    result = start(tmp_path, REPORT, **env)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


PRODUCTION_KEY = "k" * 50


@pytest.mark.parametrize(
    ("env", "variable"),
    [
        ({"SIBAO_ENV": "staging"}, "SIBAO_ENV"),
        ({"SIBAO_DEBUG": "maybe"}, "SIBAO_DEBUG"),
        ({"DATABASE_URL": "mysql://sibao:s3cret-pw@db.example/sibao"}, "DATABASE_URL"),
        ({"DATABASE_URL": "no scheme at all"}, "DATABASE_URL"),
        ({"SIBAO_IMPORT_MAX_MB": "abc"}, "SIBAO_IMPORT_MAX_MB"),
        ({"SIBAO_IMPORT_MAX_MB": "0"}, "SIBAO_IMPORT_MAX_MB"),
        ({"SIBAO_LOGIN_FAILURE_LIMIT": "-1"}, "SIBAO_LOGIN_FAILURE_LIMIT"),
        ({"SIBAO_REQUIRE_2FA": "sometimes"}, "SIBAO_REQUIRE_2FA"),
        ({"SIBAO_LOG_LEVEL": "LOUD"}, "SIBAO_LOG_LEVEL"),
        ({"SIBAO_ENV": "production", "ALLOWED_HOSTS": "sibao.example"}, "SECRET_KEY"),
        ({"SIBAO_ENV": "production", "ALLOWED_HOSTS": "sibao.example", "SECRET_KEY": "short"}, "SECRET_KEY"),
        ({"SIBAO_ENV": "production", "SECRET_KEY": "k" * 50}, "ALLOWED_HOSTS"),
    ],
    ids=lambda value: "-".join(f"{k}={v}" for k, v in value.items()) if isinstance(value, dict) else value,
)
def test_a_bad_value_stops_the_start_with_a_message_naming_it(tmp_path, env, variable):
    result = start(tmp_path, **env)
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    message = result.stderr.strip().splitlines()[-1]
    assert variable in message
    assert "s3cret-pw" not in result.stderr  # a database password never ends up in a log


def test_the_development_defaults(tmp_path):
    values = report(tmp_path)
    assert values["env"] == "development"
    assert values["debug"] is True
    assert values["two_factor"] is False
    assert values["language"] == "zh-hans"
    assert values["time_zone"] == "Asia/Shanghai"
    assert values["import_max"] == 25 * 1024 * 1024


def test_the_default_database_is_a_sqlite_file_under_var_in_wal_mode(tmp_path):
    values = report(tmp_path)
    assert values["engine"] == "django.db.backends.sqlite3"
    assert Path(values["name"]) == tmp_path / "sibao.sqlite3"
    assert values["journal_mode"] == "wal"
    assert (tmp_path / "sibao.sqlite3").exists()


def test_a_sqlite_url_elsewhere_is_in_wal_mode_too(tmp_path):
    target = tmp_path / "elsewhere" / "db.sqlite3"
    values = report(tmp_path, DATABASE_URL=f"sqlite:///{target}")
    assert Path(values["name"]) == target
    assert values["journal_mode"] == "wal"


def test_a_postgres_url_is_accepted(tmp_path):
    code = (
        "from django.conf import settings; d = settings.DATABASES['default']; print(d['ENGINE'], d['NAME'], d['HOST'])"
    )
    result = start(tmp_path, code, DATABASE_URL="postgres://sibao:pw@db.example:5432/sibao")
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["django.db.backends.postgresql", "sibao", "db.example"]


def test_a_development_secret_key_is_generated_once_and_kept(tmp_path):
    first = report(tmp_path)["secret_key"]
    key_file = tmp_path / "secret_key"
    assert key_file.read_text().strip() == first
    assert len(first) >= 50
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert report(tmp_path)["secret_key"] == first
    assert report(tmp_path / "other")["secret_key"] != first
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".secret_key")]


def test_a_secret_key_from_the_environment_wins(tmp_path):
    assert report(tmp_path, SECRET_KEY="from-the-environment")["secret_key"] == "from-the-environment"
    assert not (tmp_path / "secret_key").exists()


def test_production_requires_its_own_settings_and_turns_two_factor_on(tmp_path):
    production = {"SIBAO_ENV": "production", "SECRET_KEY": PRODUCTION_KEY, "ALLOWED_HOSTS": "sibao.example"}
    values = report(tmp_path, **production)
    assert values["debug"] is False
    assert values["two_factor"] is True
    assert values["secure_cookies"] is True
    assert not (tmp_path / "secret_key").exists()
    values = report(tmp_path, **production, SIBAO_REQUIRE_2FA="off")
    assert values["two_factor"] is False
    assert report(tmp_path, SIBAO_REQUIRE_2FA="yes")["two_factor"] is True


def test_typed_values_are_read(tmp_path):
    values = report(tmp_path, SIBAO_IMPORT_MAX_MB=" 7 ", SIBAO_DEBUG="0")
    assert values["import_max"] == 7 * 1024 * 1024
    assert values["debug"] is False


# --- language and time ------------------------------------------------------------------------------


def test_language_and_time_zone():
    assert settings.LANGUAGE_CODE == "zh-hans"
    assert [code for code, _name in settings.LANGUAGES] == ["zh-hans", "en"]
    assert settings.TIME_ZONE == "Asia/Shanghai"
    assert settings.USE_TZ
    assert timezone.localtime().utcoffset().total_seconds() == 8 * 3600


def test_pages_are_chinese_by_default_and_switch_to_english(client, db):
    page = client.get("/accounts/login/")
    assert page["Content-Language"] == "zh-hans"
    assert '<html lang="zh-hans">' in page.content.decode()
    refused = client.post("/accounts/login/", {"username": "nobody", "password": "wrong-password"})
    assert "Please enter a correct" not in refused.content.decode()

    response = client.post("/i18n/setlang/", {"language": "en", "next": "/accounts/login/"})
    assert response.status_code == 302
    assert response["Location"] == "/accounts/login/"
    assert response.cookies[settings.LANGUAGE_COOKIE_NAME].value == "en"

    page = client.get("/accounts/login/")
    assert page["Content-Language"] == "en"
    assert '<html lang="en">' in page.content.decode()
    refused = client.post("/accounts/login/", {"username": "nobody", "password": "wrong-password"})
    assert "Please enter a correct" in refused.content.decode()

    client.post("/i18n/setlang/", {"language": "zh-hans", "next": "/accounts/login/"})
    assert client.get("/accounts/login/")["Content-Language"] == "zh-hans"


def test_an_unknown_language_is_ignored(client, db):
    client.post("/i18n/setlang/", {"language": "fr", "next": "/accounts/login/"})
    assert client.get("/accounts/login/")["Content-Language"] == "zh-hans"


def test_set_language_never_redirects_to_another_site(client, db):
    response = client.post("/i18n/setlang/", {"language": "en", "next": "https://evil.example/"})
    assert response["Location"] == "/"
