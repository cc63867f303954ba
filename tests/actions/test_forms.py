"""The report and complaint forms: each answer checked, the answers read back, the case created for
the right team, or nothing sent on "no" or "stop"."""

from __future__ import annotations

import asyncio
from typing import Any

from rasa_sdk.executor import CollectingDispatcher

from actions import context
from actions.dialogue_config import dialogue_config
from actions.forms import (
    NO,
    SKIPPED,
    YES,
    ActionAskComplaintConfirmed,
    ActionAskReportConfirmed,
    ActionCancelForm,
    ActionSubmitComplaint,
    ActionSubmitReport,
    ValidateComplaintForm,
    ValidateReportForm,
    case_summary,
    form_field,
    form_values,
    is_skip,
    reset_events,
    yes_or_no,
)
from api.services.contact_details import Contact, ContactVault
from tests.actions.conftest import (
    NOTHING,
    REPORT,
    RecordingAnswers,
    decides,
    escalations_of,
    install,
    run,
    slot_events,
    tracker,
    validate,
)

COMPLAINT = {"complaint_what": "rude", "complaint_when": "yesterday", "complaint_desired_outcome": "apology",
             "complaint_contact": "[telefoon]", "complaint_confirmed": "yes"}  # fmt: skip


# --- checking each answer ------------------------------------------------------------------------


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


def test_a_contact_is_given_by_its_placeholder_the_gateway_kept_the_address_itself() -> None:
    form = ValidateComplaintForm()
    assert validate(form, "validate_complaint_contact", "[e-mail]", tracker("[e-mail]"))[1] == {
        "complaint_contact": "[e-mail]"
    }
    typed = "mail me op [e-mail] of bel [telefoon]"  # typed in the chat, redacted by the gateway
    assert validate(form, "validate_complaint_contact", typed, tracker(typed))[1] == {
        "complaint_contact": "[e-mail] [telefoon]"
    }
    # A placeholder wins over a "no" around it: the contact was given.
    assert validate(ValidateReportForm(), "validate_report_contact", "nee, [telefoon]", tracker("x"))[1] == {
        "report_contact": "[telefoon]"
    }


def test_complaint_needs_an_email_or_phone_number() -> None:
    form = ValidateComplaintForm()
    for answer in ("liever niet", "bel me maar", "[BSN]"):
        dispatcher, result = validate(form, "validate_complaint_contact", answer, tracker(answer))
        assert result == {"complaint_contact": None}
        assert dispatcher.messages[0]["response"] == "utter_invalid_contact"


def test_a_too_short_answer_is_asked_again() -> None:
    dispatcher, result = validate(ValidateReportForm(), "validate_report_where", " a ", tracker("a"))
    assert result == {"report_where": None} and dispatcher.messages[0]["response"] == "utter_answer_too_short"
    dispatcher, result = validate(ValidateComplaintForm(), "validate_complaint_when", "  gisteren ", tracker("x"))
    assert result == {"complaint_when": "gisteren"} and dispatcher.messages == []  # stored stripped


def test_a_bare_no_does_not_answer_a_question_every_case_needs() -> None:
    """ "nee" skips the photo or the contact; to "Waar is het?" it is no place, and is asked again.
    A description that starts with "geen" is an answer."""
    for text in ("nee", "No.", "geen"):
        dispatcher, result = validate(ValidateReportForm(), "validate_report_where", text, tracker(text))
        assert result == {"report_where": None}, text
        assert dispatcher.messages[0]["response"] == "utter_answer_too_short"
    _, result = validate(ValidateReportForm(), "validate_report_what", "geen licht in de steeg", tracker("x"))
    assert result == {"report_what": "geen licht in de steeg"}


def test_the_optional_contact_of_a_report_can_be_skipped() -> None:
    form = ValidateReportForm()
    assert validate(form, "validate_report_contact", "liever niet", tracker("liever niet"))[1] == {
        "report_contact": SKIPPED
    }
    assert validate(form, "validate_report_contact", "Liever anoniem", tracker("Liever anoniem"))[1] == {
        "report_contact": SKIPPED
    }
    dispatcher, result = validate(form, "validate_report_contact", "bel me maar", tracker("bel me maar"))
    assert result == {"report_contact": None} and dispatcher.messages[0]["response"] == "utter_invalid_contact"


