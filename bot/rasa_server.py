"""Rasa's own command line, with fixes for per-turn costs in Rasa 3.6 applied first.

    .venv-rasa/bin/python -m bot.rasa_server run --model ... (the arguments of `rasa`)

Each fix keeps Rasa's behaviour (same results, same errors) and removes work Rasa repeats on
every message; together they took ~80 ms of CPU off a knowledge-answer turn on this machine
(docs/dialogue.md, turn latency):

* the action-server response check: `jsonschema.validate(result, schema)` validates the schema
  itself against the JSON Schema meta-schema on every custom action call (35-70 ms); the
  compiled validator is made once (~1 ms per call);
* event deserialisation: `Event.resolve_by_type` walks every subclass of `Event` (with an
  `inspect.isabstract` check each) for every event of every tracker loaded from the tracker
  store, ~100 events per conversation; the type name -> class map is kept;
* the SQLite tracker store: SQLAlchemy 1.4 opens a new SQLite connection for every session
  (NullPool) and SQLite syncs the file on every commit; the fix keeps connections in a pool
  and uses the write-ahead log, which syncs at checkpoints (a crash of the process loses
  nothing; a power cut can lose the last turns' tracker events, which the api's own
  conversation store also holds). PostgreSQL is untouched;
* the SQL tracker store reads the whole session back on every turn and counts its events
  again on every save: `bot/tracker_cache.py` keeps a write-through copy in this process;
* the lock store's waiting tickets: a turn waiting for a conversation's lock holds a ticket
  that expires as soon as the holder's does, so when a Rasa replica dies holding a lock (Redis
  lock store) the waiting turn loses its place and fails with a LockError. A waiting turn
  renews its own ticket, so it is served once the dead holder's ticket has expired;
* garbage collection pauses: the loaded model (TensorFlow, the policies, the domain) is
  millions of objects that every full collection walked again, 200-500 ms in which no message
  was answered; once the server has started they are moved out of the collector's view
  (`gc.freeze`), so a full collection only looks at what the turns created.

And for running under a supervisor (docs/deployment.md):

* `GET /ready` answers 200 once the model is loaded, 503 before or when loading failed (Rasa
  then keeps running and answers every message with nothing; its own `GET /` cannot tell);
* a custom action call waits `LOKET_RASA_ACTION_TIMEOUT_S` (set by api/operations/stack.py)
  instead of Rasa's fixed 5 minutes, so a slow action ends the turn with Rasa's reply without it;
* the PostgreSQL tracker store checks a pooled connection before using it: after a database
  restart the next turn reconnects instead of failing on a dead connection.

And for privacy (docs/privacy.md, logs): Rasa's structured log lines carry what a citizen wrote
(`rest.message.received.timeout` logs the message at ERROR). The gateway redacted it before Rasa
saw it, but it is still the citizen's text, and logs live by their own rules: the values of
Rasa's own list of message-bearing keys are left out of every log line.
"""

from __future__ import annotations

import asyncio
import gc
import logging
import os
import sys
import time
from functools import lru_cache
from typing import Any, Dict, List, Mapping, Optional, Text, Type

from jsonschema import ValidationError, validators
from rasa.core import lock_store, tracker_store
from rasa.core import run as rasa_run
from rasa.core.actions import action as rasa_action
from rasa.shared.constants import DOCS_BASE_URL
from rasa.shared.core.events import Event
from rasa.utils import log_utils
from sanic import response
from sanic.request import Request

from bot import tracker_cache


@lru_cache(maxsize=1)
def action_response_validator() -> Any:
    schema = rasa_action.RemoteAction.action_response_format_spec()
    validator_class = validators.validator_for(schema)
    validator_class.check_schema(schema)
    return validator_class(schema)


def validate_action_result(self: rasa_action.RemoteAction, result: Dict[Text, Any]) -> bool:
    """RemoteAction._validate_action_result with the compiled validator (same message on error)."""
    try:
        action_response_validator().validate(result)
        return True
    except ValidationError as error:
        error.message += (
            ". Failed to validate Action server response from API, "
            "make sure your response from the Action endpoint is valid. "
            f"For more information about the format visit {DOCS_BASE_URL}/custom-actions"
        )
        raise error


_rasa_resolve_event_type = Event.resolve_by_type
_event_types: Dict[Text, Type[Event]] = {}


def resolve_event_type(type_name: Text, default: Optional[Type[Event]] = None) -> Optional[Type[Event]]:
    """Event.resolve_by_type, remembering each name Rasa resolved to a class of its own.

    Unknown names and the defaults Rasa falls back to are not remembered: they go through
    Rasa's lookup every time, so an event class registered later is still found.
    """
    known = _event_types.get(type_name)
    if known is not None:
        return known
    resolved = _rasa_resolve_event_type(type_name, default)
    if resolved is not None and resolved is not default:
        _event_types[type_name] = resolved
    return resolved


_rasa_engine_kwargs = tracker_store.create_engine_kwargs


def tracker_store_engine_kwargs(url: Any) -> Dict[Text, Any]:
    """Rasa's engine arguments; for SQLite a connection pool and the write-ahead log."""
    from sqlalchemy import event
    from sqlalchemy.engine import Engine, make_url
    from sqlalchemy.pool import QueuePool

    kwargs = _rasa_engine_kwargs(url)
    if make_url(url).get_backend_name() != "sqlite":
        return {**kwargs, "pool_pre_ping": True}  # a database restart leaves dead pooled connections
    if not event.contains(Engine, "connect", _sqlite_pragmas):
        event.listen(Engine, "connect", _sqlite_pragmas)
    # A pooled connection goes to whichever thread asks next, hence check_same_thread off.
    return {**kwargs, "poolclass": QueuePool, "connect_args": {"check_same_thread": False}}


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    import sqlite3

    if not isinstance(dbapi_connection, sqlite3.Connection):
        return
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")  # with WAL: durable across a crash of the process
    cursor.close()


