"""The recogniser of Dutch personal data, case by case: what is taken out, what stays, and why.

The figures on the labelled set are the gate in tests/api/operations/test_personal_data_eval.py.
"""

from __future__ import annotations

import pytest

from api.services.personal_data import KINDS, PLACEHOLDER_PATTERN, PLACEHOLDERS, find_personal_data, redact


def kinds_in(text: str) -> list[tuple[str, str]]:
    return [(f.kind, text[f.start : f.end]) for f in find_personal_data(text)]


def test_every_kind_has_one_placeholder_and_the_pattern_knows_them_all() -> None:
    assert set(PLACEHOLDERS) == set(KINDS) and len(set(PLACEHOLDERS.values())) == len(KINDS)
    assert all(PLACEHOLDER_PATTERN.fullmatch(placeholder) for placeholder in PLACEHOLDERS.values())


def test_redaction_replaces_each_item_and_lists_the_kinds_once_in_message_order() -> None:
    text = "Mijn BSN is 111222333 en mijn IBAN is NL91ABNA0417164300, bel 0612345678 of 06-23456789"
    redaction = redact(text)
    assert redaction.text == "Mijn BSN is [BSN] en mijn IBAN is [IBAN], bel [telefoon] of [telefoon]"
    assert redaction.kinds == ("bsn", "iban", "phone")


def test_a_message_without_personal_data_is_left_as_it_is() -> None:
    text = "Wat kost een paspoort? Ik heb een afspraak op 12 maart."
    assert redact(text).text == text and redact(text).kinds == ()


def test_kinds_to_keep_are_left_in() -> None:
    text = "mail jan@example.nl, BSN 111222333"
    assert redact(text, keep=frozenset({"email"})).text == "mail jan@example.nl, BSN [BSN]"


def test_placeholders_are_not_found_again() -> None:
    assert redact("Mijn BSN is [BSN], bel [telefoon]").kinds == ()


# ---------------------------------------------------------------- BSN


@pytest.mark.parametrize("number", ["241474310", "2414.74.310", "241 474 310", "241-474-310"])
def test_a_bsn_that_passes_the_elfproef_is_found_in_any_usual_notation(number: str) -> None:
    assert kinds_in(f"kunt u {number} opzoeken?") == [("bsn", number)]


def test_nine_digits_failing_the_elfproef_are_no_bsn() -> None:
    assert kinds_in("Wat betekent 433029896 op mijn brief?") == []


def test_nine_digits_the_citizen_calls_a_bsn_are_one_even_when_mistyped() -> None:
    assert kinds_in("Mijn BSN is 311279050") == [("bsn", "311279050")]
    assert kinds_in("burgerservicenummer: 12345672") == [("bsn", "12345672")]  # leading zero left off


@pytest.mark.parametrize("label", ["zaaknummer", "Ordernummer", "kenmerk", "Case", "factuurnummer"])
def test_a_number_labelled_as_another_number_is_no_bsn_even_when_it_passes(label: str) -> None:
    assert kinds_in(f"{label} 219214852, wanneer hoor ik iets?") == []


def test_an_amount_is_no_bsn() -> None:
    assert kinds_in("Kosten: € 241.474.310?") == []
    assert kinds_in("Dat is 241474310 euro") == []


def test_a_bsn_is_not_found_inside_a_longer_number() -> None:
    assert kinds_in("betalingskenmerk 4000 2414 7431 0123") == []


@pytest.mark.parametrize("number", ["1234 56 782", "1234-56-782", "2541.76.318"])
def test_a_bsn_in_the_old_4_2_3_grouping(number: str) -> None:
    assert kinds_in(f"dit is het bsn van mijn zoon: {number}, klopt dat?") == [("bsn", number)]
    assert kinds_in(f"is {number} goed?") == [("bsn", number)]  # passes the elfproef without a label


def test_a_4_2_3_grouping_labelled_as_another_number_or_failing_the_elfproef_is_no_bsn() -> None:
    assert kinds_in("dossiernummer 1234 56 782 graag") == []
    assert kinds_in("in vak 1234 56 783 staat het") == []


# ---------------------------------------------------------------- IBAN


@pytest.mark.parametrize(
    "iban", ["NL91ABNA0417164300", "NL91 ABNA 0417 1643 00", "nl91abna0417164300", "DE85 3854 8121 0407 4785 46"]
)
def test_a_valid_iban_is_found_and_ends_where_it_ends(iban: str) -> None:
    assert redact(f"stort het op {iban} op naam van P. Bakker").text == "stort het op [IBAN] op naam van P. Bakker"


