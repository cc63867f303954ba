"""Crisis, follow-ups, the two-stage fallback and the forms, run with CollectingDispatcher."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
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
from actions.threat import ActionThreat
from api.services.conversations import ConversationStore
from api.services.crisis import crisis_signal
from api.services.database import create_schema, make_engine, make_sessionmaker
from api.services.escalations import Escalation, EscalationWorkflow
from api.services.office_hours import OfficeHours
from knowledge.answers import Answer, Topic
from knowledge.types import Hit
from routing.config import ROUTING_DIR
from routing.router import LazyRouter, make_router
from routing.teams import TeamDirectory


class RecordingAnswers:
    """The citizen answer service's Protocol, recording each question and how it was asked."""

    def __init__(self, result: Answer) -> None:
        self.result = result
        self.calls: list[dict[str, Any]] = []

    @property
    def queries(self) -> list[str]:
        return [call["question"] for call in self.calls]

    def answer(self, question: str, **kwargs: Any) -> Answer:
        self.calls.append({"question": question, **kwargs})
        return self.result

    def document_language(self, doc_id: str) -> str:
        return "nl"


def hit(team: str, doc_id: str = "doc") -> Hit:
    return Hit(
        doc_id=doc_id, title="Titel", section="Titel › Deel", url=f"/documents/{doc_id}",
        audience="public", team=team, score=0.03, passage="Tekst.",
    )  # fmt: skip


NOTHING = Answer(answerable=False, score=0.0, hit=None)
PASSPORT_TOPIC = Topic("paspoort-aanvragen", "wat kost een paspoort?", ("costs",))


def answered(doc_id: str = "paspoort-aanvragen", topic: Topic = PASSPORT_TOPIC) -> Answer:
    passage = hit("burgerzaken", doc_id)
    return Answer(answerable=True, score=0.9, hit=passage, sources=[passage], topic=topic)


@pytest.fixture
def store(tmp_path: Path) -> ConversationStore:
    engine = make_engine(f"sqlite:///{tmp_path / 'loket.db'}")
    create_schema(engine)
    return ConversationStore(sessions=make_sessionmaker(engine))


def escalations_of(store: ConversationStore, **filters: Any) -> list[Escalation]:
    return EscalationWorkflow(sessions=store._sessions).escalations(**filters)


def unsure(text: str) -> dict[str, Any]:
    """A route service that is never sure: the case waits in moderator triage."""
    return {"team": None, "status": "unsure", "confidence": 0.0, "explanation": "test"}


def decides(team: str, confidence: float = 1.0) -> Callable[[str], dict[str, Any]]:
    """A route service that sends everything to `team`."""
    return lambda text: {"team": team, "status": "routed", "confidence": confidence, "explanation": "test"}


SHIPPED_TEAMS = TeamDirectory.load(ROUTING_DIR / "teams.yml")


