"""The two-stage fallback on low NLU confidence: rephrase once, then the documents or a person."""

from __future__ import annotations

from actions.fallback import ActionFallback, rephrase_requests_in_a_row
from knowledge.answerability import Evidence
from knowledge.answers import Answer
from tests.actions.conftest import (
    NOTHING,
    PASSPORT_TOPIC,
    UNCOVERED,
    AnswersFollowUps,
    RecordingAnswers,
    answered,
    escalations_of,
    install,
    run,
    slot_events,
    tracker,
)


def _user(text: str) -> dict[str, object]:
    return {"event": "user", "text": text}


def _bot(response: str) -> dict[str, object]:
    return {"event": "bot", "text": "...", "metadata": {"utter_action": response}}


def test_fallback_asks_to_rephrase_once_then_hands_over(store, tmp_path) -> None:
    answers = RecordingAnswers(NOTHING)
    install(store, answers, tmp_path)
    dispatcher, events = run(ActionFallback(), tracker("blabla", intent="nlu_fallback"))
    assert dispatcher.messages[0]["response"] == "utter_rephrase"
    assert answers.calls[0]["intent"] == "nlu_fallback"  # the engine's stricter threshold applies
    assert events == []
    asked = [_user("blabla"), _bot("utter_rephrase"), _user("qwerty")]
    dispatcher, events = run(ActionFallback(), tracker("qwerty", intent="nlu_fallback", events=asked))
    # Twice not understood and nothing found: a person takes over (no third "sorry?").
    assert dispatcher.messages[0]["response"] in ("utter_handoff_now", "utter_handoff_later")
    assert answers.queries[-1] == "qwerty"
    assert slot_events(events)["human_offered"] is False
    assert [e.reason for e in escalations_of(store)] == ["repeated_fallback"]


def test_an_unsure_request_for_a_person_is_handed_over_at_once(store, tmp_path) -> None:
    """ "Ik wil een medewerker spreken over mijn ..." with a word the NLU never saw: no "sorry?"."""
    answers = RecordingAnswers(NOTHING)
    install(store, answers, tmp_path)
    dispatcher, events = run(
        ActionFallback(), tracker("Ik wil een medewerker spreken over mijn kwestiebeigaplija", intent="nlu_fallback")
    )
    assert dispatcher.messages[0]["response"] in ("utter_handoff_now", "utter_handoff_later")
    assert [e.reason for e in escalations_of(store)] == ["requested_human"]
    assert answers.calls == []  # handed over without searching the documents


def test_the_declined_search_says_nothing_before_the_rephrase_request(store, tmp_path) -> None:
    """The documents are tried silently: no "I have no information" before "could you rephrase?"."""
    install(store, RecordingAnswers(NOTHING), tmp_path)
    dispatcher, _ = run(ActionFallback(), tracker("blabla", intent="nlu_fallback"))
    assert [m["response"] for m in dispatcher.messages] == ["utter_rephrase"]
    assert escalations_of(store) == []


def test_a_municipal_subject_the_documents_lack_gets_no_information_not_a_rephrase_request(store, tmp_path) -> None:
    """ "ik wil mijn naam veranderen": understood well enough to know the pages have nothing on it,
    so the citizen hears that, with the contact route and the offer of a person."""
    install(store, RecordingAnswers(UNCOVERED), tmp_path)
    dispatcher, events = run(ActionFallback(), tracker("ik wil mijn naam veranderen", intent="nlu_fallback"))
    assert [m["response"] for m in dispatcher.messages] == ["utter_no_answer"]
    assert slot_events(events)["human_offered"] is True  # "ja" hands over to a person
    assert escalations_of(store) == []


def test_gibberish_after_an_answer_is_not_read_as_a_follow_up(store, tmp_path) -> None:
    """ "asdf qwerty" finds no page of its own, as a short follow-up does: without an aspect, a word
    on the pages or a word pointing back, it is not a question about the page shown."""
    slots = {"last_topic": PASSPORT_TOPIC.to_json()}
    answers = AnswersFollowUps(NOTHING)
    install(store, answers, tmp_path)
    dispatcher, _ = run(ActionFallback(), tracker("asdf qwerty", intent="nlu_fallback", slots=slots))
    assert [m["response"] for m in dispatcher.messages] == ["utter_rephrase"]
    assert [call["follow_up"] for call in answers.calls] == [False]
    on_the_pages = Answer(answerable=False, score=0.1, hit=None, evidence=Evidence(values={"bm25": 1.9}))
    for text, first in (("mag mijn zus dat doen", NOTHING), ("kan ik in mei al gaan zagen", on_the_pages)):
        answers = AnswersFollowUps(first)
        install(store, answers, tmp_path)
        dispatcher, _ = run(ActionFallback(), tracker(text, intent="nlu_fallback", slots=slots))
        assert [m["response"] for m in dispatcher.messages] == ["utter_answer"], text
        assert [call["follow_up"] for call in answers.calls] == [False, True], text


