"""Crisis signals: the help lines are shown first, whatever happens to the escalation after them."""

from __future__ import annotations

from actions.crisis import ActionCrisis
from api.services.conversations import ConversationStore
from api.services.database import make_engine, make_sessionmaker
from tests.actions.conftest import NOTHING, RecordingAnswers, escalations_of, install, run, tracker


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
