"""Rasa's tracker store as the api reads and prunes it: events by conversation in Rasa's order, removal
in batches, idle senders; nothing to do (and no file made) before Rasa created its table."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import create_engine

from api.services import rasa_tracker_store
from api.services.database import create_schema, make_engine
from api.services.rasa_tracker_store import RasaTrackerStore
from tests.api.services.conftest import Stores


def test_events_come_decoded_in_rasas_order(stores: Stores) -> None:
    stores.rasa_says("a", ["eerste", "tweede"])
    stores.rasa_says("b", ["ander gesprek"])
    events = stores.tracker.events("a")
    turn = [("slot", None), ("bot", "Antwoord")]
    assert [(e["event"], e.get("text")) for e in events] == [("user", "eerste"), *turn, ("user", "tweede"), *turn]
    assert events[0]["parse_data"] == {"text": "eerste"}
    assert stores.tracker.events("nobody") == []


def test_removal_counts_and_goes_in_batches(stores: Stores, monkeypatch) -> None:
    monkeypatch.setattr(rasa_tracker_store, "BATCH", 2)
    senders = [f"s{i}" for i in range(5)]
    for sender in senders:
        stores.rasa_says(sender, ["hoi"])
    stores.rasa_says("kept", ["hoi"])
    assert stores.tracker.remove(senders, dry_run=True) == 15
    assert stores.tracker.count(senders) == 15
    assert stores.tracker.remove(senders) == 15
    assert stores.tracker.count(senders) == 0 and stores.tracker.count(["kept"]) == 3
    assert stores.tracker.remove([]) == 0


def test_idle_senders_are_those_whose_newest_event_is_older(stores: Stores) -> None:
    now = datetime.now(UTC)
    stores.rasa_says("old", ["hoi"], at=now - timedelta(days=40))
    stores.rasa_says("old-but-back", ["hoi"], at=now - timedelta(days=40))
    stores.rasa_says("old-but-back", ["weer"], at=now - timedelta(minutes=5))
    stores.rasa_says("new", ["hoi"], at=now)
    assert stores.tracker.senders_idle_since(now - timedelta(days=30)) == ["old"]


def test_without_rasas_table_there_is_nothing_and_no_file_is_made(tmp_path: Path) -> None:
    missing = tmp_path / "rasa_tracker.db"
    store = RasaTrackerStore(url=f"sqlite:///{missing}")
    assert store.events("a") == [] and store.remove(["a"]) == 0 and store.senders_idle_since(datetime.now(UTC)) == []
    store.write_deletions_through()
    assert not missing.exists()
    # A database where Rasa has not started yet: the api's tables, no `events`.
    api_url = f"sqlite:///{tmp_path / 'loket.db'}"
    engine = make_engine(api_url)
    create_schema(engine)
    shared = RasaTrackerStore.open(url=api_url, api_url=api_url, api_engine=engine)
    assert shared.events("a") == [] and shared.count(["a"]) == 0
    shared.close()
    engine.dispose()


def test_the_api_engine_is_shared_when_rasa_uses_the_api_database(tmp_path: Path) -> None:
    api_url = f"sqlite:///{tmp_path / 'loket.db'}"
    engine = create_engine(api_url)
    shared = RasaTrackerStore.open(url=api_url, api_url=api_url, api_engine=engine)
    assert shared._engine is engine
    shared.close()  # not its engine: left to the api
    assert shared._engine is engine
    own = RasaTrackerStore.open(url=f"sqlite:///{tmp_path / 'rasa.db'}", api_url=api_url, api_engine=engine)
    assert own._engine is None
    engine.dispose()
