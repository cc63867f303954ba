"""The gateway's redaction policy and the notice the citizen gets, on the real message catalogue; what a
moderator writes, redacted except the municipality's own published contact details (teams.yml)."""

from __future__ import annotations

import pytest
import yaml

from api.services.bot_responses import response_texts
from api.services.contact_details import Contact
from api.services.personal_data import KINDS
from api.services.redaction import (
    CONTACT_PROMPTS,
    ContactStep,
    Redactor,
    RemovalNotices,
    StaffTextRedactor,
    without_placeholders,
)
from api.settings import PROJECT_ROOT
from knowledge.languages import SUPPORTED_LANGUAGES
from routing.teams import TeamDirectory

CATALOGUE = PROJECT_ROOT / "data" / "handoff_messages.yml"
DOMAIN = PROJECT_ROOT / "domain.yml"


@pytest.fixture(scope="module")
def redactor() -> Redactor:
    return Redactor.load(messages_file=CATALOGUE, domain_file=DOMAIN)


@pytest.fixture(scope="module")
def contact_questions() -> dict[str, dict[str, str]]:
    return response_texts(DOMAIN, CONTACT_PROMPTS)


def test_the_catalogue_names_every_kind_in_every_language() -> None:
    notices = RemovalNotices.from_catalogue(yaml.safe_load(CATALOGUE.read_text(encoding="utf-8")))
    for language in SUPPORTED_LANGUAGES:
        assert set(notices.names[language]) == set(KINDS), language
        assert language in notices.one and language in notices.several


def test_the_notice_names_what_was_left_out_in_the_citizens_language(redactor: Redactor) -> None:
    assert redactor.notice(["bsn"], "nl") == "Uw BSN is niet opgeslagen; dat is niet nodig voor deze vraag."
    assert redactor.notice(["bsn"], "en") == (
        "Your citizen service number (BSN) was not stored; it is not needed for this question."
    )
    several = redactor.notice(["bsn", "iban", "phone"], "nl")
    assert several == "Uw BSN, IBAN en telefoonnummer zijn niet opgeslagen; die zijn niet nodig voor deze vraag."
    assert redactor.notice(["email", "address"], "en").startswith("Your e-mail address and address were not stored")


def test_a_dutch_notice_has_no_english_names_and_the_other_way_round(redactor: Redactor) -> None:
    dutch, english = redactor.notice(list(KINDS), "nl"), redactor.notice(list(KINDS), "en")
    assert "phone" not in dutch and "address" not in dutch and "birth" not in dutch
    assert "telefoon" not in english and "adres " not in english and "geboorte" not in english


def test_the_answer_to_a_forms_contact_question_is_redacted_like_any_other_message(redactor: Redactor) -> None:
    answer = "jan@example.nl of 0612345678, mijn BSN is 111222333"
    redaction = redactor.redact(answer)
    assert redaction.text == "[e-mail] of [telefoon], mijn BSN is [BSN]"
    assert redaction.kinds == ("email", "phone", "bsn")


def test_the_forms_contact_questions_are_the_contact_step_and_only_the_report_may_go_without(
    redactor: Redactor, contact_questions: dict[str, dict[str, str]]
) -> None:
    for name, texts in contact_questions.items():
        for text in texts.values():
            step = redactor.contact_step(f"{text}\n")
            assert step == ContactStep(optional=name == "utter_ask_report_contact"), (name, text)
    assert redactor.contact_step("Wat kost een paspoort?") is None
    assert redactor.contact_step(None) is None


def test_the_contact_in_an_answer_is_the_first_address_and_number_redaction_took_out(redactor: Redactor) -> None:
    text = "mail jan@example.nl of piet@example.nl, bel 06-12345678; BSN 111222333"
    assert redactor.contact_in(text, redactor.redact(text)) == Contact(email="jan@example.nl", phone="06-12345678")
    assert redactor.contact_in("BSN 111222333", redactor.redact("BSN 111222333")) is None


def test_the_bots_last_message_is_looked_up_only_when_a_contact_was_found(redactor: Redactor) -> None:
    assert redactor.may_hold_contact(redactor.redact("bel 0612345678"))
    assert not redactor.may_hold_contact(redactor.redact("BSN 111222333"))
    assert not Redactor(notices=redactor._notices).may_hold_contact(redactor.redact("bel 0612345678"))


def test_placeholders_are_left_out_for_the_language_detector() -> None:
    assert without_placeholders("My phone number is [telefoon], call me") == "My phone number is , call me"


# --- what a moderator writes ----------------------------------------------------------------------


@pytest.fixture(scope="module")
def staff_text() -> StaffTextRedactor:
    return StaffTextRedactor.of(TeamDirectory.load(PROJECT_ROOT / "data" / "routing" / "teams.yml"))


def test_a_moderators_text_loses_the_citizens_numbers_and_addresses(staff_text: StaffTextRedactor) -> None:
    redaction = staff_text.redact("Uw BSN 111222333 en IBAN NL91ABNA0417164300 staan genoteerd; ik bel 0612345678.")
    assert redaction.text == "Uw BSN [BSN] en IBAN [IBAN] staan genoteerd; ik bel [telefoon]."
    assert redaction.kinds == ("bsn", "iban", "phone")
    assert staff_text.redact("mail jan.jansen@example.nl").text == "mail [e-mail]"


def test_the_municipalitys_published_contact_details_stay_in_any_spelling(staff_text: StaffTextRedactor) -> None:
    """teams.yml: klachten@vlietstad.nl (the complaints team), 050-599 77 55 (DUO's referral)."""
    text = "Mail Klachten@Vlietstad.nl of bel DUO op 050 599 7755; niet jan@vlietstad.nl of 050-599 77 56."
    redaction = staff_text.redact(text)
    assert redaction.text == "Mail Klachten@Vlietstad.nl of bel DUO op 050 599 7755; niet [e-mail] of [telefoon]."
    assert staff_text.redact("bel 14 0123, keuze 3").kinds == ()  # a service number: never redacted at all


def test_without_a_directory_every_contact_is_redacted() -> None:
    assert StaffTextRedactor().redact("klachten@vlietstad.nl").text == "[e-mail]"
