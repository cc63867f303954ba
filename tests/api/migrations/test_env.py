"""Alembic's environment through the command line developers use (api/migrations/alembic.ini): it
works on the api's configured database, and autogenerate sees the api's tables only."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from alembic.config import main as alembic
from sqlalchemy import Column, Integer, MetaData, Table, inspect, text

from api.services.database import make_engine
from api.services.schema_migrations import MIGRATIONS_DIR, head_revision
from api.settings import get_settings


@pytest.fixture
def database(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """The api's database as the command line finds it: LOKET_DATABASE_URL."""
    url = f"sqlite:///{tmp_path / 'loket.db'}"
    monkeypatch.setenv("LOKET_DATABASE_URL", url)
    get_settings.cache_clear()
    yield url
    get_settings.cache_clear()


def test_the_command_line_upgrades_the_configured_database(database: str) -> None:
    alembic(["-c", str(MIGRATIONS_DIR / "alembic.ini"), "upgrade", "head"])
    engine = make_engine(database)
    assert {"conversations", "contact_details", "alembic_version"} <= set(inspect(engine).get_table_names())
    engine.dispose()


def test_autogenerate_writes_what_the_models_changed_and_never_drops_rasas_tables(
    database: str, tmp_path: Path
) -> None:
    """The database lacks a column the models have, and holds Rasa's `events`: the new revision
    adds the column and leaves `events` alone."""
    scripts = shutil.copytree(MIGRATIONS_DIR, tmp_path / "migrations", ignore=shutil.ignore_patterns("__pycache__"))
    config = str(scripts / "alembic.ini")
    alembic(["-c", config, "upgrade", "head"])
    engine = make_engine(database)
    Table("events", MetaData(), Column("id", Integer, primary_key=True)).create(engine)
    with engine.begin() as connection:
        connection.execute(text("ALTER TABLE messages DROP COLUMN language"))
    engine.dispose()

    alembic(["-c", config, "revision", "--autogenerate", "--rev-id", "0099", "-m", "messages language"])

    written = (scripts / "versions" / "0099_messages_language.py").read_text()
    assert f'down_revision = "{head_revision()}"' in written  # formatted by the hook: double quotes
    upgrade = written.split("def upgrade() -> None:")[1].split("def downgrade")[0]
    commands = [line.strip() for line in upgrade.splitlines() if line.strip() and not line.strip().startswith("#")]
    assert commands == [
        'with op.batch_alter_table("messages", schema=None) as batch_op:',
        'batch_op.add_column(sa.Column("language", sa.String(length=8), nullable=True))',
    ]
    assert "events" not in written


def test_no_offline_sql_mode(database: str) -> None:
    """The revisions look at the database before they change it."""
    with pytest.raises(SystemExit, match="no --sql mode"):
        alembic(["-c", str(MIGRATIONS_DIR / "alembic.ini"), "upgrade", "head", "--sql"])
