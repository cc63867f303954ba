"""A report or complaint intent: what the documents answer is answered with the offer of the form;
a request for the form, or what the documents do not cover, starts it."""

from __future__ import annotations

import pytest

from actions.dialogue_config import dialogue_config
from actions.question_or_form import ActionAnswerOrStartForm, asks_for_the_form, is_question, offer_fits
from api.services.conversations import ConversationStore
from knowledge.answers import Answer
from knowledge.types import Hit
from tests.actions.conftest import (
    NOTHING,
    RecordingAnswers,
    answered,
    decides,
    escalations_of,
    install,
    run,
    slot_events,
    tracker,
)


@pytest.mark.parametrize(
    "text",
    [
        "Er staat al weken een aanhanger in onze straat, kan ik dat ergens melden?",
        "autowrak melden wat kost dat",
        "de stoeptegel ligt los, hoe geef ik dat door",
        "a car crashed into a lamp post, what should i do",
        "Where do I complain about the waste collection",
        "put in de straat zit verstopt waar meld ik dat",  # a question word, a verb, its subject
        "kapotte bank in het park waar doorgeven",  # as a search: the question word at the end
        "graffiti on the bus shelter, report where",
    ],
)
def test_questions_about_a_report_are_questions(text: str) -> None:
    assert is_question(text, config=dialogue_config())


@pytest.mark.parametrize(
    "text",
    [
        "de lantaarnpaal voor ons huis is kapot",
        "ik wil een klacht indienen over de medewerker aan de balie",
        "er ligt grofvuil naast de container bij de Kerkstraat",
        "I want to report a pothole",
        "ik wil iets melden",
        "de lamp in de straat waar ik woon is kapot",  # a relative clause: the subject first
        "de plek waar ik het vond ligt vol glas",
        "ik weet niet waar ik moet zijn maar de stoep is kapot",
    ],
)
def test_reports_are_not_questions(text: str) -> None:
    assert not is_question(text, config=dialogue_config())


@pytest.mark.parametrize(
    ("text", "form"),
    [
        ("ik wil een klacht indienen over de medewerker aan de balie", "complaint_form"),
        ("Ik wil doorgeven dat de lantaarnpaal voor ons huis kapot is", "report_form"),
        ("graag een melding maken van zwerfvuil in het park", "report_form"),
        ("I want to report a pothole", "report_form"),
        ("I'd like to file a complaint, please", "complaint_form"),
        ("report a broken bench in the park", "report_form"),
        ("ik wil iets melden", "report_form"),
        ("ik wil klagen over hoe ik aan de telefoon behandeld ben", "complaint_form"),
    ],
)
def test_a_request_for_the_form_asks_for_the_form(text: str, form: str) -> None:
    assert asks_for_the_form(text, form=form, config=dialogue_config())


@pytest.mark.parametrize(
    ("text", "form"),
    [
        ("de lantaarnpaal voor ons huis is kapot", "report_form"),  # tells what happened: the page may say what next
        ("onze grijze container is vandaag niet geleegd", "report_form"),
        ("there is a pothole in my street", "report_form"),
        (
            "ik wil weten of ik een kapotte lantaarnpaal kan melden?",
            "report_form",
        ),  # a question, whatever it opens with
        ("graffiti on the bus shelter, report where", "report_form"),
        ("de bewoners willen een nieuwe speeltuin", "report_form"),  # "willen" is no request of the citizen's own
        # Heard as a complaint by the NLU, but an objection to a decision: the bezwaar page answers it.
        ("ik wil bezwaar maken tegen een besluit van de gemeente", "complaint_form"),
        ("I want to object to the decision on my permit", "complaint_form"),
    ],
)
def test_a_question_or_an_account_of_what_happened_does_not_ask_for_the_form(text: str, form: str) -> None:
    assert not asks_for_the_form(text, form=form, config=dialogue_config())


