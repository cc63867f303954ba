"""The supported languages and the one detector that tells Dutch from English."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from knowledge.languages import DEFAULT_LANGUAGE, SUPPORTED_LANGUAGES, detect_language, other_language, supported

ROOT = Path(__file__).resolve().parents[2]


def test_supported_keeps_known_codes_and_falls_back_otherwise() -> None:
    assert SUPPORTED_LANGUAGES == ("nl", "en") and DEFAULT_LANGUAGE == "nl"
    assert supported("en") == "en" and supported("nl") == "nl"
    for value in ("de", "EN", "en-GB", "", None, 1):
        assert supported(value) == "nl"
    assert supported("fr", default="en") == "en"


def test_detect_language() -> None:
    assert detect_language("De gemeente haalt het afval op maandag op en u zet de container aan de straat.") == "nl"
    assert detect_language("The municipality collects the waste on Monday and you put the bin on the street.") == "en"
    assert detect_language("Paspoort") == "nl"  # too little to tell: the default


@pytest.mark.parametrize(("text", "language"), [("hoi", "nl"), ("Hello!", "en"), ("thanks, bye", "en"), ("Ja", "nl")])
def test_short_greetings_decide_without_the_detector(text: str, language: str) -> None:
    # Whatever the language before, a known greeting of one or two words sets it.
    assert detect_language(text, previous="nl") == language
    assert detect_language(text, previous="en") == language


@pytest.mark.parametrize("text", ["", "   ", "?!", "12345", "piet@example.nl", "https://example.com/a", "06-12345678"])
def test_text_without_words_keeps_the_previous_language(text: str) -> None:
    assert detect_language(text, previous="en") == "en"
    assert detect_language(text, previous="nl") == "nl"


def test_addresses_and_numbers_do_not_outweigh_the_words() -> None:
    text = "Mijn nieuwe adres is Kerkstraat 12, mail mij op john.smith@example.com of bel 06-12345678"
    assert detect_language(text, previous="en") == "nl"


@pytest.mark.parametrize("text", ["Kerkstraat 12", "Stationsplein", "Kerkstraat 12, Vlietstad", "near the Kerkstraat"])
def test_a_dutch_street_or_place_name_does_not_switch_an_english_conversation(text: str) -> None:
    assert detect_language(text, previous="en") == "en"


def test_names_do_not_outweigh_the_words_around_them() -> None:
    assert detect_language("Hoi, ik woon in de Kerkstraat", previous="en") == "nl"
    assert detect_language("I live in the Kerkstraat near the Molenweg", previous="nl") == "en"
    assert detect_language("IK WIL EEN NIEUW PASPOORT AANVRAGEN", previous="en") == "nl"  # shouting is no name


def test_importing_the_module_does_not_load_the_detector() -> None:
    code = "import sys, knowledge.languages; print('lingua' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Wat kost een paspoort voor mijn dochter?", "nl"),
        ("Hoe geef ik mijn verhuizing door?", "nl"),
        ("How much does a passport cost?", "en"),
        ("I would like to talk to a person please", "en"),
        ("hoi", "nl"),
        ("hello", "en"),
    ],
)
def test_detects_dutch_and_english(text: str, expected: str) -> None:
    assert detect_language(text) == expected


def test_too_little_evidence_keeps_the_previous_language() -> None:
    assert detect_language("ok", previous="en") == "en"
    assert detect_language("123", previous="en") == "en"


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("Wie beantrage ich einen Reisepass?", "de"),
        ("Comment puis-je demander un passeport?", "fr"),
        ("Jak mogę złożyć wniosek o paszport?", "pl"),
        ("Pasaport için nasıl başvurabilirim?", "tr"),
        ("كيف أحصل على جواز سفر", "ar"),
        ("Як отримати паспорт", "uk"),
        ("Ich bin in der Stadt und habe eine Frage", "de"),  # a few words Dutch or English use too
    ],
)
def test_a_message_clearly_in_another_language_is_told_apart(text: str, code: str) -> None:
    assert other_language(text) == code


@pytest.mark.parametrize(
    "text",
    [
        "Wat kost een paspoort voor mijn dochter?",
        "How much does a passport cost?",
        "convert 30 celsius to fahrenheit",  # English that looks a little German
        "Wie kan mij helpen met mijn aanvraag?",  # "Wie" is Dutch too
        "Danke",  # too short to tell
        "Ik woon in de Hauptstraße in Düsseldorf",  # names are no language
    ],
)
def test_dutch_english_or_too_little_is_not_another_language(text: str) -> None:
    assert other_language(text) is None


def test_no_dutch_or_english_text_of_the_project_is_taken_for_another_language() -> None:
    """Every NLU example and every example question of the answer engine (6,000+ Dutch and English
    texts, citizens' wording with typos included) keeps its reply: none gets the other-language note."""
    import yaml

    texts: list[str] = []
    for path in sorted((ROOT / "data" / "nlu").glob("*/*.yml")):
        for item in (yaml.safe_load(path.read_text(encoding="utf-8")) or {}).get("nlu", []):
            texts += [line.strip()[2:] for line in (item.get("examples") or "").splitlines() if line.strip()]
    for path in sorted((ROOT / "data" / "answers" / "example_questions").glob("*.yml")):
        sections = (yaml.safe_load(path.read_text(encoding="utf-8")) or {}).get("sections") or {}
        texts += [question for questions in sections.values() for question in questions]
    assert len(texts) > 6000
    assert [(text, code) for text in texts if (code := other_language(text))] == []
