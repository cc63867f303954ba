"""The api runs the retention itself, every LOKET_RETENTION_INTERVAL_HOURS, one process at a time.

Every api replica schedules a run; a lock lets one of them through and the others skip that
round. Runs are idempotent, so several in a day (one per replica, or `loket retention run` by
hand) find nothing left to do. The lock is a PostgreSQL advisory lock when the database is
PostgreSQL (replicas always share one), else a Redis lock when LOKET_REDIS_URL is set; on one
machine with SQLite there is one api process and SQLite serialises the writes anyway.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from datetime import timedelta

from anyio import to_thread
from sqlalchemy import text
from sqlalchemy.engine import Engine

from api.services.retention import DataRetention, RetentionReport

log = logging.getLogger("loket.api")

# PostgreSQL advisory lock of the retention run (the schema's is database.SCHEMA_LOCK_KEY).
RETENTION_LOCK_KEY = 7_302_211_908
REDIS_LOCK_NAME = "loket:retention"
# A replica that dies holding the Redis lock blocks runs for at most this; a run takes seconds.
REDIS_LOCK_TTL_S = 3600
# The first run waits until start-up is done.
FIRST_RUN_AFTER_S = 60.0


@contextmanager
def exclusive_run(engine: Engine, *, redis_url: str | None = None) -> Iterator[bool]:
    """True while this process holds the retention lock; False when another process holds it."""
    if engine.dialect.name == "postgresql":
        # A session lock on a connection of its own: released when the run ends or the process dies.
        with engine.connect() as connection:
            acquired = bool(
                connection.execute(text("SELECT pg_try_advisory_lock(:key)"), {"key": RETENTION_LOCK_KEY}).scalar()
            )
            connection.commit()
            try:
                yield acquired
            finally:
                if acquired:
                    connection.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": RETENTION_LOCK_KEY})
                    connection.commit()
        return
    if redis_url:
        from redis import Redis
        from redis.exceptions import LockError

        client = Redis.from_url(redis_url, socket_connect_timeout=2)
        lock = client.lock(REDIS_LOCK_NAME, timeout=REDIS_LOCK_TTL_S)
        acquired = bool(lock.acquire(blocking=False))
        try:
            yield acquired
        finally:
            if acquired:
                with suppress(LockError):  # expired meanwhile: nothing to release
                    lock.release()
            client.close()
        return
    yield True


def run_exclusively(
    retention: DataRetention, engine: Engine, *, redis_url: str | None = None, dry_run: bool = False
) -> RetentionReport | None:
    """One retention run, or None when another process is running one."""
    with exclusive_run(engine, redis_url=redis_url) as acquired:
        return retention.run(dry_run=dry_run) if acquired else None


async def run_periodically(
    run: Callable[[], RetentionReport | None], *, every: timedelta, first_after_s: float | None = None
) -> None:
    """`run` in a worker thread after `first_after_s` (default FIRST_RUN_AFTER_S), then every `every`,
    until cancelled. A failed run is logged and tried again at the next round."""
    delay = FIRST_RUN_AFTER_S if first_after_s is None else first_after_s
    while True:
        await asyncio.sleep(delay)
        delay = every.total_seconds()
        try:
            report = await to_thread.run_sync(run)
        except Exception:
            log.exception("Retention run failed; the next is in %s", every)
            continue
        if report is None:
            log.info("Retention run skipped: another process is running it")
        else:
            log.info("Retention run: %s", report.summary())
