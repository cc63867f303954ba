"""What the action tests share: a real conversation store and escalation workflow on SQLite, the
shipped team directory, a recording answer service, and trackers and dispatchers as rasa-sdk
builds them."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from cryptography.fernet import Fernet, MultiFernet
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions import context
from actions.forms import SKIPPED
from api.services.contact_details import ContactVault
from api.services.conversations import ConversationStore
from api.services.database import create_schema, make_engine, make_sessionmaker
from api.services.escalations import Escalation, EscalationWorkflow
from api.services.office_hours import OfficeHours
from knowledge.answerability import Evidence
from knowledge.answers import Answer, Topic
from knowledge.types import Hit
from routing.config import ROUTING_DIR
from routing.teams import TeamDirectory

Route = Callable[[str], dict[str, Any]]


class RecordingAnswers:
    """The citizen answer service's Protocol (actions.context.CitizenAnswerer), answering with
    `result` whatever is asked, and recording each question and how it was asked."""

    def __init__(self, result: Answer, *, page_language: str = "nl") -> None:
        self.result = result
        self.page_language = page_language
        self.calls: list[dict[str, Any]] = []

    @property
    def queries(self) -> list[str]:
        return [call["question"] for call in self.calls]

    def answer(self, question: str, **kwargs: Any) -> Answer:
        self.calls.append({"question": question, **kwargs})
        return self.result

    def document_language(self, doc_id: str) -> str:
        return self.page_language


class AnswersFollowUps(RecordingAnswers):
    """Answers a follow-up from the passport page, and a question asked on its own with `result`."""

    def answer(self, question: str, **kwargs: Any) -> Answer:
        super().answer(question, **kwargs)
        return answered() if kwargs.get("follow_up") else self.result


def hit(team: str, doc_id: str = "doc") -> Hit:
    return Hit(
        doc_id=doc_id, title="Titel", section="Titel › Deel", url=f"/documents/{doc_id}",
        audience="public", team=team, score=0.03, passage="Tekst.",
    )  # fmt: skip


REPORT = {"report_what": "lantaarnpaal kapot", "report_where": "Kerkstraat 12", "report_photo": SKIPPED,
          "report_contact": "[e-mail]", "report_confirmed": "yes"}  # fmt: skip
NOTHING = Answer(answerable=False, score=0.0, hit=None)
# Declined, and the question names a municipal subject no document covers ("naam veranderen").
UNCOVERED = Answer(answerable=False, score=0.01, hit=None, evidence=Evidence(values={"uncovered_topic": 1.0}))
PASSPORT_TOPIC = Topic("paspoort-aanvragen", "wat kost een paspoort?", ("costs",))


def answered(doc_id: str = "paspoort-aanvragen", topic: Topic = PASSPORT_TOPIC) -> Answer:
    passage = hit("burgerzaken", doc_id)
    return Answer(answerable=True, score=0.9, hit=passage, sources=[passage], topic=topic)


@pytest.fixture
def store(tmp_path: Path) -> ConversationStore:
    engine = make_engine(f"sqlite:///{tmp_path / 'loket.db'}")
    create_schema(engine)
    return ConversationStore(sessions=make_sessionmaker(engine))


@pytest.fixture(autouse=True)
def no_installed_context() -> Iterator[None]:
    """Each test installs its own services; none leaks into the next test."""
    context.install(None)
    yield
    context.install(None)


def escalations_of(store: ConversationStore, **filters: Any) -> list[Escalation]:
    return EscalationWorkflow(sessions=store._sessions).escalations(**filters)


def unsure(text: str, **_: Any) -> dict[str, Any]:
    """A route service that is never sure: the case waits in moderator triage."""
    return {"team": None, "status": "unsure", "confidence": 0.0, "explanation": "test"}


def decides(team: str, confidence: float = 1.0) -> Route:
    """A route service that sends everything to `team`."""
    return lambda text, **_: {"team": team, "status": "routed", "confidence": confidence, "explanation": "test"}


SHIPPED_TEAMS = TeamDirectory.load(ROUTING_DIR / "teams.yml")
ALWAYS_OPEN = "\n".join(
    f"  {day}: '00:00-23:59:59.999999'" for day in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
)


def install(
    store: ConversationStore,
    answers: Any,
    tmp_path: Path,
    route: Route = unsure,
    *,
    hours: str = ALWAYS_OPEN,
) -> context.ActionContext:
    """The services the api installs at start-up, on `store`; `hours`: teams.yml's chat_hours lines."""
    config = tmp_path / "teams.yml"
    config.write_text(f"timezone: Europe/Amsterdam\nchat_hours:\n{hours}\n")
    services = context.ActionContext(
        answers=answers,
        store=store,
        escalations=EscalationWorkflow(sessions=store._sessions),
        office_hours=OfficeHours.from_teams(TeamDirectory.load(config)),
        teams=SHIPPED_TEAMS,
        route=route,
        contacts=ContactVault(sessions=store._sessions, cipher=MultiFernet([Fernet(Fernet.generate_key())])),
    )
    context.install(services)
    return services


def tracker(
    text: str,
    *,
    intent: str | None = "inform",
    confidence: float = 1.0,
    sender: str = "c1",
    language: str = "nl",
    slots: dict[str, Any] | None = None,
    metadata: dict[str, Any] | None = None,
    events: list[dict[str, Any]] | None = None,
) -> Tracker:
    """The tracker rasa-sdk hands an action after the citizen wrote `text` (`intent` None: no intent;
    `confidence`: the NLU's in it)."""
    latest: dict[str, Any] = {"text": text, "metadata": metadata or {}}
    if intent is not None:
        latest["intent"] = {"name": intent, "confidence": confidence}
    return Tracker.from_dict({
        "sender_id": sender,
        "slots": {"language": language, **(slots or {})},
        "latest_message": latest,
        "events": events if events is not None else [{"event": "user", "text": text}],
    })  # fmt: skip


def run(action: Any, t: Tracker) -> tuple[CollectingDispatcher, list[dict[str, Any]]]:
    dispatcher = CollectingDispatcher()
    return dispatcher, asyncio.run(action.run(dispatcher, t, {}))


def validate(action: Any, method: str, value: str, t: Tracker) -> tuple[CollectingDispatcher, dict[str, Any]]:
    dispatcher = CollectingDispatcher()
    return dispatcher, asyncio.run(getattr(action, method)(value, dispatcher, t, {}))


def slot_events(events: list[dict[str, Any]]) -> dict[str, Any]:
    return {e["name"]: e["value"] for e in events if e.get("event") == "slot"}


def contact_route() -> Any:
    """The municipality's contact route as the api installs it, from the shipped data."""
    from actions.dialogue_config import wording
    from api.services.contact_route import ContactRoute
    from api.settings import PROJECT_ROOT

    return ContactRoute.load(
        SHIPPED_TEAMS,
        messages_file=PROJECT_ROOT / "data" / "handoff_messages.yml",
        weekdays={language: wording(language).weekdays for language in ("nl", "en")},
    )


def switch_off(services: context.ActionContext, *parts: str) -> None:
    """An admin switched `parts` (answers, forms) off: the state the api's ChatSwitches would give."""
    from api.services.chat_switches import SwitchState

    state = SwitchState(**{part: False for part in parts})
    services.switches = lambda: state
    services.contact_route = contact_route().text