def test_chit_chat_the_nlu_did_not_understand_is_not_read_as_a_follow_up_for_a_word_on_the_pages(
    store, tmp_path
) -> None:
    """ "is het vandaag zondag" after the bulky waste's page: a word on the pages ("zondag") and a
    "het" that points at nothing. Not understood by the NLU, that is not a question about the page
    shown; "maakt dat nog uit" (a "dat" that points back) and "kan ik in mei al gaan zagen" (what
    the citizen may do) are."""
    slots = {"last_topic": PASSPORT_TOPIC.to_json()}
    on_the_pages = Answer(answerable=False, score=0.1, hit=None, evidence=Evidence(values={"bm25": 1.6}))
    for text, intent in (("is het vandaag zondag", "nlu_fallback"), ("het regent hier al de hele dag", "inform")):
        answers = AnswersFollowUps(on_the_pages)
        install(store, answers, tmp_path)
        run(ActionFallback(), tracker(text, intent=intent, slots=slots))
        assert [call["follow_up"] for call in answers.calls] == [False], text
    for text in ("ik ben 76, maakt dat nog uit", "kan ik in mei al gaan zagen"):
        answers = AnswersFollowUps(on_the_pages)
        install(store, answers, tmp_path)
        dispatcher, _ = run(ActionFallback(), tracker(text, intent="nlu_fallback", slots=slots))
        assert [call["follow_up"] for call in answers.calls] == [False, True], text
        assert [m["response"] for m in dispatcher.messages] == ["utter_answer"], text


def test_fallback_answers_when_the_documents_clearly_do(store, tmp_path) -> None:
    install(store, RecordingAnswers(answered()), tmp_path)
    dispatcher, events = run(ActionFallback(), tracker("paspoort prijs volwassene", intent="nlu_fallback"))
    assert [m["response"] for m in dispatcher.messages] == ["utter_answer"]
    assert slot_events(events)["human_offered"] is False


def test_a_second_miss_the_documents_answer_is_answered(store, tmp_path) -> None:
    install(store, RecordingAnswers(answered()), tmp_path)
    asked = [_user("blabla"), _bot("utter_rephrase"), _user("paspoort prijs volwassene")]
    dispatcher, _ = run(ActionFallback(), tracker("paspoort prijs volwassene", intent="nlu_fallback", events=asked))
    assert [m["response"] for m in dispatcher.messages] == ["utter_answer"]
    assert escalations_of(store) == []  # answered: nobody is called in


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


def test_a_follow_up_without_a_previous_topic_is_an_ordinary_miss(store, tmp_path) -> None:
    answers = RecordingAnswers(NOTHING)
    install(store, answers, tmp_path)
    dispatcher, _ = run(ActionFallback(), tracker("and for my kid?", intent="nlu_fallback", language="en"))
    assert answers.calls[0]["follow_up"] is False and answers.calls[0]["topic"] is None
    assert [m["response"] for m in dispatcher.messages] == ["utter_rephrase"]


def test_rephrase_requests_are_counted_back_to_the_first_turn_that_was_not_one() -> None:
    assert rephrase_requests_in_a_row([_user("a")]) == 0
    assert rephrase_requests_in_a_row([_user("a"), _bot("utter_answer"), _user("b")]) == 0
    assert rephrase_requests_in_a_row([_user("a"), _bot("utter_rephrase"), _user("b")]) == 1
    two = [_user("a"), _bot("utter_rephrase"), _user("b"), _bot("utter_rephrase"), _user("c")]
    assert rephrase_requests_in_a_row(two) == 2
    broken = [_user("a"), _bot("utter_rephrase"), _user("b"), _bot("utter_answer"), _user("c")]
    assert rephrase_requests_in_a_row(broken) == 0
