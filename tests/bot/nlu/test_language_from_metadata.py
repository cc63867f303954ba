"""bot/nlu/language_from_metadata.py: the gateway's `metadata.language` becomes the `language`
entity, in the Rasa environment."""

from __future__ import annotations

from typing import Any

import pytest

from knowledge.languages import SUPPORTED_LANGUAGES
from tests.bot.nlu.conftest import Parser, in_rasa

pytestmark = pytest.mark.integration

# Runs the component on messages built as Rasa builds them from a REST request, and reports the
# entities each one got.
COMPONENT = """
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData
from bot.nlu.language_from_metadata import LanguageFromMetadata


def entities(config, data):
    component = LanguageFromMetadata({**LanguageFromMetadata.get_default_config(), **config})
    messages = [Message(data=item) for item in data]
    assert component.process(messages) is messages
    return [m.get("entities", []) for m in messages]


earlier = {"entity": "city", "value": "Utrecht", "start": 0, "end": 7}
training = TrainingData([Message(data={"text": "hallo", "intent": "greet"})])
report({
    "default_config": LanguageFromMetadata.get_default_config(),
    "plain": entities({}, [
        {"text": "how much is a passport", "metadata": {"language": "en"}},
        {"text": "hoeveel kost een paspoort", "metadata": {"language": "nl"}},
        {"text": "", "metadata": {"language": "nl"}},
        {"text": "how much is a passport", "metadata": {"language": "xx"}},
        {"text": "how much is a passport", "metadata": {"language": "EN"}},
        {"text": "how much is a passport", "metadata": {}},
        {"text": "how much is a passport", "metadata": "en"},
        {"text": "how much is a passport"},
    ]),
    "earlier": entities({}, [{"text": "Utrecht", "entities": [earlier], "metadata": {"language": "nl"}}]),
    "configured": entities({"entity": "lang", "languages": ["nl"]}, [
        {"text": "hallo", "metadata": {"language": "nl"}},
        {"text": "hello", "metadata": {"language": "en"}},
    ]),
    "training_untouched": LanguageFromMetadata({"entity": "language", "languages": ["nl"]}).process_training_data(
        training) is training and training.training_examples[0].get("entities") is None,
})
"""


@pytest.fixture(scope="module")
def component() -> dict[str, Any]:
    return in_rasa(COMPONENT)


def language_entity(value: str, end: int, entity: str = "language") -> dict[str, Any]:
    return {
        "entity": entity, "value": value, "start": 0, "end": end, "confidence": 1.0,
        "extractor": "LanguageFromMetadata",
    }  # fmt: skip


def test_every_supported_language_is_recognised_by_default(component: dict[str, Any]) -> None:
    assert component["default_config"] == {"entity": "language", "languages": list(SUPPORTED_LANGUAGES)}


def test_a_supported_language_in_the_metadata_becomes_the_entity(component: dict[str, Any]) -> None:
    english, dutch, empty = component["plain"][:3]
    assert english == [language_entity("en", len("how much is a passport"))]
    assert dutch == [language_entity("nl", len("hoeveel kost een paspoort"))]
    assert empty == [language_entity("nl", 0)]


def test_no_entity_without_a_supported_language(component: dict[str, Any]) -> None:
    """Unknown codes, other spellings, no metadata or metadata that is not a mapping: the slot keeps
    its value (the gateway sends one of the supported codes)."""
    assert component["plain"][3:] == [[], [], [], [], []]


def test_entities_found_before_are_kept(component: dict[str, Any]) -> None:
    [entities] = component["earlier"]
    assert entities == [
        {"entity": "city", "value": "Utrecht", "start": 0, "end": 7},
        language_entity("nl", len("Utrecht")),
    ]


def test_the_entity_name_and_languages_are_configurable(component: dict[str, Any]) -> None:
    assert component["configured"] == [[language_entity("nl", len("hallo"), entity="lang")], []]


def test_training_examples_are_left_alone(component: dict[str, Any]) -> None:
    assert component["training_untouched"] is True


# --- in the trained pipeline ---------------------------------------------------------------------

LANGUAGE_CASES = [
    ({"text": "hoeveel kost een paspoort", "metadata": {"language": "en"}}, ["en"]),
    ({"text": "how much is a passport", "metadata": {"language": "xx"}}, []),
    ({"text": "how much is a passport"}, []),
]


def test_language_entity_comes_from_the_gateway_metadata(rasa_parser: Parser) -> None:
    results = rasa_parser([case for case, _ in LANGUAGE_CASES])
    languages = [[e["value"] for e in p["entities"] if e["entity"] == "language"] for p in results]
    assert languages == [expected for _, expected in LANGUAGE_CASES]
