"""bot/tracker_cache.py: the in-process copy always equals what Rasa reads from the database.

Run in the Rasa environment against SQLite and PostgreSQL: after every save, the cached
tracker, Rasa's own read of the database and a fresh store's read agree, through new
conversations, ordinary turns, a new session, a failed commit and eviction; and a copy of a
conversation whose rows were erased is dropped once idle, so erasure is not undone by it.
"""

from __future__ import annotations

import json
import subprocess

import pytest
from sqlalchemy.engine import make_url

from api.operations.rasa_model import rasa_env
from api.settings import PROJECT_ROOT, Settings

pytestmark = pytest.mark.integration

CHECK = """
import asyncio, json, sys, time
from rasa.core.tracker_store import SQLTrackerStore
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, SessionStarted, SlotSet, UserUttered
from bot import tracker_cache

tracker_cache.apply()
assert SQLTrackerStore.retrieve is tracker_cache.retrieve
kwargs = json.loads(sys.argv[1])
language = {"type": "text", "mappings": [{"type": "custom"}]}
domain = Domain.from_dict({"intents": ["greet", "ask"], "slots": {"language": language}})
store = SQLTrackerStore(domain=domain, **kwargs)
run = asyncio.run

def rasas_read(sender, all_sessions=False):
    fresh = SQLTrackerStore(domain=domain, **kwargs)  # nothing cached: reads the database
    tracker = run(fresh._retrieve(sender, fetch_events_from_all_sessions=all_sessions))
    fresh.engine.dispose()
    return tracker

def same(sender):
    cached, stored = run(store.retrieve(sender)), rasas_read(sender)
    assert (cached is None) == (stored is None), sender
    if cached is not None:
        assert [e.as_dict() for e in cached.events] == [e.as_dict() for e in stored.events], sender
        assert cached.current_slot_values() == stored.current_slot_values()
    return cached

T0 = time.time() + 10  # after the tracker's first action_listen

def turn(tracker, text, t):
    t += T0
    tracker.update(UserUttered(text, {"name": "ask", "confidence": 0.9}, timestamp=t))
    tracker.update(SlotSet("language", "nl" if t % 2 else "en", timestamp=t + 0.1))
    tracker.update(ActionExecuted("utter_answer", timestamp=t + 0.2))
    tracker.update(ActionExecuted("action_listen", timestamp=t + 0.3))

sender = "conversation-1"
assert same(sender) is None  # unknown conversation
tracker = run(store.get_or_create_tracker(sender))
for t in range(1, 6):
    turn(tracker, f"vraag {t}", float(t))
    run(store.save(tracker))
    tracker = same(sender)
assert len(tracker.events) == 1 + 5 * 4, [e.as_dict()["event"] for e in tracker.events]

# A new session: only its events are the latest session, in the copy as in the database.
tracker.update(SessionStarted(timestamp=T0 + 200.0))
tracker.update(ActionExecuted("action_listen", timestamp=T0 + 200.1))
turn(tracker, "nieuwe sessie", 201.0)
run(store.save(tracker))
tracker = same(sender)
assert tracker.events[0].as_dict()["event"] == "session_started" and len(tracker.events) == 6
assert len(rasas_read(sender, all_sessions=True).events) == 1 + 5 * 4 + 6

# A failed commit stores nothing and forgets the copy: the next read is the database's.
turn(tracker, "mislukt", 300.0)
original_scope = store.session_scope
def failing_scope():
    raise RuntimeError("database down")
store.session_scope = failing_scope
try:
    run(store.save(tracker))
except RuntimeError:
    pass
else:
    raise SystemExit("save did not fail")
store.session_scope = original_scope
assert tracker_cache._sessions(store).get(sender) is None
tracker = same(sender)
assert len(tracker.events) == 6

# Eviction: the least recently used conversation is read from the database again.
sessions = tracker_cache._sessions(store)
sessions._max = 2
for other in ("conversation-2", "conversation-3"):
    extra = run(store.get_or_create_tracker(other))
    turn(extra, "hallo", 400.0)
    run(store.save(extra))
assert sessions.get(sender) is None and same(sender) is not None

# Erasure and retention delete rows behind the copy's back (the api's erasure.py, retention.py).
# A fresh copy still has them: the api sends no turn for a conversation it erased. Once the copy
# has been idle for MAX_IDLE_S it is dropped, and the database's answer (nothing) is read.
from sqlalchemy import text as sql
erased = "conversation-3"
assert sessions.get(erased) is not None
with store.session_scope() as session:
    session.execute(sql("DELETE FROM events WHERE sender_id = :sender"), {"sender": erased})
    session.commit()
assert rasas_read(erased) is None and run(store.retrieve(erased)) is not None
sessions._max_idle_s = 0.05
time.sleep(0.1)
assert run(store.retrieve(erased)) is None
assert sessions.get(sender) is None and len(sessions) == 1  # the idle copies are gone, the erased read is kept
fresh = run(store.get_or_create_tracker(erased))
assert [e.as_dict().get("name") for e in fresh.events] == ["action_listen"]  # a new conversation, nothing old
print("ok")
"""


def _check(settings: Settings, store_kwargs: dict) -> None:
    result = subprocess.run(
        [str(settings.rasa_python), "-c", CHECK, json.dumps(store_kwargs)],
        cwd=PROJECT_ROOT, env=rasa_env(settings), capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-3000:]
    assert result.stdout.strip().endswith("ok")


def test_copy_matches_the_sqlite_tracker_store(tmp_path) -> None:
    _check(Settings(), {"dialect": "sqlite", "db": str(tmp_path / "tracker.db")})


def test_copy_matches_the_postgresql_tracker_store(postgres_url: str) -> None:
    url = make_url(postgres_url)
    kwargs = {"dialect": "postgresql", "host": url.host, "port": url.port, "db": url.database}
    _check(Settings(), kwargs | {"username": url.username, "password": url.password})