async def acquire_lock_renewing_ticket(
    self: lock_store.LockStore, conversation_id: Text, ticket: int, wait_time_in_seconds: float
) -> Any:
    """LockStore._acquire_lock, but the waiting ticket stays valid while it waits."""
    while True:
        lock = self.get_lock(conversation_id)
        if not lock:
            break
        if not lock.is_locked(ticket):
            return lock
        await asyncio.sleep(wait_time_in_seconds)
        lock = self.get_lock(conversation_id)
        if lock:
            for waiting in lock.tickets:
                if waiting.number == ticket:
                    waiting.expires = time.time() + lock_store.LOCK_LIFETIME
            lock.remove_expired_tickets()
            self.save_lock(lock)
    raise lock_store.LockError(f"Could not acquire lock for conversation_id '{conversation_id}'.")


_rasa_configure_app = rasa_run.configure_app


def configure_app(*args: Any, **kwargs: Any) -> Any:
    """Rasa's app, which also freezes what start-up loaded once the server is up."""
    app = _rasa_configure_app(*args, **kwargs)
    # after_server_start runs after Rasa's before_server_start listener loaded the model.
    app.register_listener(freeze_loaded_objects, "after_server_start")
    app.add_route(ready, "/ready", methods=["GET"], name="loket_ready")
    return app


async def ready(request: Request) -> response.HTTPResponse:
    """200 when a model is loaded and messages are answered, else 503 (supervisor, /health)."""
    agent = getattr(request.app.ctx, "agent", None)
    loaded = agent is not None and agent.is_ready()
    return response.json({"model_loaded": loaded}, status=200 if loaded else 503)


async def freeze_loaded_objects(*_: Any) -> None:
    gc.collect()
    gc.freeze()
    logging.getLogger(__name__).info("%d objects kept out of garbage collection", gc.get_freeze_count())


# Rasa 3.6's own list of the structured-log keys that carry message content (rasa/utils/log_utils.py
# `_anonymizer`); Rasa only passes them through an optional anonymisation plugin.
MESSAGE_CONTENT_LOG_KEYS = frozenset({
    "text", "response_text", "user_text", "slot_values", "parse_data_text", "parse_data_entities",
    "prediction_events", "tracker_latest_message", "prefilled_slots", "message", "response",
    "slot_candidates", "rasa_event", "rasa_events", "tracker_states", "current_states", "old_states",
    "successes", "current_entity", "next_entity", "states", "entity", "token_text", "user_message",
    "json_message",
})  # fmt: skip
LEFT_OUT = "[left out]"


def without_message_content(_logger: Any, _name: str, event_dict: Dict[str, Any]) -> Dict[str, Any]:
    """A structlog processor in place of Rasa's `_anonymizer`: the log line keeps its event name and
    the rest, the message content is left out."""
    for key in MESSAGE_CONTENT_LOG_KEYS.intersection(event_dict):
        event_dict[key] = LEFT_OUT
    return event_dict


def apply_fixes() -> None:
    rasa_action.RemoteAction._validate_action_result = validate_action_result  # type: ignore[method-assign]
    Event.resolve_by_type = staticmethod(resolve_event_type)  # type: ignore[assignment]
    tracker_store.create_engine_kwargs = tracker_store_engine_kwargs
    lock_store.LockStore._acquire_lock = acquire_lock_renewing_ticket  # type: ignore[method-assign]
    rasa_run.configure_app = configure_app
    # `configure_structlog` looks the processor up when Rasa's command line configures logging.
    log_utils._anonymizer = without_message_content
    tracker_cache.apply()


# Set by api/operations/stack.py (start_stack(rasa_http_api=True)) for evaluations that read trackers.
RASA_API_TOKEN_ENV = "LOKET_RASA_API_TOKEN"
# Set by api/operations/stack.py from settings.rasa_action_timeout_s.
ACTION_TIMEOUT_ENV = "LOKET_RASA_ACTION_TIMEOUT_S"


def set_action_timeout(environ: Mapping[Text, Text]) -> None:
    """How long a custom action call may take; Rasa reads the module's constant on every call."""
    value = environ.get(ACTION_TIMEOUT_ENV)
    if value:
        rasa_action.DEFAULT_REQUEST_TIMEOUT = float(value)  # type: ignore[assignment]


def http_api_arguments(argv: List[Text], environ: Mapping[Text, Text]) -> List[Text]:
    """`rasa run` with Rasa's HTTP API behind the token from the environment, when one is set.

    The token is added to this process's own argument list only, so it does not show in the
    process list (`ps`), which any local user can read. Without a token: no HTTP API.
    """
    token = environ.get(RASA_API_TOKEN_ENV)
    if not token or argv[1:2] != ["run"]:
        return list(argv)
    # "--auth-token=<token>", not two arguments: a URL-safe token may start with "-", which
    # argparse would take for an option and stop Rasa with exit code 2 (1 run in 64).
    return [*argv, "--enable-api", f"--auth-token={token}"]


def main() -> None:
    apply_fixes()
    set_action_timeout(os.environ)
    from rasa.__main__ import main as rasa_main

    sys.argv = http_api_arguments(sys.argv, os.environ)
    rasa_main()


if __name__ == "__main__":
    main()
