"""bot/rasa_server.py: each fix keeps Rasa's behaviour, checked in the Rasa environment."""

from __future__ import annotations

import subprocess

import pytest

from api.operations.rasa_model import rasa_env
from api.settings import PROJECT_ROOT, Settings

pytestmark = pytest.mark.integration

CHECK = """
import time
from jsonschema import ValidationError, validate
from rasa.core.actions.action import RemoteAction
from bot.rasa_server import validate_action_result

schema = RemoteAction.action_response_format_spec()
good = {"events": [{"event": "slot", "name": "language", "value": "en", "timestamp": None}],
        "responses": [{"text": "Hallo", "buttons": [], "custom": {"sources": []}}]}
bad = [{"events": [{"name": "language"}]}, {"events": "slot"}, {"responses": "hallo"}]
assert validate_action_result(None, good) is True
validate(good, schema)  # Rasa's own check agrees
for result in bad:
    try:
        validate(result, schema)
    except ValidationError:
        pass
    else:
        raise SystemExit(f"Rasa's own check accepts {result}")
    try:
        validate_action_result(None, result)
    except ValidationError as error:
        assert "Failed to validate Action server response" in error.message
    else:
        raise SystemExit(f"accepted {result}")
started = time.perf_counter()
for _ in range(20):
    validate_action_result(None, good)
print("ms per check", (time.perf_counter() - started) / 20 * 1000)
"""


def test_compiled_check_accepts_and_rejects_what_rasa_does() -> None:
    settings = Settings()
    result = subprocess.run(
        [str(settings.rasa_python), "-c", CHECK], cwd=PROJECT_ROOT, env=rasa_env(settings),
        capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-3000:]
    assert "ms per check" in result.stdout


EVENTS_AND_TRACKER_STORE = """
import asyncio, sqlite3, sys
from rasa.core.tracker_store import SQLTrackerStore, create_engine_kwargs as rasa_kwargs
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, Event, SlotSet, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.shared.utils.common import all_subclasses
from bot import rasa_server

rasa_server.apply_fixes()
# Every event type resolves to the class Rasa's own lookup finds, repeatedly.
for cls in all_subclasses(Event):
    for _ in range(2):
        assert Event.resolve_by_type(cls.type_name) is rasa_server._rasa_resolve_event_type(cls.type_name), cls
assert Event.resolve_by_type("no_such_event", SlotSet) is SlotSet
assert "no_such_event" not in rasa_server._event_types
try:
    Event.resolve_by_type("no_such_event")
except ValueError as error:
    assert "Unknown event name" in str(error)
else:
    raise SystemExit("an unknown event type resolved")
assert Event.resolve_by_type("topic") is None

# PostgreSQL keeps Rasa's engine arguments, and checks a pooled connection before use.
pg = "postgresql://loket@127.0.0.1:5432/test"
assert rasa_server.tracker_store_engine_kwargs(pg) == {**rasa_kwargs(pg), "pool_pre_ping": True}

# The SQLite tracker store: pooled connections in WAL mode, trackers round-trip.
db = sys.argv[1]
language = {"type": "text", "mappings": [{"type": "custom"}]}
domain = Domain.from_dict({"intents": ["greet"], "slots": {"language": language}})
store = SQLTrackerStore(domain=domain, dialect="sqlite", db=db)
assert type(store.engine.pool).__name__ == "QueuePool", store.engine.pool
tracker = DialogueStateTracker.from_events("c1", [
    ActionExecuted("action_listen"), UserUttered("hallo", {"name": "greet", "confidence": 1.0}),
    SlotSet("language", "nl"), ActionExecuted("utter_greet"), ActionExecuted("action_listen"),
], slots=domain.slots)
asyncio.run(store.save(tracker))
again = asyncio.run(store.retrieve("c1"))
assert [e.as_dict()["event"] for e in again.events] == [e.as_dict()["event"] for e in tracker.events]
assert again.get_slot("language") == "nl" and again.latest_message.text == "hallo"
store.engine.dispose()
assert sqlite3.connect(db).execute("PRAGMA journal_mode").fetchone()[0] == "wal"
print("ok")
"""


def test_event_types_and_sqlite_tracker_store_keep_rasas_behaviour(tmp_path) -> None:
    settings = Settings()
    result = subprocess.run(
        [str(settings.rasa_python), "-c", EVENTS_AND_TRACKER_STORE, str(tmp_path / "tracker.db")],
        cwd=PROJECT_ROOT, env=rasa_env(settings), capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-3000:]
    assert result.stdout.strip().endswith("ok")


HTTP_API_ARGUMENTS = """
from rasa.__main__ import create_argument_parser
from bot.rasa_server import http_api_arguments

for token in ("-starts-with-a-dash", "_underscore", "plainToken123"):
    argv = http_api_arguments(["rasa", "run", "--port", "5005"], {"LOKET_RASA_API_TOKEN": token})
    parsed = create_argument_parser().parse_args(argv[1:])
    assert parsed.enable_api and parsed.auth_token == token, (token, argv)
assert http_api_arguments(["rasa", "run"], {}) == ["rasa", "run"]  # no token: no HTTP API
print("ok")
"""