def test_skip_words_first_words_and_the_deny_intent_skip() -> None:
    config = dialogue_config()
    assert is_skip("NVT.", tracker("NVT."), config)
    assert is_skip("Not needed!", tracker("x"), config)
    assert is_skip("Geen foto, sorry!", tracker("x"), config)  # the first word says it
    assert is_skip("liever anoniem", tracker("x", intent="deny"), config)
    assert not is_skip("naast de nieuwe bakker", tracker("x"), config)  # "naast" is not "nee"
    assert not is_skip("bij de ingang", tracker("x"), config)


def test_yes_or_no_from_words_or_intent() -> None:
    config = dialogue_config()
    assert yes_or_no("Ja, klopt!", tracker("x", intent="inform"), config) == YES
    assert yes_or_no("OK.", tracker("x"), config) == YES
    assert yes_or_no("Klopt niet", tracker("x"), config) == NO
    assert yes_or_no("whatever", tracker("x", intent="affirm"), config) == YES
    assert yes_or_no("whatever", tracker("x", intent="deny"), config) == NO
    assert yes_or_no("ja maar eerst nog iets", tracker("x"), config) is None


# --- the answers as the team sees them -----------------------------------------------------------


def test_form_values_name_fields_without_the_form_prefix_and_skipped_ones_as_none() -> None:
    form = dialogue_config().forms["report"]
    assert form_field("report_what", form) == "what"
    assert form_field("what", form) == "what"
    assert form_values(tracker("x", slots=REPORT), form) == {
        "what": "lantaarnpaal kapot", "where": "Kerkstraat 12", "photo": None, "contact": "[e-mail]",
    }  # fmt: skip


def test_the_case_summary_lists_the_given_answers_in_order() -> None:
    values = {"what": "lang gewacht", "when": None, "desired_outcome": "excuses", "contact": "[e-mail]"}
    assert case_summary(values) == "lang gewacht | excuses | [e-mail]"


def test_reset_clears_every_slot_of_the_form_and_the_requested_slot() -> None:
    form = dialogue_config().forms["report"]
    cleared = slot_events(reset_events(form))
    assert cleared == dict.fromkeys([*form.slots, "report_confirmed", "requested_slot"])


# --- reading back and submitting -----------------------------------------------------------------


def test_confirmation_reads_the_answers_back_with_skipped_ones_as_none() -> None:
    dispatcher, _ = run(ActionAskReportConfirmed(), tracker("[e-mail]", slots=REPORT))
    message = dispatcher.messages[0]
    assert message["response"] == "utter_confirm_report"
    assert (message["what"], message["photo"], message["contact"]) == (
        "lantaarnpaal kapot",
        "(geen)",
        "opgegeven (e-mail)",
    )


def test_an_english_complaint_is_read_back_in_english() -> None:
    slots = {**COMPLAINT, "complaint_when": SKIPPED}
    dispatcher, events = run(ActionAskComplaintConfirmed(), tracker("[telefoon]", language="en", slots=slots))
    message = dispatcher.messages[0]
    assert message["response"] == "utter_confirm_complaint"
    assert (message["what"], message["when"], message["desired_outcome"]) == ("rude", "(none)", "apology")
    assert message["contact"] == "given (phone)"
    assert events == []


