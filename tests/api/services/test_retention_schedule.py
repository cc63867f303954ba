"""The api's own retention runs: one process at a time (PostgreSQL advisory lock, else Redis, else
nothing to share), in a loop that survives a failed run and stops when cancelled."""

from __future__ import annotations

import asyncio
import time
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine

from api.services import retention_schedule
from api.services.database import make_engine
from api.services.retention import DataRetention, RetentionPeriods, RetentionReport
from api.services.retention_schedule import exclusive_run, run_exclusively, run_periodically
from tests.api.services.conftest import Stores

PERIODS = RetentionPeriods(*(timedelta(days=30),) * 5)


@pytest.mark.parametrize("own_database_url", ["postgresql"], indirect=True)
def test_on_postgresql_one_process_at_a_time(own_database_url: str) -> None:
    first, second = make_engine(own_database_url), make_engine(own_database_url)  # two replicas
    try:
        with exclusive_run(first) as mine:
            assert mine
            with exclusive_run(second) as theirs:
                assert not theirs
        with exclusive_run(second) as theirs_now:
            assert theirs_now
    finally:
        first.dispose()
        second.dispose()


def test_with_redis_and_sqlite_one_process_at_a_time(tmp_path: Path, redis_url: str) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'loket.db'}")
    with exclusive_run(engine, redis_url=redis_url) as mine:
        assert mine
        with exclusive_run(engine, redis_url=redis_url) as theirs:
            assert not theirs
    with exclusive_run(engine, redis_url=redis_url) as again:
        assert again
    engine.dispose()


def test_on_one_machine_with_sqlite_there_is_nobody_to_wait_for(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'loket.db'}")
    with exclusive_run(engine) as mine, exclusive_run(engine) as also:
        assert mine and also
    engine.dispose()


def test_a_run_while_another_holds_the_lock_is_skipped(stores: Stores, monkeypatch: pytest.MonkeyPatch) -> None:
    retention = DataRetention(sessions=stores.sessions, tracker=stores.tracker, periods=PERIODS)
    assert isinstance(run_exclusively(retention, stores.engine), RetentionReport)

    class Held:
        def __init__(self, _engine: Engine, *, redis_url: str | None = None) -> None: ...
        def __enter__(self) -> bool:
            return False

        def __exit__(self, *_: object) -> None: ...

    monkeypatch.setattr(retention_schedule, "exclusive_run", Held)
    assert run_exclusively(retention, stores.engine) is None


def test_the_loop_runs_again_after_a_failure_and_stops_when_cancelled() -> None:
    calls: list[str] = []

    def run() -> RetentionReport | None:
        calls.append("run")
        if len(calls) == 1:
            raise RuntimeError("database down")
        return RetentionReport(dry_run=False) if len(calls) == 2 else None

    async def scenario() -> None:
        task = asyncio.create_task(run_periodically(run, every=timedelta(milliseconds=10), first_after_s=0))
        while len(calls) < 4:
            await asyncio.sleep(0.01)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task

    asyncio.run(asyncio.wait_for(scenario(), timeout=10))
    assert len(calls) >= 4


def test_the_api_runs_the_retention_by_itself(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """create_app's lifespan starts the periodic run (here at once) and stops it on shutdown."""
    from fastapi.testclient import TestClient
    from pydantic import SecretStr
    from sqlalchemy import update

    from api.main import create_app
    from api.services.conversations import ConversationStore
    from api.services.database import ConversationRow, create_schema, make_sessionmaker
    from api.settings import Settings
    from knowledge.embedding import make_embedder
    from knowledge.index import build_index
    from knowledge.ingest import load_documents
    from tests.api.conftest import PUBLIC, free_port

    monkeypatch.setattr(retention_schedule, "FIRST_RUN_AFTER_S", 0.0)
    corpus = tmp_path / "policies"
    corpus.mkdir()
    (corpus / "paspoort-aanvragen.md").write_text(PUBLIC, encoding="utf-8")
    settings = Settings(data_dir=tmp_path / "var", rasa_port=free_port(), action_token=SecretStr("t"))
    build_index(load_documents([corpus]).documents, embedder=make_embedder("hashing"), index_dir=settings.index_dir)
    engine = make_engine(settings.sqlalchemy_url)
    create_schema(engine)
    sessions = make_sessionmaker(engine)
    store = ConversationStore(sessions=sessions)
    expired, recent = store.start(language="nl"), store.start(language="nl")
    with sessions.begin() as session:
        session.execute(
            update(ConversationRow).where(ConversationRow.id == expired).values(updated_at=datetime(2020, 1, 1))
        )

    with TestClient(create_app(settings)):
        deadline = time.monotonic() + 20
        while store.exists(expired) and time.monotonic() < deadline:
            time.sleep(0.05)
    assert not store.exists(expired) and store.exists(recent)
    engine.dispose()
