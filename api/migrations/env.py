"""Alembic's environment for the api's tables.

The api and `loket db` run it on the connection they pass (api/services/schema_migrations.py);
the alembic command line (api/migrations/alembic.ini) on the api's configured database.
"""

from __future__ import annotations

from alembic import context
from sqlalchemy.engine import Connection

from api.services.database import Base, make_engine
from api.services.schema_migrations import api_tables_only
from api.settings import get_settings


def run_migrations(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=Base.metadata,
        include_name=api_tables_only,  # never Rasa's tables in the same database
        compare_type=True,
        render_as_batch=True,  # SQLite changes most columns by copying the table
    )
    with context.begin_transaction():
        context.run_migrations()


def main() -> None:
    if context.is_offline_mode():
        raise SystemExit("The revisions look at the database before they change it: no --sql mode.")
    connection = context.config.attributes.get("connection")
    if connection is not None:
        run_migrations(connection)
        return
    # The command line: the api's own database (LOKET_DATABASE_URL, or the default SQLite file).
    engine = make_engine(get_settings().sqlalchemy_url)
    try:
        with engine.connect() as own_connection:
            run_migrations(own_connection)
            own_connection.commit()
    finally:
        engine.dispose()


main()
