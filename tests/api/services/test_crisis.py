"""The gateway's crisis and threat checks: clear phrases in both languages, not everyday words."""

from __future__ import annotations

from pathlib import Path

import pytest

from api.services.crisis import SafetySignals, crisis_signal, threat_signal


@pytest.mark.parametrize(
    "text",
    [
        "Ik denk aan zelfmoord",
        "ik wil niet meer leven",
        "Ik wil dood",
        "ik wil mezelf iets aandoen",
        "ik wil een einde aan mijn leven maken",
        "mijn vriend zei dat hij zich van kant gaat maken",
        "ze dreigt zich van kant te maken",
        "ik zie het niet meer zitten",
        "Ik zie het echt niet meer zitten met al die schulden",
        "ik zie het leven niet meer zitten",
        "ik zie echt geen reden meer om door te gaan",
        "ik wil er een eind aan maken",
        "ik ga er een einde aan maken",
        "dan maak ik er maar een eind aan",
        "er is voor mij geen enkele reden meer om verder te leven",
        "ik zie echt geen uitweg meer met al die rekeningen",
        "mijn leven heeft geen zin meer",
        "soms wil ik gaan slapen en nooit meer wakker worden",
        "niemand zou me echt missen",
        "ze zijn allemaal beter af zonder mij",
        "ik denk dat ik er een einde aan ga maken",
        "I see no way out",
        "some days I just want to end it all",
        "everyone would be better off without me",
        "ik wil gewoon dat het allemaal ophoudt",
        "I just need everything to end",
        "I want to kill myself",
        "I don't want to live anymore",
        "thinking about suicide",
        "I'm being attacked",
    ],
)
def test_crisis_phrases_are_recognised(text: str) -> None:
    assert crisis_signal(text)


@pytest.mark.parametrize(
    "text",
    [
        "er ligt een dood dier op straat",
        "ik ga dood van het lachen",
        "mijn kat is dood, moet ik dat melden?",
        "wat kost een paspoort?",
        "I'm dying to know the opening hours",
        "ik zet de bank aan de kant, maken jullie hem schoon?",
        "the street light is dead",
        "ik wil leven in een groene stad",
        "ik zie het wel zitten om een dakkapel te bouwen",
        "ik zie het niet meer terug op de afvalkalender",
        "ik zie geen reden om door te gaan met mijn bezwaar",
        "ik wil er een eind aan maken dat de hond van de buren de hele dag blaft",
        "kunnen jullie er een eind aan maken? de hangjongeren zijn er weer",
        "het heeft geen zin meer om te bellen, er neemt toch niemand op",
        "is er een uitweg uit de schuldsanering?",
        "ik trek het niet meer met die herrie van de buren",  # left to the NLU: everyday exasperation too
        "hoe kan ik er een eind aan maken dat ze mijn oprit blokkeren",
        "the car park has no way out after 10 pm",
        "de buren maken elke nacht herrie, ik wil dat het stopt",
    ],
)
def test_everyday_words_are_not_a_crisis(text: str) -> None:
    assert crisis_signal(text) is None


def test_the_matched_phrase_is_returned_whatever_the_spacing_and_case() -> None:
    assert crisis_signal("Ik   WIL\nniet meer   Leven.") == "wil niet meer leven"


def test_the_phrases_are_data(tmp_path) -> None:
    signals = tmp_path / "signals.yml"
    signals.write_text("nl:\n  - 'rode\\s+knop'\nen: []\n", encoding="utf-8")
    assert crisis_signal("ik druk op de rode  knop", path=signals) == "rode knop"
    assert crisis_signal("ik wil dood", path=signals) is None  # only the file's phrases count
    empty = tmp_path / "empty.yml"
    empty.write_text("", encoding="utf-8")
    assert crisis_signal("ik wil dood", path=empty) is None
    assert threat_signal("ik druk op de rode knop", path=signals) == "rode knop"


# --- threats -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "als mijn uitkering niet komt, dan zullen jullie het zien",
        "ik kom jullie halen",
        "ik maak die ambtenaar af",
        "ik steek het gemeentehuis in brand",
        "er ligt straks een bom bij het stadhuis",
        "ik weet waar jullie wonen",
        "you'll regret this, I know where you live",
        "I will burn down the town hall",
    ],
)
def test_threats_are_recognised(text: str) -> None:
    assert threat_signal(text)


@pytest.mark.parametrize(
    "text",
    [
        "jullie zijn waardeloos, ik wil een klacht indienen",
        "ik ben boos over de behandeling aan de balie",
        "er staat een boom in brand in het park",  # an emergency: 112, not a threat to staff
        "wanneer kan ik mijn paspoort ophalen",
        "you will see the results in your letter box?",
        "the office was closed when I came, I want to complain",
    ],
)
def test_anger_and_everyday_words_are_not_a_threat(text: str) -> None:
    assert threat_signal(text) is None


def test_safety_signals_read_the_configured_directory(tmp_path: Path) -> None:
    (tmp_path / "signals.yml").write_text("nl: ['rode knop']\n", encoding="utf-8")
    (tmp_path / "threats.yml").write_text("nl: ['gele kaart']\n", encoding="utf-8")
    signals = SafetySignals.from_dir(tmp_path)
    assert signals.crisis("ik druk op de rode knop") == "rode knop"
    assert signals.crisis("ik wil niet meer leven") is None  # the shipped phrases are not read
    assert signals.threat("hier is de gele kaart") == "gele kaart"
    shipped = SafetySignals()
    assert shipped.crisis("ik wil niet meer leven") and shipped.threat("hier is de gele kaart") is None
