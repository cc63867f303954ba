"""Revision 0001 makes release 427aa63's schema, the one that release made with create_all."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from sqlalchemy import inspect

from api.services.database import make_engine
from api.services.schema_migrations import alembic_config, current_revision, schema_differences
from tests.api.migrations.schema_427aa63 import METADATA as RELEASE_427AA63


def test_the_baseline_is_release_427aa63s_schema(own_database_url: str) -> None:
    engine = make_engine(own_database_url)
    with engine.connect() as connection, connection.begin():
        command.upgrade(alembic_config(connection), "0001")
    with engine.connect() as connection:
        assert current_revision(connection) == "0001"
        assert schema_differences(connection, RELEASE_427AA63) == []
    engine.dispose()


def test_its_downgrade_removes_the_tables(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'loket.db'}")
    with engine.connect() as connection, connection.begin():
        command.upgrade(alembic_config(connection), "0001")
        command.downgrade(alembic_config(connection), "base")
    assert inspect(engine).get_table_names() == ["alembic_version"]
    engine.dispose()
