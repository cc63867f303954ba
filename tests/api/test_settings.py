"""The settings: LOKET_* environment variables and a .env file, the paths derived from the data
directory, and the production rules (a real action token, secure cookies)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from pydantic import SecretStr, ValidationError

from api.settings import DEVELOPMENT_ACTION_TOKEN, PROJECT_ROOT, Settings, get_settings


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """No LOKET_* variable of the machine and no .env of the checkout takes part."""
    for name in list(os.environ):
        if name.startswith("LOKET_"):
            monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path)


def test_defaults_run_on_one_machine_without_configuration() -> None:
    settings = Settings()
    assert settings.environment == "development"
    assert settings.data_dir == PROJECT_ROOT / "var"
    assert settings.sqlalchemy_url == f"sqlite:///{PROJECT_ROOT / 'var' / 'loket.db'}"
    assert settings.policies_dirs == [PROJECT_ROOT / "data" / "policies"]
    assert settings.action_token.get_secret_value() == DEVELOPMENT_ACTION_TOKEN
    assert settings.secure_cookies is False
    assert "development-only" not in repr(settings)  # a secret is never printed


def test_paths_follow_the_data_dir_and_the_rasa_environment(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path / "var", rasa_venv=tmp_path / "rasa-env")
    assert settings.index_dir == tmp_path / "var" / "index"
    assert settings.statutes_index_dir == tmp_path / "var" / "index-statutes"
    assert settings.models_dir == tmp_path / "var" / "models"
    assert settings.sqlalchemy_url == f"sqlite:///{tmp_path / 'var' / 'loket.db'}"
    assert settings.rasa_executable == tmp_path / "rasa-env" / "bin" / "rasa"
    assert settings.rasa_python == tmp_path / "rasa-env" / "bin" / "python"


def test_a_database_url_replaces_the_sqlite_file() -> None:
    url = "postgresql+psycopg://loket:secret@db:5432/loket"
    assert Settings(database_url=url).sqlalchemy_url == url


def test_rasas_tracker_store_has_its_own_sqlite_file_or_shares_the_database(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path)
    assert settings.tracker_store_url == f"sqlite:///{tmp_path / 'rasa_tracker.db'}"
    assert settings.logs_dir == tmp_path / "logs"
    url = "postgresql+psycopg://loket:secret@db:5432/loket"
    assert Settings(database_url=url).tracker_store_url == url


def test_retention_periods_default_to_the_documented_ones(monkeypatch: pytest.MonkeyPatch) -> None:
    settings = Settings()
    assert (settings.chat_retention_days, settings.case_retention_days) == (30, 365)
    # VNG Selectielijst 2020, 19.1.24 "Login-gegevens": 6 months (docs/privacy.md).
    assert settings.audit_retention_days == 183
    assert (settings.audit_query_retention_days, settings.log_retention_days) == (30, 30)
    assert settings.retention_interval_hours == 24
    monkeypatch.setenv("LOKET_AUDIT_RETENTION_DAYS", "1826")
    monkeypatch.setenv("LOKET_RETENTION_INTERVAL_HOURS", "0")  # a scheduler runs `loket retention run`
    assert (Settings().audit_retention_days, Settings().retention_interval_hours) == (1826, 0)


def test_rasa_stays_on_loopback_whatever_host_the_api_listens_on() -> None:
    settings = Settings(api_host="0.0.0.0", api_port=8080, rasa_port=5099)
    assert settings.api_url == "http://0.0.0.0:8080"
    assert settings.rasa_url == "http://127.0.0.1:5099"


def test_environment_variables_with_the_loket_prefix(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("LOKET_DATA_DIR", str(tmp_path / "elsewhere"))
    monkeypatch.setenv("LOKET_API_PORT", "8123")
    monkeypatch.setenv("LOKET_ACTION_TOKEN", "from-the-environment")
    monkeypatch.setenv("LOKET_POLICIES_DIRS", f'["{tmp_path / "a"}", "{tmp_path / "b"}"]')
    monkeypatch.setenv("LOKET_NOT_A_SETTING", "ignored")
    monkeypatch.setenv("API_PORT", "9999")  # without the prefix: not ours
    settings = Settings()
    assert settings.data_dir == tmp_path / "elsewhere"
    assert settings.api_port == 8123
    assert settings.action_token.get_secret_value() == "from-the-environment"
    assert settings.policies_dirs == [tmp_path / "a", tmp_path / "b"]


def test_a_dotenv_file_is_read_and_the_environment_wins(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    (tmp_path / ".env").write_text("LOKET_RASA_PORT=6006\nLOKET_API_PORT=8001\n", encoding="utf-8")
    monkeypatch.setenv("LOKET_API_PORT", "8002")
    settings = Settings()
    assert (settings.rasa_port, settings.api_port) == (6006, 8002)


@pytest.mark.parametrize(
    "values",
    [
        {"environment": "staging"},
        {"vector_index": "annoy"},
        {"api_port": "not a port"},
        {"chat_retention_days": "0"},
        {"retention_interval_hours": "-1"},
        {"rate_limit_messages_per_client": "lots"},
        {"login_failures_per_username": "5 per fortnight"},
        {"trusted_proxies": ["haproxy.internal"]},
    ],
)
def test_invalid_values_are_refused_at_start(values: dict[str, str]) -> None:
    with pytest.raises(ValidationError):
        Settings(**values)  # type: ignore[arg-type]


def test_rate_limits_and_trusted_proxies_default_to_the_documented_ones(monkeypatch: pytest.MonkeyPatch) -> None:
    settings = Settings()
    assert settings.rate_limit_conversations_per_client == "10/minute"
    assert settings.rate_limit_messages_per_client == "30/minute"
    assert settings.rate_limit_messages_per_conversation == "12/minute"
    assert settings.login_failures_per_username_and_client == "5 per 15 minutes"
    assert settings.login_failures_per_username == "50 per 15 minutes"
    assert settings.login_attempts_per_client == "20/minute"
    assert settings.trusted_proxies == ["127.0.0.1/32", "::1/128"]
    monkeypatch.setenv("LOKET_TRUSTED_PROXIES", '["10.1.2.3/8", "192.0.2.7"]')
    assert Settings().trusted_proxies == ["10.0.0.0/8", "192.0.2.7/32"]


def test_production_refuses_the_placeholder_token() -> None:
    with pytest.raises(ValueError, match="LOKET_ACTION_TOKEN"):
        Settings(environment="production")
    Settings(environment="test")  # the placeholder is fine outside production


KEY = "Zm9yLXRlc3RzLW9ubHktMzItYnl0ZXMtbG9uZy1rZXk="  # any 32 bytes, URL-safe base64: a Fernet key


def test_production_refuses_to_start_without_contact_keys() -> None:
    with pytest.raises(ValueError, match="LOKET_CONTACT_KEYS"):
        Settings(environment="production", action_token=SecretStr("a-real-secret"))
    assert Settings(environment="test").contact_keys == []  # elsewhere a key is generated into data_dir


def test_contact_keys_come_comma_separated_or_as_a_json_list_newest_first(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("LOKET_CONTACT_KEYS", f" {KEY}, old-key ")
    assert [key.get_secret_value() for key in Settings().contact_keys] == [KEY, "old-key"]
    monkeypatch.setenv("LOKET_CONTACT_KEYS", f'["{KEY}"]')
    settings = Settings(data_dir=tmp_path)
    assert [key.get_secret_value() for key in settings.contact_keys] == [KEY]
    assert KEY not in repr(settings)  # secrets stay out of logs and tracebacks
    assert settings.contact_key_file == tmp_path / "contact.key" and settings.contact_pending_hours == 24


def test_production_with_a_real_token_has_secure_cookies() -> None:
    keys = [SecretStr(KEY)]
    settings = Settings(environment="production", action_token=SecretStr("a-real-secret"), contact_keys=keys)
    assert settings.secure_cookies is True
    production = Settings(environment="production", action_token=SecretStr("s"), contact_keys=keys, cookie_secure=False)
    assert production.secure_cookies is False
    assert Settings(cookie_secure=True).secure_cookies is True  # e.g. development behind HTTPS


def test_get_settings_reads_once(monkeypatch: pytest.MonkeyPatch) -> None:
    get_settings.cache_clear()
    try:
        monkeypatch.setenv("LOKET_API_PORT", "8124")
        first = get_settings()
        monkeypatch.setenv("LOKET_API_PORT", "8125")
        assert get_settings() is first and first.api_port == 8124
    finally:
        get_settings.cache_clear()
