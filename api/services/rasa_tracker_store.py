"""Rasa's SQL tracker store, as the api reads and prunes it for export, erasure and retention.

Rasa writes one row per event to its `events` table (rasa.core.tracker_store.SQLTrackerStore),
keyed by `sender_id`, which is the api's conversation id. The table lives in its own SQLite file
by default and in the api's database on PostgreSQL (`Settings.tracker_store_url`). It exists only
once Rasa has started against that database: until then there is nothing to read or remove.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Column, Float, Integer, MetaData, String, Table, Text, delete, func, inspect, select
from sqlalchemy.engine import Engine, make_url

from api.services.database import make_engine, write_deletions_through

# Rasa 3.6's SQLTrackerStore.SQLEvent: only the columns read here, same names and types.
EVENTS = Table(
    "events",
    MetaData(),
    Column("id", Integer, primary_key=True),
    Column("sender_id", String(255), nullable=False, index=True),
    Column("type_name", String(255), nullable=False),
    Column("timestamp", Float),
    Column("data", Text),
)

# Ids per statement: keeps each IN (...) list well under SQLite's and PostgreSQL's limits.
BATCH = 500


def batches(items: Sequence[str], size: int = BATCH) -> Iterator[Sequence[str]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


class RasaTrackerStore:
    """The events of Rasa's tracker store, by conversation (sender) id."""

    def __init__(self, *, url: str, engine: Engine | None = None) -> None:
        self._url = url
        # The api's own engine when the tracker store shares its database (PostgreSQL).
        self._engine = engine
        self._owns_engine = engine is None

    @classmethod
    def open(cls, *, url: str, api_url: str, api_engine: Engine) -> RasaTrackerStore:
        """The store at `url`, through the api's engine when it is the api's database."""
        return cls(url=url, engine=api_engine if url == api_url else None)

    def _ready(self) -> Engine | None:
        """The engine, or None while Rasa has not created its table (a SQLite file that does not
        exist is not created here: a dry run must leave no trace)."""
        if self._engine is None:
            url = make_url(self._url)
            if url.get_backend_name() == "sqlite" and not Path(url.database or "").is_file():
                return None
            self._engine = make_engine(self._url)
        if not inspect(self._engine).has_table(EVENTS.name):
            return None
        return self._engine

    def events(self, sender_id: str) -> list[dict[str, Any]]:
        """Every event of the conversation, all sessions, in Rasa's order (its row id), decoded."""
        engine = self._ready()
        if engine is None:
            return []
        with engine.connect() as connection:
            rows = connection.execute(
                select(EVENTS.c.data).where(EVENTS.c.sender_id == sender_id).order_by(EVENTS.c.id)
            ).scalars()
            return [json.loads(data) for data in rows if data]

    def count(self, sender_ids: Iterable[str]) -> int:
        engine = self._ready()
        ids = list(sender_ids)
        if engine is None or not ids:
            return 0
        total = 0
        with engine.connect() as connection:
            for batch in batches(ids):
                query = select(func.count()).select_from(EVENTS).where(EVENTS.c.sender_id.in_(batch))
                total += int(connection.execute(query).scalar_one())
        return total

    def remove(self, sender_ids: Iterable[str], *, dry_run: bool = False) -> int:
        """Delete every event of these conversations; the number of events (that would be) removed."""
        if dry_run:
            return self.count(sender_ids)
        engine = self._ready()
        ids = list(sender_ids)
        if engine is None or not ids:
            return 0
        removed = 0
        with engine.begin() as connection:
            for batch in batches(ids):
                result = connection.execute(delete(EVENTS).where(EVENTS.c.sender_id.in_(batch)))
                removed += int(result.rowcount)  # type: ignore[attr-defined]
        return removed

    def senders_idle_since(self, moment: datetime) -> list[str]:
        """Conversations whose newest event is older than `moment`."""
        engine = self._ready()
        if engine is None:
            return []
        with engine.connect() as connection:
            query = (
                select(EVENTS.c.sender_id)
                .group_by(EVENTS.c.sender_id)
                .having(func.max(EVENTS.c.timestamp) < moment.timestamp())
            )
            return list(connection.execute(query).scalars())

    def write_deletions_through(self) -> None:
        """SQLite: leave no deleted event in the file or its write-ahead log (database.write_deletions_through)."""
        engine = self._ready()
        if engine is not None:
            write_deletions_through(engine)

    def close(self) -> None:
        if self._owns_engine and self._engine is not None:
            self._engine.dispose()
            self._engine = None
