"""Crisis signals: the help lines are shown first, whatever happens to the escalation after them."""

from __future__ import annotations

from actions.crisis import ActionCrisis, unsure_reading
from api.services.conversations import ConversationStore
from api.services.database import make_engine, make_sessionmaker
from tests.actions.conftest import NOTHING, RecordingAnswers, answered, escalations_of, install, run, tracker


def test_crisis_shows_the_help_lines_first_and_escalates_with_high_priority(store, tmp_path) -> None:
    install(store, RecordingAnswers(NOTHING), tmp_path)
    conversation = store.start(language="nl")
    t = tracker("/crisis", intent="crisis", sender=conversation, metadata={"crisis_text": "ik wil niet meer leven"})
    dispatcher, events = run(ActionCrisis(), t)
    assert [m["response"] for m in dispatcher.messages] == ["utter_crisis", "utter_crisis_escalated"]
    [case] = escalations_of(store)
    assert (case.reason, case.priority, case.team) == ("crisis", "high", "crisis")
    assert case.summary == "ik wil niet meer leven"
    assert events == []


def test_crisis_help_lines_survive_a_failing_store() -> None:
    # Nothing installed (conftest): the escalation cannot be made.
    dispatcher, _ = run(ActionCrisis(), tracker("I want to end my life", intent="crisis", language="en"))
    assert [m["response"] for m in dispatcher.messages] == ["utter_crisis"]


def test_crisis_does_not_claim_an_escalation_that_failed(tmp_path) -> None:
    # A database without its tables: every write fails, as with a broken or unreachable database.
    broken = ConversationStore(sessions=make_sessionmaker(make_engine(f"sqlite:///{tmp_path / 'empty.db'}")))
    install(broken, RecordingAnswers(NOTHING), tmp_path)
    dispatcher, _ = run(ActionCrisis(), tracker("/crisis", intent="crisis", metadata={"crisis_text": "help"}))
    assert [m["response"] for m in dispatcher.messages] == ["utter_crisis"]


def test_only_the_nlus_unsure_reading_is_unsure() -> None:
    assert unsure_reading(tracker("ik vind hem te hoog", intent="crisis_unsure", confidence=0.44))
    assert not unsure_reading(tracker("ik wil er niet meer zijn", intent="crisis", confidence=0.97))
    # The gateway's /crisis, from a phrase of data/crisis/signals.yml, is the sure intent.
    assert not unsure_reading(tracker("/crisis", intent="crisis", metadata={"crisis_text": "ik wil dood"}))


def test_an_unsure_reading_the_documents_answer_gets_the_answer_then_the_help_lines_asked(store, tmp_path) -> None:
    answers = RecordingAnswers(answered("overlast-melden"))
    install(store, answers, tmp_path)
    conversation = store.start(language="nl")
    t = tracker(
        "ik ben het zat met die buren, ik word er gek van", intent="crisis_unsure", confidence=0.84, sender=conversation
    )
    dispatcher, events = run(ActionCrisis(), t)
    responses = [m.get("response") for m in dispatcher.messages]
    assert responses[-1] == "utter_crisis_check" and "utter_crisis" not in responses
    assert answers.queries == ["ik ben het zat met die buren, ik word er gek van"]
    # A moderator still sees it, not as urgent; the answer's topic is kept for follow-ups.
    [case] = escalations_of(store)
    assert (case.reason, case.priority, case.team) == ("crisis", "normal", "crisis")
    assert any(e.get("name") == "last_topic" and e.get("value") for e in events)


def test_an_unsure_reading_the_documents_do_not_answer_is_a_crisis_like_any_other(store, tmp_path) -> None:
    install(store, RecordingAnswers(NOTHING), tmp_path)
    conversation = store.start(language="nl")
    t = tracker("het wordt me allemaal te veel", intent="crisis_unsure", confidence=0.6, sender=conversation)
    dispatcher, events = run(ActionCrisis(), t)
    assert [m["response"] for m in dispatcher.messages] == ["utter_crisis", "utter_crisis_escalated"]
    [case] = escalations_of(store)
    assert case.priority == "high"
    assert events == []


def test_a_sure_reading_is_not_answered_from_the_documents(store, tmp_path) -> None:
    answers = RecordingAnswers(answered())
    install(store, answers, tmp_path)
    conversation = store.start(language="nl")
    dispatcher, _ = run(ActionCrisis(), tracker("ik zie het niet meer zitten", intent="crisis", sender=conversation))
    assert [m["response"] for m in dispatcher.messages] == ["utter_crisis", "utter_crisis_escalated"]
    assert answers.queries == []
