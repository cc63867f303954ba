"""Crisis, follow-ups, the two-stage fallback and the forms, run with CollectingDispatcher."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions import context
from actions.crisis import ActionCrisis
from actions.fallback import ActionFallback
from actions.forms import (
    SKIPPED,
    ActionAskReportConfirmed,
    ActionCancelForm,
    ActionSubmitComplaint,
    ActionSubmitReport,
    ValidateComplaintForm,
    ValidateReportForm,
)
from actions.handoff import ActionRequestHuman
from actions.knowledge_answers import ActionAnswerQuestion
from api.services.conversations import ConversationStore
from api.services.database import create_schema, make_engine, make_sessionmaker
from api.services.escalations import Escalation, EscalationWorkflow
from api.services.office_hours import OfficeHours
from knowledge.search import SearchResult
from knowledge.types import Hit, Reader


class RecordingSearch:
    def __init__(self, result: SearchResult) -> None:
        self.result = result
        self.queries: list[str] = []

    def search(self, query: str, *, reader: Reader, k: int = 5, query_vector: Any = None) -> SearchResult:
        self.queries.append(query)
        return self.result


def hit(team: str, doc_id: str = "doc") -> Hit:
    return Hit(
        doc_id=doc_id, title="Titel", section="Titel › Deel", url=f"/documents/{doc_id}",
        audience="public", team=team, score=0.03, passage="Tekst.",
    )  # fmt: skip


NOTHING = SearchResult(hits=[], relevant=False)


@pytest.fixture
def store(tmp_path: Path) -> ConversationStore:
    engine = make_engine(f"sqlite:///{tmp_path / 'loket.db'}")
    create_schema(engine)
    return ConversationStore(sessions=make_sessionmaker(engine))


def escalations_of(store: ConversationStore, **filters: Any) -> list[Escalation]:
    return EscalationWorkflow(sessions=store._sessions).escalations(**filters)


def install(store: ConversationStore, search: Any, tmp_path: Path) -> None:
    hours = tmp_path / "teams.yml"
    days = "\n".join(f"  {d}: '00:00-23:59:59.999999'" for d in ("mon", "tue", "wed", "thu", "fri", "sat", "sun"))
    hours.write_text(f"timezone: Europe/Amsterdam\nchat_hours:\n{days}\n")
    context.install(
        context.ActionContext(
            search=search,
            store=store,
            escalations=EscalationWorkflow(sessions=store._sessions),
            office_hours=OfficeHours.from_yaml(hours),
        )
    )


def tracker(
    text: str,
    *,
    intent: str = "inform",
    sender: str = "c1",
    language: str = "nl",
    slots: dict[str, Any] | None = None,
    metadata: dict[str, Any] | None = None,
) -> Tracker:
    return Tracker.from_dict({
        "sender_id": sender,
        "slots": {"language": language, **(slots or {})},
        "latest_message": {
            "text": text, "intent": {"name": intent, "confidence": 1.0}, "metadata": metadata or {}
        },
        "events": [{"event": "user", "text": text}],
    })  # fmt: skip


def run(action: Any, t: Tracker) -> tuple[CollectingDispatcher, list[dict[str, Any]]]:
    dispatcher = CollectingDispatcher()
    return dispatcher, asyncio.run(action.run(dispatcher, t, {}))


def validate(action: Any, method: str, value: str, t: Tracker) -> tuple[CollectingDispatcher, dict[str, Any]]:
    dispatcher = CollectingDispatcher()
    return dispatcher, asyncio.run(getattr(action, method)(value, dispatcher, t, {}))


def slot_events(events: list[dict[str, Any]]) -> dict[str, Any]:
    return {e["name"]: e["value"] for e in events if e.get("event") == "slot"}


# --- crisis ------------------------------------------------------------------------------------


def test_crisis_shows_the_help_lines_first_and_escalates_with_high_priority(store, tmp_path) -> None:
    install(store, RecordingSearch(NOTHING), tmp_path)
    conversation = store.start(language="nl")
    t = tracker("/crisis", intent="crisis", sender=conversation, metadata={"crisis_text": "ik wil niet meer leven"})
    dispatcher, _ = run(ActionCrisis(), t)
    assert dispatcher.messages[0]["response"] == "utter_crisis"
    [case] = escalations_of(store)
    assert (case.reason, case.priority, case.team) == ("crisis", "high", "crisis")
    assert case.summary == "ik wil niet meer leven"


def test_crisis_help_lines_survive_a_failing_store(tmp_path) -> None:
    context.install(None)  # nothing installed: the escalation cannot be made
    dispatcher, _ = run(ActionCrisis(), tracker("I want to end my life", intent="crisis", language="en"))
    assert [m["response"] for m in dispatcher.messages] == ["utter_crisis"]


# --- follow-ups and fallback -------------------------------------------------------------------


def test_follow_up_is_searched_with_the_last_topic(store, tmp_path) -> None:
    search = RecordingSearch(SearchResult(hits=[hit("burgerzaken", "paspoort-aanvragen")], relevant=True))
    install(store, search, tmp_path)
    _, events = run(ActionAnswerQuestion(), tracker("wat kost een paspoort?", intent="ask_question"))
    assert slot_events(events)["last_topic"] == "wat kost een paspoort?"
    _, events = run(
        ActionAnswerQuestion(),
        tracker("en voor mijn kind?", intent="ask_followup", slots={"last_topic": "wat kost een paspoort?"}),
    )
    assert search.queries[-1] == "wat kost een paspoort? en voor mijn kind?"
    assert slot_events(events)["last_topic"] == "wat kost een paspoort?"


def test_a_new_question_is_not_mixed_with_the_old_topic(store, tmp_path) -> None:
    search = RecordingSearch(NOTHING)
    install(store, search, tmp_path)
    run(ActionAnswerQuestion(), tracker("hoe vraag ik een parkeervergunning aan?", intent="ask_question",
                                        slots={"last_topic": "wat kost een paspoort?"}))  # fmt: skip
    assert search.queries == ["hoe vraag ik een parkeervergunning aan?"]


def test_fallback_asks_to_rephrase_once_then_searches(store, tmp_path) -> None:
    search = RecordingSearch(NOTHING)
    install(store, search, tmp_path)
    dispatcher, events = run(ActionFallback(), tracker("blabla", intent="nlu_fallback"))
    assert dispatcher.messages[0]["response"] == "utter_rephrase" and not search.queries
    assert slot_events(events) == {"fallback_count": 1.0}
    dispatcher, events = run(ActionFallback(), tracker("qwerty", intent="nlu_fallback", slots={"fallback_count": 1.0}))
    # Twice not understood and nothing found: a person takes over (no third "sorry?").
    assert dispatcher.messages[0]["response"] in ("utter_handoff_now", "utter_handoff_later")
    assert search.queries[0] == "qwerty"  # (routing for the packet may search again)
    assert slot_events(events)["human_offered"] is False and slot_events(events)["fallback_count"] == 0.0
    assert [e.reason for e in escalations_of(store)] == ["repeated_fallback"]


def test_unsure_follow_up_is_still_a_follow_up(store, tmp_path) -> None:
    search = RecordingSearch(SearchResult(hits=[hit("burgerzaken")], relevant=True))
    install(store, search, tmp_path)
    run(
        ActionFallback(),
        tracker("and for my kid?", intent="nlu_fallback", slots={"last_topic": "passport cost"}),
    )
    assert search.queries == ["passport cost and for my kid?"]


# --- forms ---------------------------------------------------------------------------------------


def test_report_photo_can_be_skipped_or_given_as_a_link() -> None:
    form = ValidateReportForm()
    _, result = validate(form, "validate_report_photo", "nee", tracker("nee", intent="deny"))
    assert result == {"report_photo": SKIPPED}
    _, result = validate(form, "validate_report_photo", "zie https://x.nl/a.jpg", tracker("zie https://x.nl/a.jpg"))
    assert result == {"report_photo": "https://x.nl/a.jpg"}
    dispatcher, result = validate(form, "validate_report_photo", "een mooie foto", tracker("een mooie foto"))
    assert result == {"report_photo": None} and dispatcher.messages[0]["response"] == "utter_invalid_photo"


def test_confirmation_understands_yes_and_no_and_asks_again_otherwise() -> None:
    form = ValidateReportForm()
    assert validate(form, "validate_report_confirmed", "ja", tracker("ja", intent="affirm"))[1] == {
        "report_confirmed": "yes"
    }
    assert validate(form, "validate_report_confirmed", "no", tracker("no", intent="deny"))[1] == {
        "report_confirmed": "no"
    }
    dispatcher, result = validate(form, "validate_report_confirmed", "misschien", tracker("misschien"))
    assert result == {"report_confirmed": None} and dispatcher.messages[0]["response"] == "utter_yes_or_no"


def test_complaint_needs_an_email_or_phone_number() -> None:
    form = ValidateComplaintForm()
    assert validate(form, "validate_complaint_contact", "a@b.nl", tracker("a@b.nl"))[1] == {
        "complaint_contact": "a@b.nl"
    }
    assert validate(form, "validate_complaint_contact", "06 1234 5678", tracker("x"))[1]["complaint_contact"]
    dispatcher, result = validate(form, "validate_complaint_contact", "liever niet", tracker("liever niet"))
    assert result == {"complaint_contact": None} and dispatcher.messages[0]["response"] == "utter_invalid_contact"


REPORT = {"report_what": "lantaarnpaal kapot", "report_where": "Kerkstraat 12", "report_photo": SKIPPED,
          "report_contact": "piet@example.nl", "report_confirmed": "yes"}  # fmt: skip


def test_confirmation_reads_the_answers_back_with_skipped_ones_as_none() -> None:
    dispatcher, _ = run(ActionAskReportConfirmed(), tracker("piet@example.nl", slots=REPORT))
    message = dispatcher.messages[0]
    assert message["response"] == "utter_confirm_report"
    assert (message["what"], message["photo"]) == ("lantaarnpaal kapot", "(geen)")


def test_report_creates_a_case_for_public_space_with_the_form_data(store, tmp_path) -> None:
    install(store, RecordingSearch(SearchResult(hits=[hit("burgerzaken")], relevant=True)), tmp_path)
    conversation = store.start(language="nl")
    dispatcher, events = run(ActionSubmitReport(), tracker("ja", intent="affirm", sender=conversation, slots=REPORT))
    [case] = escalations_of(store)
    assert (case.reason, case.team, case.language) == ("public_space_report", "openbare_ruimte", "nl")
    assert case.form_data == {
        "form": "public_space_report", "what": "lantaarnpaal kapot", "where": "Kerkstraat 12",
        "photo": None, "contact": "piet@example.nl",
    }  # fmt: skip
    assert case.routing["team"] == "burgerzaken"  # routing's view is kept, but it may not move a report there
    message = dispatcher.messages[0]
    assert message["response"] == "utter_case_created" and message["reference"] == case.id
    assert message["team"] == "Openbare ruimte" and "werkdag" in message["response_time"]
    assert slot_events(events)["report_what"] is None


def test_report_goes_to_enforcement_when_routing_is_sure(store, tmp_path) -> None:
    install(store, RecordingSearch(SearchResult(hits=[hit("handhaving")] * 3, relevant=True)), tmp_path)
    conversation = store.start(language="en")
    run(
        ActionSubmitReport(),
        tracker("yes", intent="affirm", sender=conversation, language="en", slots=REPORT),
    )
    assert escalations_of(store)[0].team == "handhaving"


def test_complaint_goes_to_complaints_team(store, tmp_path) -> None:
    install(store, RecordingSearch(SearchResult(hits=[hit("burgerzaken")] * 3, relevant=True)), tmp_path)
    conversation = store.start(language="en")
    slots = {"complaint_what": "rude", "complaint_when": "yesterday", "complaint_desired_outcome": "apology",
             "complaint_contact": "a@b.nl", "complaint_confirmed": "yes"}  # fmt: skip
    dispatcher, _ = run(
        ActionSubmitComplaint(),
        tracker("yes", intent="affirm", sender=conversation, language="en", slots=slots),
    )
    [case] = escalations_of(store)
    assert (case.reason, case.team) == ("complaint", "klachten_bezwaar")
    assert case.form_data["desired_outcome"] == "apology"
    assert dispatcher.messages[0]["team"] == "Complaints and Objections"


def test_unconfirmed_report_is_not_sent(store, tmp_path) -> None:
    install(store, RecordingSearch(NOTHING), tmp_path)
    dispatcher, events = run(
        ActionSubmitReport(), tracker("nee", intent="deny", slots={**REPORT, "report_confirmed": "no"})
    )
    assert escalations_of(store) == [] and dispatcher.messages[0]["response"] == "utter_case_not_sent"
    assert slot_events(events)["report_confirmed"] is None


def test_a_person_asked_for_mid_form_gets_the_answers_so_far(store, tmp_path) -> None:
    install(store, RecordingSearch(NOTHING), tmp_path)
    conversation = store.start(language="nl")
    slots = {"report_what": "gat in de weg", "report_where": None}
    run(
        ActionRequestHuman(),
        tracker("ik wil een medewerker", intent="request_human", sender=conversation, slots=slots),
    )
    [case] = escalations_of(store)
    assert (case.reason, case.team) == ("requested_human", "openbare_ruimte")
    assert case.form_data["what"] == "gat in de weg" and case.form_data["complete"] is False


def test_cancel_forgets_the_answers() -> None:
    dispatcher, events = run(ActionCancelForm(), tracker("stop", intent="cancel", slots=REPORT))
    assert dispatcher.messages[0]["response"] == "utter_form_cancelled"
    assert slot_events(events)["report_what"] is None and slot_events(events)["complaint_what"] is None


def test_an_installed_routing_service_is_used(store, tmp_path) -> None:
    install(store, RecordingSearch(NOTHING), tmp_path)
    context.current().route = lambda text: {"team": "afval", "confidence": 0.95, "explanation": "test"}
    conversation = store.start(language="nl")
    run(ActionSubmitReport(), tracker("ja", intent="affirm", sender=conversation, slots=REPORT))
    assert escalations_of(store)[0].team == "afval"