def test_an_iban_failing_mod_97_is_left_unless_the_citizen_calls_it_theirs() -> None:
    assert kinds_in("Klopt het rekeningnummer NL14BUNQ3999406612 op de aanslag?") == []
    assert kinds_in("Mijn IBAN is NL10ABNA4899156772 denk ik") == [("iban", "NL10ABNA4899156772")]


@pytest.mark.parametrize(
    "iban",
    ["NL39-RABO-0300-0652-64", "NL39 - RABO - 0300 - 0652 - 64", "NL 39 RABO 0300 0652 64", "NL39  RABO 030 006 5264"],
)
def test_an_iban_with_dashes_or_odd_spacing(iban: str) -> None:
    assert redact(f"graag naar {iban} overmaken").text == "graag naar [IBAN] overmaken"


def test_an_iban_after_a_run_of_letters_and_digits_is_still_found() -> None:
    # "OK 12 ..." looks like the start of an IBAN and runs on into the real one.
    assert kinds_in("OK 12 dagen later stond NL18RABO0123459876 erop") == [("iban", "NL18RABO0123459876")]


def test_a_lower_case_word_and_two_digits_start_no_iban() -> None:
    assert kinds_in("bel op 0031612345678 aub") == [("phone", "0031612345678")]


@pytest.mark.parametrize(
    "text", ["Op de acceptgiro: NL18 RABO 0123 4598 77", "sms: betaal naar NL02-ABNA-0123-4567-88 nu"]
)
def test_the_digits_of_an_iban_that_fails_mod_97_are_no_phone_number(text: str) -> None:
    assert kinds_in(text) == []


# ---------------------------------------------------------------- phone numbers


@pytest.mark.parametrize(
    "number",
    [
        "0612345678", "06-12345678", "06 1234 5678", "06 12 34 56 78", "06.12.34.56.78", "06 - 23 45 67 89",
        "020-6123456", "010 234 56 78", "(0575) 512345", "0591-612345", "+31 6 45678901", "+316 28374655",
        "+31(0)6-34567890", "+31 (0)20 123 45 67", "0031 6 98765432", "0031-6-12345678", "+32 470 12 34 56",
    ],
)  # fmt: skip
def test_phone_numbers_in_the_usual_notations(number: str) -> None:
    assert kinds_in(f"bel mij op {number} na vijf uur") == [("phone", number)]


@pytest.mark.parametrize(
    "text",
    [
        "Ik heb 14 0123 gebeld",  # the municipality's own number
        "Bel 0800-0113 of 113",  # the suicide prevention line
        "De Belastingdienst: 0800-0543",
        "politie 0900-8844",
        "UWV: 088 898 92 94",  # an organisation's number
        "Bij nood bel ik 112",
        "Ik kreeg op 01-02-2024 10:30 een boete",  # a date and a time
        "Mijn klantnummer is 0123456789",  # labelled as another number
        "van 09:00 tot 17:00",
        "Mijn afspraak is op 14-03-2025 om 10.30 uur",
    ],
)
def test_numbers_that_are_not_a_persons_phone(text: str) -> None:
    assert kinds_in(text) == []


@pytest.mark.parametrize("number", ["+31 6 1234567", "+31 6 123456", "06 1234567", "+44 12345"])
def test_too_few_digits_make_no_phone_number(number: str) -> None:
    assert kinds_in(f"bel {number} nu") == []


def test_a_number_is_cut_where_its_groups_end() -> None:
    assert kinds_in("0612345678 20 euro") == [("phone", "0612345678")]
    assert kinds_in("op de bon staat 0612 3456 7890 12") == []  # the tenth digit is in the middle of a group


@pytest.mark.parametrize(
    "text", ["Kunt u mij bellen over de klacht: 030 234 5678", "please call me about ticket: 030 234 5678"]
)
def test_a_call_me_request_outweighs_a_label_that_names_another_number(text: str) -> None:
    assert kinds_in(text) == [("phone", "030 234 5678")]


def test_a_label_that_names_another_number_still_counts_in_another_sentence() -> None:
    assert kinds_in("Kunt u mij bellen? Het dossiernummer is 0302345678.") == []


# ---------------------------------------------------------------- e-mail addresses


@pytest.mark.parametrize(
    "address", ["jan.jansen@example.nl", "t.yilmaz+gemeente@protonmail.com", "WILLEM.DEKKER@GMAIL.COM", "a@b.co.uk"]
)
def test_e_mail_addresses(address: str) -> None:
    assert kinds_in(f"mail naar {address}.") == [("email", address)]


def test_digits_inside_an_e_mail_address_are_part_of_it() -> None:
    assert kinds_in("jan0612345678@example.nl") == [("email", "jan0612345678@example.nl")]


# ---------------------------------------------------------------- dates of birth


