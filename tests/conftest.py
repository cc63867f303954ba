"""Shared fixtures: databases (SQLite and the machine's PostgreSQL)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path

import pytest

from api.settings import Settings
from tests.postgres import temporary_database

# PostgreSQL server the persistence tests run against as well as SQLite.
# LOKET_TEST_POSTGRES_URL overrides it; each test session gets its own database.
POSTGRES_ADMIN_URL = os.environ.get("LOKET_TEST_POSTGRES_URL", "postgresql+psycopg://root@127.0.0.1:5432/postgres")


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """A fresh PostgreSQL database for this test session, dropped afterwards."""
    with ExitStack() as stack:
        try:
            url = stack.enter_context(temporary_database(POSTGRES_ADMIN_URL))
        except Exception as error:  # noqa: BLE001 - reported as a failure with the cause
            pytest.fail(f"PostgreSQL at {POSTGRES_ADMIN_URL} is required for the persistence tests: {error}")
        yield url


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'loket.db'}"
    return str(request.getfixturevalue("postgres_url"))


@pytest.fixture(params=["sqlite", "postgresql"])
def own_database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A database of this test's own, also on PostgreSQL: for tests that remove rows by age, hold
    database-wide locks or create Rasa's `events` table, which must not touch the session's shared one."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'loket.db'}"
        return
    with ExitStack() as stack:
        try:
            url = stack.enter_context(temporary_database(POSTGRES_ADMIN_URL))
        except Exception as error:  # noqa: BLE001 - reported as a failure with the cause
            pytest.fail(f"PostgreSQL at {POSTGRES_ADMIN_URL} is required for the persistence tests: {error}")
        yield url


@pytest.fixture(scope="session")
def project_settings() -> Settings:
    """The project's own settings: its var/ caches (models, index) are shared with `make run`."""
    return Settings()


@pytest.fixture(scope="session")
def trained_model(project_settings: Settings) -> Path:
    from api.operations.rasa_model import ensure_model

    return ensure_model(project_settings)


@pytest.fixture(scope="session")
def built_index(project_settings: Settings) -> Path:
    from api.services.knowledge_service import ensure_index

    ensure_index(project_settings, paths=project_settings.policies_dirs)
    return project_settings.index_dir


# Redis server for the tests of state the replicas share; LOKET_TEST_REDIS_URL overrides it.
REDIS_URL = os.environ.get("LOKET_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")


@pytest.fixture
def redis_url() -> str:
    import redis

    try:
        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2).ping()
    except redis.RedisError as error:
        pytest.fail(f"Redis at {REDIS_URL} is required for the shared-state tests: {error}")
    return REDIS_URL