def test_rasas_http_api_takes_any_url_safe_token(tmp_path) -> None:
    """A token from secrets.token_urlsafe may start with "-": Rasa's argument parser must still
    read it as the token (it once stopped Rasa with exit code 2 in one run of 64)."""
    settings = Settings()
    result = subprocess.run(
        [str(settings.rasa_python), "-c", HTTP_API_ARGUMENTS],
        cwd=PROJECT_ROOT, env=rasa_env(settings), capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-3000:]
    assert result.stdout.strip().endswith("ok")


SUPERVISION = """
import asyncio, json
from types import SimpleNamespace
from rasa.core.actions import action
from bot.rasa_server import ACTION_TIMEOUT_ENV, ready, set_action_timeout

set_action_timeout({})
assert action.DEFAULT_REQUEST_TIMEOUT == 300  # unset: Rasa's own
set_action_timeout({ACTION_TIMEOUT_ENV: "7.5"})
assert action.DEFAULT_REQUEST_TIMEOUT == 7.5  # read by RemoteAction.run on every call

def answer(agent):
    request = SimpleNamespace(app=SimpleNamespace(ctx=SimpleNamespace(agent=agent)))
    reply = asyncio.run(ready(request))
    return reply.status, json.loads(reply.body)

assert answer(None) == (503, {"model_loaded": False})  # still loading
assert answer(SimpleNamespace(is_ready=lambda: False)) == (503, {"model_loaded": False})  # loading failed
assert answer(SimpleNamespace(is_ready=lambda: True)) == (200, {"model_loaded": True})
print("ok")
"""


def test_action_timeout_and_readiness_for_the_supervisor() -> None:
    settings = Settings()
    result = subprocess.run(
        [str(settings.rasa_python), "-c", SUPERVISION],
        cwd=PROJECT_ROOT, env=rasa_env(settings), capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-3000:]
    assert result.stdout.strip().endswith("ok")


LOCK_AFTER_A_DEAD_HOLDER = """
import asyncio, json, time, uuid
from rasa.core import lock_store
from rasa.core.lock import TicketLock

def dead_holder(store, conversation):
    # A Rasa replica took the lock (1 s lifetime) and died: its ticket is never released.
    store.issue_ticket(conversation, 1)

async def wait_for_turn(store, conversation):
    started = time.time()
    async with store.lock(conversation, lock_lifetime=1, wait_time_in_seconds=0.2):
        return round(time.time() - started, 1)

def outcome(store):
    conversation = uuid.uuid4().hex
    dead_holder(store, conversation)
    try:
        return asyncio.run(asyncio.wait_for(wait_for_turn(store, conversation), timeout=4))
    except lock_store.LockError:
        return "LockError"
    except asyncio.TimeoutError:
        return "still waiting after 4 s"

lock_store.LOCK_LIFETIME = 1
redis = lock_store.RedisLockStore(host="127.0.0.1", port=6379, db=0, key_prefix="loket-test")
before = outcome(redis)
from bot.rasa_server import apply_fixes
apply_fixes()
print(json.dumps({"rasa": before, "fixed": outcome(redis), "in_memory": outcome(lock_store.InMemoryLockStore())}))
"""


def test_a_turn_waiting_on_a_dead_replicas_lock_is_served_once_it_expires(redis_url: str) -> None:
    settings = Settings()
    result = subprocess.run(
        [str(settings.rasa_python), "-c", LOCK_AFTER_A_DEAD_HOLDER], cwd=PROJECT_ROOT, env=rasa_env(settings),
        capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-3000:]
    import json

    outcome = json.loads(result.stdout.strip().splitlines()[-1])
    # Rasa's own lock store: the waiting ticket expired with the dead one, the turn never runs.
    assert outcome["rasa"] in ("LockError", "still waiting after 4 s"), outcome
    assert 0.9 <= outcome["fixed"] <= 2.0 and 0.9 <= outcome["in_memory"] <= 2.0, outcome


LOG_LINES = """
import io, logging, sys
import structlog
from bot.rasa_server import apply_fixes
from rasa.utils.log_utils import configure_structlog

apply_fixes()
configure_structlog(logging.INFO)
structlog.get_logger().error("rest.message.received.timeout", text="mijn buurman Jan de Vries slaat me", sender_id="c1")
"""


def test_rasas_log_lines_keep_their_event_but_not_the_citizens_text() -> None:
    """Rasa logs a message that timed out at ERROR with its text; that text stays out of the log."""
    settings = Settings()
    result = subprocess.run(
        [str(settings.rasa_python), "-c", LOG_LINES], cwd=PROJECT_ROOT, env=rasa_env(settings),
        capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    logged = result.stdout + result.stderr
    assert result.returncode == 0, logged[-3000:]
    assert "rest.message.received.timeout" in logged and "c1" in logged
    assert "[left out]" in logged and "Jan de Vries" not in logged
