"""Services the actions use, installed by the api at start-up.

rasa-sdk instantiates actions itself (no constructor arguments), so they cannot
receive dependencies directly; the api's lifespan calls `install()` once and
the actions call `current()`. Tests install fakes the same way.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from api.services.conversations import ConversationStore
    from api.services.escalations import EscalationWorkflow
    from api.services.office_hours import OfficeHours
    from knowledge.answers import Answer, Topic
    from knowledge.query_vectors import QueryVector
    from routing.teams import TeamDirectory


class CitizenAnswerer(Protocol):
    """Answers from the public documents only (api.services.citizen_answers.CitizenAnswers)."""

    def answer(
        self,
        question: str,
        *,
        language: str | None = None,
        topic: Topic | None = None,
        follow_up: bool = False,
        query_vector: QueryVector | None = None,
        intent: str | None = None,
    ) -> Answer: ...

    def document_language(self, doc_id: str) -> str: ...


class RouteFunction(Protocol):
    def __call__(self, text: str, *, query_vector: QueryVector | None = None) -> dict[str, Any]: ...


@dataclass
class ActionContext:
    answers: CitizenAnswerer
    store: ConversationStore
    escalations: EscalationWorkflow
    office_hours: OfficeHours
    # Team names and expected response times (data/routing/teams.yml, read once by the api).
    teams: TeamDirectory
    # Text -> the router's decision as a dict (team, status, confidence, explanation, ...):
    # the api installs its router's `route_dict` (routing.router.LazyRouter).
    route: RouteFunction


_current: ActionContext | None = None


def install(context: ActionContext | None) -> None:
    global _current
    _current = context


def current() -> ActionContext:
    if _current is None:
        raise RuntimeError("actions.context.install() has not been called (the api sets it up)")
    return _current