@pytest.mark.parametrize(
    "text",
    [
        "kan ik een kapotte lantaarnpaal melden?",  # a question about reporting
        "onze grijze container is vandaag niet geleegd",  # what happened, told as a statement
    ],
)
def test_what_the_documents_answer_gets_the_answer_and_the_offer_and_no_form(
    store: ConversationStore, tmp_path, text: str
) -> None:
    answers = RecordingAnswers(answered())
    install(store, answers, tmp_path)
    dispatcher, events = run(ActionAnswerOrStartForm(), tracker(text, intent="report_problem"))
    assert [m["response"] for m in dispatcher.messages] == ["utter_answer", "utter_offer_report"]
    assert events[-1] == {"event": "followup", "name": "action_listen", "timestamp": None}
    assert slot_events(events)["human_offered"] is False
    assert answers.queries == [text]


def test_a_complaint_question_offers_the_complaint_form(store: ConversationStore, tmp_path) -> None:
    install(store, RecordingAnswers(answered()), tmp_path)
    question = tracker("hoe lang duurt het voor jullie op een klacht reageren?", intent="file_complaint")
    dispatcher, _ = run(ActionAnswerOrStartForm(), question)
    assert dispatcher.messages[-1]["response"] == "utter_offer_complaint"


def test_a_question_taken_for_a_complaint_is_answered_without_the_offer_when_nothing_speaks_of_one(
    store: ConversationStore, tmp_path
) -> None:
    """The NLU hears a complaint in a question about one's own data; the privacy section answers
    it, and neither the question nor that section speaks of a complaint."""
    install(store, RecordingAnswers(answered("woo-verzoek")), tmp_path)
    question = tracker("welke persoonsgegevens bewaart de gemeente over mij?", intent="file_complaint")
    dispatcher, events = run(ActionAnswerOrStartForm(), question)
    assert [m["response"] for m in dispatcher.messages] == ["utter_answer"]
    assert events[-1] == {"event": "followup", "name": "action_listen", "timestamp": None}
    assert "complaint_form" not in slot_events(events).values()


def test_an_answer_from_the_complaints_page_offers_the_complaint_form(store: ConversationStore, tmp_path) -> None:
    """No complaint word in the message, but the section that answers is about complaints."""
    passage = Hit(
        doc_id="klacht-indienen", title="Klacht indienen", section="Klacht indienen › Hoe dient u een klacht in",
        url="/documents/klacht-indienen", audience="public", team="klantcontact", score=0.9, passage="Tekst.",
    )  # fmt: skip
    install(store, RecordingAnswers(Answer(answerable=True, score=0.9, hit=passage, sources=[passage])), tmp_path)
    rude = tracker("de medewerker aan de balie was onbeschoft tegen mij, wat kan ik doen?", intent="file_complaint")
    dispatcher, events = run(ActionAnswerOrStartForm(), rude)
    assert [m["response"] for m in dispatcher.messages] == ["utter_answer", "utter_offer_complaint"]
    assert slot_events(events)["form_offered"] == "complaint_form"


def test_a_report_is_offered_whatever_the_words() -> None:
    config = dialogue_config()
    assert offer_fits("report_form", "de lantaarnpaal is kapot", [], config=config)
    assert not offer_fits("complaint_form", "welke gegevens heeft u over mij", [], config=config)
    assert offer_fits("complaint_form", "hoe lang duurt het voor jullie op mijn klacht reageren", [], config=config)
    assert offer_fits("complaint_form", "I want to complain about the waste collection", [], config=config)


def test_a_request_for_the_form_starts_it_without_asking_the_documents(store: ConversationStore, tmp_path) -> None:
    answers = RecordingAnswers(answered())
    install(store, answers, tmp_path)
    dispatcher, events = run(
        ActionAnswerOrStartForm(), tracker("ik wil een kapotte lantaarnpaal melden", intent="report_problem")
    )
    assert dispatcher.messages == [] and events == [] and answers.queries == []


