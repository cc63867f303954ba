"""Services the actions use, installed by the api at start-up.

rasa-sdk instantiates actions itself (no constructor arguments), so they cannot
receive dependencies directly; the api's lifespan calls `install()` once and
the actions call `current()`. Tests install fakes the same way.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from api.services.conversations import ConversationStore
    from api.services.escalations import EscalationWorkflow
    from api.services.office_hours import OfficeHours
    from knowledge.query_vectors import QueryVector
    from knowledge.search import SearchResult
    from knowledge.types import Reader


class Searcher(Protocol):
    def search(
        self, query: str, *, reader: Reader, k: int = 5, query_vector: QueryVector | None = None
    ) -> SearchResult: ...


@dataclass
class ActionContext:
    search: Searcher
    store: ConversationStore
    escalations: EscalationWorkflow
    office_hours: OfficeHours
    # Text -> routing decision as a dict (team, confidence, explanation, ...). None: the
    # dialogue uses its own first signal, the owning team of the best public documents
    # (actions/case_routing.py). The api installs the routing service here when it has one.
    route: Callable[[str], dict[str, Any]] | None = None


_current: ActionContext | None = None


def install(context: ActionContext | None) -> None:
    global _current
    _current = context


def current() -> ActionContext:
    if _current is None:
        raise RuntimeError("actions.context.install() has not been called (the api sets it up)")
    return _current