def install(
    store: ConversationStore, answers: Any, tmp_path: Path, route: Callable[[str], dict[str, Any]] = unsure
) -> None:
    hours = tmp_path / "teams.yml"
    days = "\n".join(f"  {d}: '00:00-23:59:59.999999'" for d in ("mon", "tue", "wed", "thu", "fri", "sat", "sun"))
    hours.write_text(f"timezone: Europe/Amsterdam\nchat_hours:\n{days}\n")
    context.install(
        context.ActionContext(
            answers=answers,
            store=store,
            escalations=EscalationWorkflow(sessions=store._sessions),
            office_hours=OfficeHours.from_teams(TeamDirectory.load(hours)),
            teams=SHIPPED_TEAMS,
            route=route,
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
    install(store, RecordingAnswers(NOTHING), tmp_path)
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


def test_a_follow_up_is_answered_on_the_topic_of_the_last_answer(store, tmp_path) -> None:
    answers = RecordingAnswers(answered())
    install(store, answers, tmp_path)
    _, events = run(ActionAnswerQuestion(), tracker("wat kost een paspoort?", intent="ask_question"))
    topic = slot_events(events)["last_topic"]
    assert topic == PASSPORT_TOPIC.to_json() and answers.calls[0]["follow_up"] is False
    _, events = run(
        ActionAnswerQuestion(), tracker("en voor mijn kind?", intent="ask_followup", slots={"last_topic": topic})
    )
    assert answers.calls[-1]["follow_up"] is True and answers.calls[-1]["topic"] == PASSPORT_TOPIC
    assert answers.queries[-1] == "en voor mijn kind?"


def test_a_new_question_is_not_a_follow_up_of_the_old_topic(store, tmp_path) -> None:
    answers = RecordingAnswers(NOTHING)
    install(store, answers, tmp_path)
    run(ActionAnswerQuestion(), tracker("hoe vraag ik een parkeervergunning aan?", intent="ask_question",
                                        slots={"last_topic": PASSPORT_TOPIC.to_json()}))  # fmt: skip
    assert answers.calls[0]["follow_up"] is False


def test_fallback_asks_to_rephrase_once_then_hands_over(store, tmp_path) -> None:
    answers = RecordingAnswers(NOTHING)
    install(store, answers, tmp_path)
    dispatcher, events = run(ActionFallback(), tracker("blabla", intent="nlu_fallback"))
    assert dispatcher.messages[0]["response"] == "utter_rephrase"
    assert answers.calls[0]["intent"] == "nlu_fallback"  # the engine's stricter threshold applies
    assert slot_events(events) == {"fallback_count": 1.0}
    dispatcher, events = run(ActionFallback(), tracker("qwerty", intent="nlu_fallback", slots={"fallback_count": 1.0}))
    # Twice not understood and nothing found: a person takes over (no third "sorry?").
    assert dispatcher.messages[0]["response"] in ("utter_handoff_now", "utter_handoff_later")
    assert answers.queries[-1] == "qwerty"
    assert slot_events(events)["human_offered"] is False and slot_events(events)["fallback_count"] == 0.0
    assert [e.reason for e in escalations_of(store)] == ["repeated_fallback"]


def test_fallback_answers_when_the_documents_clearly_do(store, tmp_path) -> None:
    install(store, RecordingAnswers(answered()), tmp_path)
    dispatcher, events = run(ActionFallback(), tracker("paspoort prijs volwassene", intent="nlu_fallback"))
    assert [m["response"] for m in dispatcher.messages] == ["utter_answer"]
    assert slot_events(events)["human_offered"] is False


def test_unsure_follow_up_is_still_a_follow_up(store, tmp_path) -> None:
    answers = RecordingAnswers(answered())
    install(store, answers, tmp_path)
    run(
        ActionFallback(),
        tracker("and for my kid?", intent="nlu_fallback", slots={"last_topic": PASSPORT_TOPIC.to_json()}),
    )
    assert answers.calls == [
        {**answers.calls[0], "question": "and for my kid?", "follow_up": True, "topic": PASSPORT_TOPIC}
    ]


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
    install(store, RecordingAnswers(NOTHING), tmp_path, route=decides("burgerzaken"))
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
    install(store, RecordingAnswers(NOTHING), tmp_path, route=decides("handhaving"))
    conversation = store.start(language="en")
    run(
        ActionSubmitReport(),
        tracker("yes", intent="affirm", sender=conversation, language="en", slots=REPORT),
    )
    assert escalations_of(store)[0].team == "handhaving"


def test_complaint_goes_to_complaints_team(store, tmp_path) -> None:
    install(store, RecordingAnswers(NOTHING), tmp_path, route=decides("burgerzaken"))
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
    install(store, RecordingAnswers(NOTHING), tmp_path)
    dispatcher, events = run(
        ActionSubmitReport(), tracker("nee", intent="deny", slots={**REPORT, "report_confirmed": "no"})
    )
    assert escalations_of(store) == [] and dispatcher.messages[0]["response"] == "utter_case_not_sent"
    assert slot_events(events)["report_confirmed"] is None


def test_a_person_asked_for_mid_form_gets_the_answers_so_far(store, tmp_path) -> None:
    install(store, RecordingAnswers(NOTHING), tmp_path)
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
    install(store, RecordingAnswers(NOTHING), tmp_path, route=decides("afval", 0.95))
    conversation = store.start(language="nl")
    run(ActionSubmitReport(), tracker("ja", intent="affirm", sender=conversation, slots=REPORT))
    assert escalations_of(store)[0].team == "afval"


ROUTER_TEAMS = """
teams:
  afval:
    name: {nl: Afval, en: Waste}
    keywords: [container, grofvuil]
    examples: {nl: [de container is niet geleegd, grofvuil laten ophalen]}
  openbare_ruimte:
    name: {nl: Openbare ruimte, en: Public Space}
    keywords: [lantaarnpaal, stoeptegel]
    examples: {nl: [lantaarnpaal kapot, losse stoeptegel]}
"""


def test_a_report_routed_by_the_real_router(store, tmp_path) -> None:
    """What the api installs: a LazyRouter's route_dict (here on a small teams file and the hashing embedder)."""
    config = tmp_path / "routing"
    config.mkdir()
    (config / "teams.yml").write_text(ROUTER_TEAMS, encoding="utf-8")
    (config / "out_of_scope.yml").write_text("examples:\n  nl: [wat voor weer wordt het morgen]\n", encoding="utf-8")
    (config / "routing.yml").write_text("params:\n  default: {temperature: 0.1, top_k: 1}\n", encoding="utf-8")
    router = LazyRouter(lambda: make_router(embedder_name="hashing", crisis=crisis_signal, directory=config))
    install(store, RecordingAnswers(NOTHING), tmp_path, route=router.route_dict)
    conversation = store.start(language="nl")
    slots = {**REPORT, "report_what": "de container is niet geleegd"}
    run(ActionSubmitReport(), tracker("ja", intent="affirm", sender=conversation, slots=slots))
    [case] = escalations_of(store)
    assert (case.routing["team"], case.routing["status"]) == ("afval", "routed")
    assert case.routing["confidence"] >= 0.8 and case.team == "afval"  # sure enough to move a report


# --- referrals to national organisations ---------------------------------------------------------


def test_a_question_for_a_national_organisation_gets_its_referral_not_a_page(store, tmp_path) -> None:
    answers = RecordingAnswers(answered())
    install(store, answers, tmp_path, route=decides("belastingdienst", 0.95))
    dispatcher, events = run(ActionAnswerQuestion(), tracker("ik wil huurtoeslag", intent="ask_question"))
    [message] = dispatcher.messages
    assert message["response"] == "utter_referral"
    assert message["custom"]["referral"]["org"] == "belastingdienst"
    assert "belastingdienst.nl" in message["referral_text"] and message["custom"]["referral"]["phone"]
    assert answers.calls == []  # no municipal page is looked for
    assert slot_events(events)["human_offered"] is False


def test_an_unsure_or_municipal_route_does_not_refer(store, tmp_path) -> None:
    for route in (decides("belastingdienst", 0.5), decides("belastingen", 0.99), unsure):
        answers = RecordingAnswers(answered())
        install(store, answers, tmp_path, route=route)
        dispatcher, _ = run(ActionAnswerQuestion(), tracker("aanslag gemeentelijke belastingen", intent="ask_question"))
        assert [m["response"] for m in dispatcher.messages] == ["utter_answer"]


def test_routing_failure_still_answers(store, tmp_path) -> None:
    def broken(text: str) -> dict[str, Any]:
        raise RuntimeError("router not available")

    install(store, RecordingAnswers(answered()), tmp_path, route=broken)
    dispatcher, _ = run(ActionAnswerQuestion(), tracker("wat kost een paspoort", intent="ask_question"))
    assert [m["response"] for m in dispatcher.messages] == ["utter_answer"]


def test_a_threat_gets_a_calm_answer_no_form_and_a_flagged_escalation(store, tmp_path) -> None:
    install(store, RecordingAnswers(NOTHING), tmp_path)
    conversation = store.start(language="nl")
    t = tracker("/threat", intent="threat", sender=conversation)
    t.latest_message["metadata"] = {"threat_text": "ik kom jullie halen"}
    dispatcher, events = run(ActionThreat(), t)
    assert [m["response"] for m in dispatcher.messages] == ["utter_threat"]
    [escalation] = escalations_of(store)
    assert (escalation.reason, escalation.priority, escalation.summary) == ("threat", "high", "ik kom jullie halen")
    assert not any(e.get("event") == "active_loop" for e in events)


def test_a_short_message_without_a_page_of_its_own_is_read_as_a_follow_up(store, tmp_path) -> None:
    class FirstDeclines(RecordingAnswers):
        def answer(self, question: str, **kwargs: Any) -> Answer:
            super().answer(question, **kwargs)
            return answered() if kwargs.get("follow_up") else NOTHING

    answers = FirstDeclines(NOTHING)
    install(store, answers, tmp_path)
    dispatcher, _ = run(
        ActionAnswerQuestion(),
        tracker("duurt dat lang?", intent="ask_question", slots={"last_topic": PASSPORT_TOPIC.to_json()}),
    )
    assert [call["follow_up"] for call in answers.calls] == [False, True]
    assert answers.calls[1]["topic"] == PASSPORT_TOPIC
    assert [m["response"] for m in dispatcher.messages] == ["utter_answer"]
