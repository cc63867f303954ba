"""A write-through copy of the SQL tracker store's latest sessions, kept in the Rasa process.

Every turn Rasa reads the conversation back from its SQL tracker store (all events of the
latest session, as JSON) and, when saving, counts the stored events again to know which are
new: two queries per turn, ~3-17 ms each on PostgreSQL under load, plus the JSON decoding.
This process is the only writer of its trackers (one Rasa process: Rasa's in-memory lock
store allows no other), so after the first read it can know what the database holds: the
event dicts of each conversation's latest session, exactly as `SQLTrackerStore._event_query`
would return them (as stored rows: type, timestamp, JSON text). Reads then come from memory
and are decoded like Rasa decodes the rows, so no two trackers share an object; writes still
go to the database first, and the copy is updated only after the commit succeeded.

Only used with a single Sanic worker and a single Rasa server; with several, each would hold
a stale copy (`enabled`).

Erasure and retention delete rows of the `events` table behind this process's back (the api,
api/services/erasure.py and retention.py). A copy of a conversation whose rows vanished would,
if that conversation had another turn here, bring its old events back into the dialogue (and
through the actions into a new case). It has no further turn: the api answers 404 for a
conversation it erased, it erases under the conversation's turn lock (no turn halfway), and
retention removes only conversations idle for at least 30 days. And a copy does not outlive
`MAX_IDLE_S` without a turn: after that the conversation is read from the database again, and
a copy left idle is dropped at the next turn of any conversation, so erased text stays in this
process's memory for minutes, not until it happens to be evicted.
"""

from __future__ import annotations

import json
import os
import threading
import time
import weakref
from collections import OrderedDict
from typing import List, NamedTuple, Optional, Text, Tuple

from rasa.core.tracker_store import SQLTrackerStore
from rasa.shared.core.events import SessionStarted
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.shared.nlu.constants import INTENT_NAME_KEY

# Conversations kept (least recently used out): ~100 events of ~1 kB each, ~100 MB at most.
MAX_CONVERSATIONS = 1000
# A conversation without a turn for this long is read from the database again (see above); a
# citizen's pause is usually shorter, and a read after a longer one costs a few milliseconds.
MAX_IDLE_S = 600.0


class StoredEvent(NamedTuple):
    """The columns of a row of Rasa's `events` table that reading it back needs."""

    type_name: Text
    timestamp: Optional[float]
    data: Text


class LatestSessions:
    """conversation id -> the stored event dicts of its latest session (least recently used out,
    and out after `max_idle_s` without use)."""

    def __init__(self, max_conversations: int = MAX_CONVERSATIONS, max_idle_s: float = MAX_IDLE_S) -> None:
        # sender -> (events, when last used: time.monotonic()); the least recently used first.
        self._events: OrderedDict[Text, Tuple[List[StoredEvent], float]] = OrderedDict()
        self._max = max_conversations
        self._max_idle_s = max_idle_s
        self._lock = threading.Lock()

    def get(self, sender_id: Text) -> Optional[List[StoredEvent]]:
        with self._lock:
            now = time.monotonic()
            self._drop_idle(now)
            entry = self._events.get(sender_id)
            if entry is None:
                return None
            self._events[sender_id] = (entry[0], now)
            self._events.move_to_end(sender_id)
            return entry[0]

    def put(self, sender_id: Text, events: List[StoredEvent]) -> None:
        with self._lock:
            now = time.monotonic()
            self._events[sender_id] = (events, now)
            self._events.move_to_end(sender_id)
            self._drop_idle(now)
            while len(self._events) > self._max:
                self._events.popitem(last=False)

    def _drop_idle(self, now: float) -> None:
        """The idle ones are at the front (least recently used first)."""
        while self._events:
            _sender, (_events, used) = next(iter(self._events.items()))
            if now - used < self._max_idle_s:
                return
            self._events.popitem(last=False)

    def __len__(self) -> int:
        return len(self._events)

    def drop(self, sender_id: Text) -> None:
        with self._lock:
            self._events.pop(sender_id, None)


def latest_session(events: List[StoredEvent]) -> List[StoredEvent]:
    """The rows `_event_query` selects: timestamp >= the latest SessionStarted's, else all."""
    starts = [e.timestamp for e in events if e.type_name == SessionStarted.type_name and e.timestamp is not None]
    if not starts:
        return events
    start = max(starts)
    return [e for e in events if e.timestamp is not None and e.timestamp >= start]


_copies: weakref.WeakKeyDictionary[SQLTrackerStore, LatestSessions] = weakref.WeakKeyDictionary()


def _sessions(store: SQLTrackerStore) -> LatestSessions:
    sessions = _copies.get(store)
    if sessions is None:
        sessions = _copies[store] = LatestSessions()
    return sessions


def _read_latest_session(store: SQLTrackerStore, sender_id: Text) -> List[StoredEvent]:
    with store.session_scope() as session:
        rows = store._event_query(session, sender_id, fetch_events_from_all_sessions=False).all()
        return [StoredEvent(row.type_name, row.timestamp, row.data) for row in rows]


async def retrieve(self: SQLTrackerStore, sender_id: Text) -> Optional[DialogueStateTracker]:
    """SQLTrackerStore.retrieve, from memory after the first read of a conversation."""
    sessions = _sessions(self)
    events = sessions.get(sender_id)
    if events is None:
        events = _read_latest_session(self, sender_id)
        sessions.put(sender_id, events)
    if not self.domain or not events:
        return None
    return DialogueStateTracker.from_dict(sender_id, [json.loads(e.data) for e in events], self.domain.slots)


async def save(self: SQLTrackerStore, tracker: DialogueStateTracker) -> None:
    """SQLTrackerStore.save without counting the stored events again; the copy follows the commit."""
    sessions = _sessions(self)
    stored = sessions.get(tracker.sender_id)
    if stored is None:
        stored = _read_latest_session(self, tracker.sender_id)
    new = []
    for event in list(tracker.events)[len(stored) :]:
        data = event.as_dict()
        new.append((data, StoredEvent(event.type_name, data.get("timestamp"), json.dumps(data))))
    sessions.drop(tracker.sender_id)  # until the commit below succeeded
    await self.stream_events(tracker)
    with self.session_scope() as session:
        for data, row in new:
            session.add(
                self.SQLEvent(
                    sender_id=tracker.sender_id,
                    type_name=row.type_name,
                    timestamp=row.timestamp,
                    intent_name=data.get("parse_data", {}).get("intent", {}).get(INTENT_NAME_KEY),
                    action_name=data.get("name"),
                    data=row.data,
                )
            )
        session.commit()
    sessions.put(tracker.sender_id, latest_session(stored + [row for _, row in new]))


# Set by api/operations/stack.py when Rasa servers run as replicas (a shared Redis lock store):
# another replica may then have served the previous turn, so a copy here could be stale.
SHARED_TRACKERS_ENV = "LOKET_SHARED_TRACKERS"


def enabled() -> bool:
    return int(os.environ.get("SANIC_WORKERS", "1")) <= 1 and os.environ.get(SHARED_TRACKERS_ENV) != "1"


def apply() -> None:
    if enabled():
        SQLTrackerStore.retrieve = retrieve  # type: ignore[method-assign]
        SQLTrackerStore.save = save  # type: ignore[method-assign]
