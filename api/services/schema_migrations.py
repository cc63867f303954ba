"""Alembic migrations of the api's tables (api/migrations/): the api and the CLI bring the database
to the newest revision when they start (database.create_schema, under its lock).

A database made before migrations existed (by create_all: release 427aa63 and the working states
after it) has the api's tables but no `alembic_version`: it is marked as at the baseline, release
427aa63's schema, and upgraded from there; the revision after the baseline adds only what is not
there yet, so tables and columns that the older start-up code already added are kept.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import MetaData, inspect
from sqlalchemy.engine import Connection

from api.services.database import Base

log = logging.getLogger("loket.api")

MIGRATIONS_DIR = Path(__file__).resolve().parent.parent / "migrations"
# Release 427aa63's schema, the last one made by create_all.
BASELINE_REVISION = "0001"
# A table of the api since its first release: there without `alembic_version`, the database was
# made by create_all; not there, the database is new (or holds only Rasa's tracker store).
FIRST_TABLE = "conversations"


def alembic_config(connection: Connection | None = None) -> Config:
    """Alembic's configuration without an ini file; env.py migrates on `connection` when given."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.attributes["connection"] = connection
    return config


def head_revision() -> str:
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    if head is None:
        raise RuntimeError(f"no revisions in {MIGRATIONS_DIR / 'versions'}")
    return head


def current_revision(connection: Connection) -> str | None:
    """The database's revision; None for a new database or one made before migrations existed."""
    return MigrationContext.configure(connection).get_current_revision()


def upgrade_to_head(connection: Connection) -> None:
    """Brings the database to the newest revision and commits; a database at head is left alone."""
    inspector = inspect(connection)
    made_by_create_all = not inspector.has_table("alembic_version") and inspector.has_table(FIRST_TABLE)
    connection.rollback()  # ends the inspection's read transaction
    config = alembic_config(connection)
    with connection.begin():  # one transaction: on PostgreSQL all of the upgrade or none of it
        if made_by_create_all:
            log.info("Database made before migrations: taken as revision %s, release 427aa63", BASELINE_REVISION)
            command.stamp(config, BASELINE_REVISION)
        command.upgrade(config, "head")
    if made_by_create_all:
        # Older than the baseline, or an index its data broke: the api starts, the operator is told.
        differences = schema_differences(connection)
        if differences:
            log.warning("After the upgrade the database still differs from the models: %s", differences)
        connection.rollback()


def api_tables_only(name: str | None, type_: str, _parent_names: Any) -> bool:
    """Alembic's view of the database: the api's own tables. Rasa's tracker store (its `events`
    table) may share the database and is never compared, changed or dropped."""
    return type_ != "table" or name in Base.metadata.tables


def schema_differences(connection: Connection, metadata: MetaData | None = None) -> list[Any]:
    """What autogenerate would change to make the database match the models (or `metadata`)."""
    context = MigrationContext.configure(
        connection, opts={"include_name": api_tables_only, "compare_type": True, "render_as_batch": True}
    )
    return list(compare_metadata(context, metadata if metadata is not None else Base.metadata))