@pytest.mark.parametrize(
    ("text", "when"),
    [
        ("Ik ben geboren op 12-03-1985", "12-03-1985"),
        ("Mijn zoon (geb. 04-11-2019) heeft een ID-kaart nodig", "04-11-2019"),
        ("Geb.datum 30-06-1979", "30-06-1979"),
        ("Onze dochter is op 2 mei 2024 geboren", "2 mei 2024"),
        ("Mijn moeder is van 7 juli 1941", "7 juli 1941"),
        ("Date of birth: 1978-06-21.", "1978-06-21"),
        ("DOB 02/03/1975", "02/03/1975"),
        ("My date of birth is March 5, 1968", "March 5, 1968"),
        ("Jan de Vries, 12-08-1957, wil weten hoe het zit", "12-08-1957"),  # an old full date after a name
    ],
)
def test_dates_of_birth(text: str, when: str) -> None:
    assert kinds_in(text) == [("birth_date", when)]


@pytest.mark.parametrize(
    ("text", "when"),
    [
        ("Ik ben geboren op 9-11-71 in Utrecht", "9-11-71"),
        ("Mijn zoon, geb. 02/05/08, heeft een paspoort nodig", "02/05/08"),
        ("ik ben van 21 juni '79", "21 juni '79"),
        ("geboortedatum 3 okt 55", "3 okt 55"),
    ],
)
def test_a_date_of_birth_with_a_two_digit_year_next_to_a_birth_cue(text: str, when: str) -> None:
    assert kinds_in(text) == [("birth_date", when)]


@pytest.mark.parametrize(
    "text",
    [
        "Mijn afspraak is op 9-11-26, kan dat eerder?",  # no birth cue: a two-digit year could be anything
        "ik ben van 2-8-26 tot 9-8-26 weg",  # a period
        "geboren op 4 mei 14:30 uur",  # a time, not a year
    ],
)
def test_a_two_digit_year_without_a_birth_cue_stays(text: str) -> None:
    assert kinds_in(text) == []


@pytest.mark.parametrize(
    "text", ["mn opa (17-02-1936) woont alleen", "Onze oma, 4 april 1940, wil een rolstoel", "my grandma (1943-08-19)"]
)
def test_an_old_full_date_about_a_grandparent_is_a_date_of_birth(text: str) -> None:
    assert [kind for kind, _ in kinds_in(text)] == ["birth_date"]


def test_an_old_date_about_a_grandparent_that_says_what_happened_stays() -> None:
    assert kinds_in("mn opa is sinds 17-02-1996 weduwnaar") == []


@pytest.mark.parametrize(
    "text",
    [
        "Ik heb een afspraak op 12 maart",
        "Mijn afspraak is op 14-03-2025 om 10:30",
        "Mijn paspoort verloopt op 21-06-2026",
        "Het bestemmingsplan is vastgesteld op 12-03-1998",  # old, but a decision's date
        "Ik woon hier sinds 01-05-1998",
        "Het evenement is van 12-07-2025 tot 14-07-2025",  # a period, not "is van <birth date>"
        "Op 31-02-1980 ben ik geboren",  # no such day
    ],
)
def test_other_dates_stay(text: str) -> None:
    assert kinds_in(text) == []


# ---------------------------------------------------------------- document numbers


def test_a_document_number_in_the_rvig_format() -> None:
    assert kinds_in("Mijn paspoortnummer is NW3K8L2P7") == [("document_number", "NW3K8L2P7")]
    assert kinds_in("Is IX82NH4L7 nog geldig?") == [("document_number", "IX82NH4L7")]  # capitals: as printed


def test_a_lower_case_document_number_only_next_to_a_cue() -> None:
    assert kinds_in("mijn paspoort nummer is bd4821kn6") == [("document_number", "bd4821kn6")]
    assert kinds_in("wachtwoord bd4821kn6 werkt niet") == []


def test_the_letter_o_is_never_in_a_document_number_and_an_order_code_is_none() -> None:
    assert kinds_in("Mijn paspoortnummer is NO3K8L2P7") == []
    assert kinds_in("ordernummer VS2024117 is niet aangekomen") == []


def test_a_driving_licence_number_next_to_its_cue() -> None:
    assert kinds_in("Mijn rijbewijsnummer is 5123456789") == [("document_number", "5123456789")]


# ---------------------------------------------------------------- licence plates


@pytest.mark.parametrize("plate", ["12-ABC-3", "GH-12-JK", "1-KBB-23", "K-123-BB", "ZPG-12-K", "3-TZ-456", "123-TZ-4"])
def test_licence_plates_with_the_dashes_of_a_sidecode(plate: str) -> None:
    assert kinds_in(f"de auto met {plate} staat fout") == [("licence_plate", plate)]


