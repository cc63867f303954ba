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
    from api.services.chat_switches import SwitchState
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
        variant: bool = False,
        query_vector: QueryVector | None = None,
        intent: str | None = None,
    ) -> Answer: ...

    def document_language(self, doc_id: str) -> str: ...


def all_on() -> SwitchState:
    from api.services.chat_switches import SwitchState

    return SwitchState()


def no_contact_route(language: str) -> str:
    return ""


class ContactKeeper(Protocol):
    """The form's contact details, kept encrypted by the api (api.services.contact_details.ContactVault):
    the actions only say which case they belong to, or that they are not wanted; they never see them."""

    def attach(self, conversation_id: str, escalation_id: int) -> int: ...

    def discard_pending(self, conversation_id: str) -> int: ...


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
    # Which parts of the chat an admin has on, asked at each turn (the api installs its
    # ChatSwitches.state): answers and forms are switched off in the actions that give them.
    switches: Callable[[], SwitchState] = all_on
    # The municipality's contact route in a language (api/services/contact_route.py), given
    # instead of what is switched off.
    contact_route: Callable[[str], str] = no_contact_route
    # Where the contact a form asked for waits for its case (None: nowhere; tests that need none).
    contacts: ContactKeeper | None = None


_current: ActionContext | None = None


def install(context: ActionContext | None) -> None:
    global _current
    _current = context


def current() -> ActionContext:
    if _current is None:
        raise RuntimeError("actions.context.install() has not been called (the api sets it up)")
    return _current