def test_what_happened_that_the_documents_do_not_cover_starts_the_form_with_it(
    store: ConversationStore, tmp_path
) -> None:
    """The account is the form's first answer, said back: the form goes on with "Waar is het?"."""
    install(store, RecordingAnswers(NOTHING), tmp_path)
    dispatcher, events = run(
        ActionAnswerOrStartForm(), tracker("de lantaarnpaal voor ons huis is kapot", intent="report_problem")
    )
    assert [(m["response"], m["what"]) for m in dispatcher.messages] == [
        ("utter_report_taken_up", "de lantaarnpaal voor ons huis is kapot")
    ]
    assert slot_events(events) == {"report_what": "de lantaarnpaal voor ons huis is kapot"}
    dispatcher, events = run(
        ActionAnswerOrStartForm(), tracker("de man aan de balie was erg onbeschoft", intent="file_complaint")
    )
    assert [m["response"] for m in dispatcher.messages] == ["utter_complaint_taken_up"]
    assert slot_events(events) == {"complaint_what": "de man aan de balie was erg onbeschoft"}


def test_a_question_the_documents_cannot_answer_starts_the_form_silently(store: ConversationStore, tmp_path) -> None:
    install(store, RecordingAnswers(NOTHING), tmp_path)
    dispatcher, events = run(
        ActionAnswerOrStartForm(), tracker("kunnen jullie de bank in het park repareren?", intent="report_problem")
    )
    assert dispatcher.messages == [] and events == []


def test_a_report_the_nlu_is_unsure_of_starts_no_form_and_is_asked_again(store: ConversationStore, tmp_path) -> None:
    # A smart-home command reads as a weak report; with nothing in the documents the citizen is
    # asked to say it differently (the examples include how to ask for the form), not given a form.
    install(store, RecordingAnswers(NOTHING), tmp_path)
    dispatcher, events = run(
        ActionAnswerOrStartForm(), tracker("doe de rolluiken omlaag", intent="report_problem", confidence=0.42)
    )
    assert [m["response"] for m in dispatcher.messages] == ["utter_rephrase"]
    assert events == [{"event": "followup", "name": "action_listen", "timestamp": None}]


def test_a_second_report_in_a_row_the_nlu_is_unsure_of_goes_to_a_person(store: ConversationStore, tmp_path) -> None:
    # The slot counting misunderstood messages is reset by any intent but nlu_fallback; the
    # rephrase request just made still counts, so there is no third "sorry?".
    install(store, RecordingAnswers(NOTHING), tmp_path)
    events = [
        {"event": "user", "text": "doe de rolluiken omlaag"},
        {"event": "bot", "text": "Sorry ...", "metadata": {"utter_action": "utter_rephrase"}},
        {"event": "user", "text": "doe de rolluiken omlaag"},
    ]
    dispatcher, _ = run(
        ActionAnswerOrStartForm(),
        tracker("doe de rolluiken omlaag", intent="report_problem", confidence=0.42, events=events),
    )
    assert dispatcher.messages[0]["response"] in ("utter_handoff_now", "utter_handoff_later")
    assert [e.reason for e in escalations_of(store)] == ["repeated_fallback"]


def test_a_report_the_nlu_is_sure_of_starts_the_form(store: ConversationStore, tmp_path) -> None:
    install(store, RecordingAnswers(NOTHING), tmp_path)
    threshold = dialogue_config().form_min_confidence
    dispatcher, events = run(
        ActionAnswerOrStartForm(),
        tracker("de lantaarnpaal voor ons huis is kapot", intent="report_problem", confidence=threshold),
    )
    assert [m["response"] for m in dispatcher.messages] == ["utter_report_taken_up"]  # the form starts with it