def test_a_plate_without_dashes_only_next_to_a_cue() -> None:
    assert kinds_in("mijn kenteken is 12abc3") == [("licence_plate", "12abc3")]
    assert kinds_in("code 12abc3") == []


@pytest.mark.parametrize("text", ["formulier W-12-B", "COVID-19", "ISO-27001", "de A12-afrit", "zaak Z-2025-004512"])
def test_codes_that_are_no_sidecode_stay(text: str) -> None:
    assert kinds_in(text) == []


# ---------------------------------------------------------------- addresses


@pytest.mark.parametrize(
    ("text", "redacted"),
    [
        ("Ik woon op Kerkstraat 12, 2611 ET Vlietstad en", "Ik woon op [adres], [adres] Vlietstad en"),
        ("Mijn adres is 1234 AB 56, wanneer", "Mijn adres is [adres], wanneer"),
        ("We moved to Oude Gracht 45 last week", "We moved to [adres] last week"),
        ("Mijn woonadres is Van Speijkstraat 101-2", "Mijn woonadres is [adres]"),
        ("ik woon sinds kort op Beatrixlaan 17 en", "ik woon sinds kort op [adres] en"),
    ],
)
def test_an_address_where_the_citizen_lives(text: str, redacted: str) -> None:
    assert redact(text).text == redacted


@pytest.mark.parametrize(
    ("text", "redacted"),
    [
        ("ik woon aan de berkenlaan 8 en", "ik woon aan [adres] en"),  # a street in lower case
        ("Mijn huisadres is Zandweg 3 hs, 2612 AB Vlietstad", "Mijn huisadres is [adres], [adres] Vlietstad"),
        ("I live at Lange Gracht 12-II with", "I live at [adres] with"),  # a floor in Roman numerals
        ("ik woon op Zandweg 3, 2 hoog en", "ik woon op [adres] en"),
        (
            "Ik sta ingeschreven bij mijn oom op Molenweg 7, mag dat?",
            "Ik sta ingeschreven bij mijn oom op [adres], mag dat?",
        ),
        ("Mijn moeder woont op Lindeplein 4 en", "Mijn moeder woont op [adres] en"),
    ],
)
def test_more_ways_of_saying_where_one_lives(text: str, redacted: str) -> None:
    assert redact(text).text == redacted


@pytest.mark.parametrize(
    ("text", "redacted"),
    [
        (
            "Stuur de pas naar Beukenweg 31, 2613 AA Vlietstad. Daar woon ik nu.",
            "Stuur de pas naar [adres], [adres] Vlietstad. Daar woon ik nu.",
        ),
        ("Hooiweg 9 is mijn nieuwe adres", "[adres] is mijn nieuwe adres"),
        ("Send it to 2612 AB 4? That is where I live", "Send it to [adres]? That is where I live"),
    ],
)
def test_an_address_followed_by_a_cue_that_the_citizen_lives_there(text: str, redacted: str) -> None:
    assert redact(text).text == redacted


@pytest.mark.parametrize(
    "text",
    [
        "De lantaarnpaal voor Beukenweg 31 is kapot. Daar woon ik vlakbij.",  # near it, not at it
        "Er staat een auto te lang op Hooiweg 9, daar woont niemand",
        "Het gat zit bij Beukenweg 31. Mijn adres is anders",
        "Ik woon al 12 jaar in de wijk en de stoep op de berkenlaan 8 is kapot",  # too far from the cue
        "ik woon in het park 3 straten verder",  # "park" alone is no street name
    ],
)
def test_a_location_near_a_residence_cue_stays(text: str) -> None:
    assert kinds_in(text) == []


@pytest.mark.parametrize(
    "text",
    [
        "De lantaarnpaal bij 1234 AB 5 is kapot",  # a report's location
        "Er zit een gat in de weg bij Kerkstraat 14, 2611 ET",
        "Ik woon hier al sinds 1998 en de straat is opgebroken",  # "1998 en" is no postcode
        "Ik woon in Vlietstad en de lantaarnpaal op de Kerkstraat 14 is kapot",  # too far from the cue
        "Welke afvaldag geldt voor postcode 2611 ET?",
    ],
)
def test_a_location_that_identifies_no_one_stays(text: str) -> None:
    assert kinds_in(text) == []


def test_a_phone_number_does_not_start_inside_a_date() -> None:
    assert kinds_in("van 12-03-1985 12-03-1985 tot nu") == []


def test_a_long_message_is_redacted_in_milliseconds() -> None:
    import time

    text = ("Ik woon op Kerkstraat 12, geboren 12-03-1985, bel 0612345678. " * 40)[:2000]
    started = time.perf_counter()
    assert len(redact(text).findings) > 40
    assert time.perf_counter() - started < 1.0  # catastrophic backtracking would take seconds