def test_report_creates_a_case_for_public_space_with_the_form_data(store, tmp_path) -> None:
    install(store, RecordingAnswers(NOTHING), tmp_path, route=decides("burgerzaken"))
    conversation = store.start(language="nl")
    dispatcher, events = run(ActionSubmitReport(), tracker("ja", intent="affirm", sender=conversation, slots=REPORT))
    [case] = escalations_of(store)
    assert (case.reason, case.team, case.language) == ("public_space_report", "openbare_ruimte", "nl")
    assert case.form_data == {
        "form": "public_space_report", "what": "lantaarnpaal kapot", "where": "Kerkstraat 12",
        "photo": None, "contact": "[e-mail]",
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
    dispatcher, _ = run(
        ActionSubmitComplaint(),
        tracker("yes", intent="affirm", sender=conversation, language="en", slots=COMPLAINT),
    )
    [case] = escalations_of(store)
    assert (case.reason, case.team) == ("complaint", "klachten_bezwaar")
    assert case.form_data["desired_outcome"] == "apology"
    assert dispatcher.messages[0]["team"] == "Complaints and Objections"


def test_the_case_summary_and_routing_text_are_the_answers(store, tmp_path) -> None:
    routed: list[str] = []
    install(store, RecordingAnswers(NOTHING), tmp_path, route=lambda text, **_: routed.append(text) or {})
    conversation = store.start(language="nl")
    run(ActionSubmitReport(), tracker("ja", intent="affirm", sender=conversation, slots=REPORT))
    [case] = escalations_of(store)
    assert routed == ["lantaarnpaal kapot Kerkstraat 12 [e-mail]"]
    assert case.summary == "lantaarnpaal kapot | Kerkstraat 12 | [e-mail]"
    assert case.team == "openbare_ruimte"  # no decision at all: the form's own team


def test_unconfirmed_report_is_not_sent(store, tmp_path) -> None:
    install(store, RecordingAnswers(NOTHING), tmp_path)
    dispatcher, events = run(
        ActionSubmitReport(), tracker("nee", intent="deny", slots={**REPORT, "report_confirmed": "no"})
    )
    assert escalations_of(store) == [] and dispatcher.messages[0]["response"] == "utter_case_not_sent"
    assert slot_events(events)["report_confirmed"] is None


def test_cancel_forgets_the_answers(store, tmp_path) -> None:
    install(store, RecordingAnswers(NOTHING), tmp_path)
    dispatcher, events = run(ActionCancelForm(), tracker("stop", intent="cancel", slots=REPORT))
    assert dispatcher.messages[0]["response"] == "utter_form_cancelled"
    assert slot_events(events)["report_what"] is None and slot_events(events)["complaint_what"] is None


def test_cancel_clears_the_requested_slot_once_and_every_form_slot(store, tmp_path) -> None:
    install(store, RecordingAnswers(NOTHING), tmp_path)
    _, events = run(ActionCancelForm(), tracker("stop", intent="cancel", slots=REPORT))
    names = [e["name"] for e in events]
    assert names.count("requested_slot") == 1 and names[-1] == "requested_slot"
    for form in dialogue_config().forms.values():
        assert {*form.slots, form.confirm_slot} <= set(names)


# --- the contact the gateway kept for the form -----------------------------------------------------


def given_contact(services: context.ActionContext, conversation: str) -> None:
    """The citizen gave the form's contact: the gateway keeps it pending in the vault."""
    assert isinstance(services.contacts, ContactVault)
    services.contacts.keep_pending(conversation, Contact(email="piet@example.nl"))


def test_the_contact_goes_with_the_case_it_was_given_for(store, tmp_path) -> None:
    services = install(store, RecordingAnswers(NOTHING), tmp_path)
    conversation = store.start(language="nl")
    given_contact(services, conversation)
    run(ActionSubmitReport(), tracker("ja", intent="affirm", sender=conversation, slots=REPORT))
    [case] = escalations_of(store)
    assert isinstance(services.contacts, ContactVault)
    assert [(d.value, d.case_number) for d in services.contacts.of_conversation(conversation)] == [
        ("piet@example.nl", case.id)
    ]
    assert "piet@example.nl" not in f"{case.form_data} {case.summary}"


def test_a_declined_cancelled_or_anonymous_form_keeps_no_contact(store, tmp_path) -> None:
    services = install(store, RecordingAnswers(NOTHING), tmp_path)
    assert isinstance(services.contacts, ContactVault)
    declined, cancelled, anonymous = (store.start(language="nl") for _ in range(3))
    for conversation in (declined, cancelled, anonymous):
        given_contact(services, conversation)
    run(ActionSubmitReport(), tracker("nee", intent="deny", sender=declined, slots={**REPORT, "report_confirmed": NO}))
    run(ActionCancelForm(), tracker("stop", intent="cancel", sender=cancelled, slots=REPORT))
    # A contact left from an earlier form does not go with one the citizen sent anonymously.
    run(ActionSubmitReport(), tracker("ja", sender=anonymous, slots={**REPORT, "report_contact": SKIPPED}))
    for conversation in (declined, cancelled, anonymous):
        assert services.contacts.of_conversation(conversation) == [], conversation
    assert [case.form_data["contact"] for case in escalations_of(store)] == [None]


# --- switched off by an admin ----------------------------------------------------------------------


def test_with_forms_off_a_form_under_way_ends_at_the_next_answer(store, tmp_path) -> None:
    from tests.actions.conftest import switch_off

    switch_off(install(store, RecordingAnswers(NOTHING), tmp_path), "forms")
    t = tracker("Kerkstraat 12", slots={"requested_slot": "report_where", "report_what": "lantaarnpaal kapot"})
    dispatcher, events = run(ValidateReportForm(), t)
    assert dispatcher.messages == []
    assert events == [{"event": "slot", "timestamp": None, "name": "requested_slot", "value": None}]


def test_with_forms_off_a_confirmed_report_is_not_sent(store, tmp_path) -> None:
    from tests.actions.conftest import switch_off

    switch_off(install(store, RecordingAnswers(NOTHING), tmp_path), "forms")
    dispatcher, events = run(ActionSubmitReport(), tracker("ja", intent="affirm", slots=REPORT))
    assert [m["response"] for m in dispatcher.messages] == ["utter_forms_off"]
    assert escalations_of(store) == []
    assert all(value is None for value in slot_events(events).values())  # the answers are forgotten


# --- an unsure crisis reading as the answer ------------------------------------------------------

# What rasa-sdk's form validation needs of the domain: the form's questions.
COMPLAINT_DOMAIN = {"forms": {"complaint_form": {"required_slots": list(COMPLAINT)}}}


def answered_complaint_what(answer: str, *, intent: str, sender: str = "c1") -> tuple[Any, list[dict[str, Any]]]:
    """The complaint validation after `answer` to "Wat is er gebeurd?", as Rasa runs it: the
    extracted answer is the last event."""
    events = [
        {"event": "user", "text": answer, "parse_data": {"intent": {"name": intent, "confidence": 0.5}}},
        {"event": "slot", "name": "complaint_what", "value": answer},
    ]
    slots = {"requested_slot": "complaint_what", "complaint_what": answer}
    t = tracker(answer, intent=intent, confidence=0.5, sender=sender, slots=slots, events=events)
    dispatcher = CollectingDispatcher()
    return dispatcher, asyncio.run(ValidateComplaintForm().run(dispatcher, t, COMPLAINT_DOMAIN))


def test_an_unsure_crisis_reading_is_the_answer_and_the_help_lines_are_asked(store, tmp_path) -> None:
    """ "ze was heel onbeleefd" to "Wat is er gebeurd?" was read as a crisis (0.50): the complaint
    form stopped and the citizen got only the help lines."""
    install(store, RecordingAnswers(NOTHING), tmp_path)
    conversation = store.start(language="nl")
    dispatcher, events = answered_complaint_what("ze was heel onbeleefd", intent="crisis_unsure", sender=conversation)
    assert slot_events(events)["complaint_what"] == "ze was heel onbeleefd"
    assert [m["response"] for m in dispatcher.messages] == ["utter_crisis_check"]
    [case] = escalations_of(store)
    assert (case.reason, case.priority, case.team) == ("crisis", "high", "crisis")


def test_an_ordinary_answer_gets_no_help_lines(store, tmp_path) -> None:
    install(store, RecordingAnswers(NOTHING), tmp_path)
    dispatcher, events = answered_complaint_what("de medewerker was onbeleefd", intent="inform")
    assert slot_events(events)["complaint_what"] == "de medewerker was onbeleefd"
    assert dispatcher.messages == [] and escalations_of(store) == []