def test_a_request_for_the_form_starts_it_however_unsure_the_nlu_is(store: ConversationStore, tmp_path) -> None:
    install(store, RecordingAnswers(NOTHING), tmp_path)
    dispatcher, events = run(
        ActionAnswerOrStartForm(),
        tracker("ik wil een losse stoeptegel melden", intent="report_problem", confidence=0.4),
    )
    assert dispatcher.messages == [] and events == []


def test_a_national_organisations_matter_is_referred_even_when_reported(store: ConversationStore, tmp_path) -> None:
    answers = RecordingAnswers(answered())
    install(store, answers, tmp_path, route=decides("rdw", 0.9))
    dispatcher, events = run(ActionAnswerOrStartForm(), tracker("kenteken afmelden na sloop", intent="report_problem"))
    [message] = dispatcher.messages
    assert message["response"] == "utter_referral" and message["custom"]["referral"]["org"] == "rdw"
    assert events[-1]["event"] == "followup" and answers.queries == []


def test_a_municipal_team_is_no_referral(store: ConversationStore, tmp_path) -> None:
    install(store, RecordingAnswers(answered()), tmp_path, route=decides("openbare_ruimte", 0.99))
    dispatcher, events = run(
        ActionAnswerOrStartForm(), tracker("ik wil melden dat de lantaarnpaal kapot is", intent="report_problem")
    )
    assert dispatcher.messages == [] and events == []


def test_with_forms_off_a_report_gets_the_switched_off_text_and_no_form_starts(
    store: ConversationStore, tmp_path
) -> None:
    from tests.actions.conftest import switch_off

    answers = RecordingAnswers(answered())
    switch_off(install(store, answers, tmp_path), "forms")
    dispatcher, events = run(
        ActionAnswerOrStartForm(), tracker("de lantaarnpaal voor ons huis is kapot", intent="report_problem")
    )
    [message] = dispatcher.messages
    assert message["response"] == "utter_forms_off" and "14 0123" in message["contact_route"]
    # The rule would start the form next; the bot waits for the citizen instead.
    assert events == [{"event": "followup", "name": "action_listen", "timestamp": None}]


def test_with_answers_off_a_question_about_reporting_starts_the_form(store: ConversationStore, tmp_path) -> None:
    from tests.actions.conftest import switch_off

    answers = RecordingAnswers(answered())
    switch_off(install(store, answers, tmp_path), "answers")
    dispatcher, events = run(
        ActionAnswerOrStartForm(), tracker("kan ik een kapotte lantaarnpaal melden?", intent="report_problem")
    )
    assert dispatcher.messages == [] and events == [] and answers.calls == []


def test_the_offer_is_remembered_so_that_a_yes_can_take_it_up(store: ConversationStore, tmp_path) -> None:
    install(store, RecordingAnswers(answered()), tmp_path)
    _, events = run(
        ActionAnswerOrStartForm(), tracker("onze grijze container is vandaag niet geleegd", intent="report_problem")
    )
    assert slot_events(events)["form_offered"] == "report_form"
    complaint = tracker("hoe lang duurt het voor jullie op een klacht reageren?", intent="file_complaint")
    _, events = run(ActionAnswerOrStartForm(), complaint)
    assert slot_events(events)["form_offered"] == "complaint_form"


def test_a_report_naming_only_its_subject_asks_what_about_it_and_starts_no_form(store, tmp_path) -> None:
    """The NLU may take "ik heb een vraag over de vuilophaal" for a sure report; with no page
    answering it as it stands, the citizen is asked what about it, not sent into the form."""
    install(store, RecordingAnswers(NOTHING), tmp_path)
    t = tracker("ik heb een vraag over de vuilophaal", intent="report_problem", confidence=0.9)
    dispatcher, events = run(ActionAnswerOrStartForm(), t)
    assert [m["response"] for m in dispatcher.messages] == ["utter_ask_about_subject"]
    assert slot_events(events)["announced_subject"]
    assert not any(e.get("event") == "active_loop" for e in events)
    assert events[-1] == {"event": "followup", "name": "action_listen", "timestamp": None}
