"""bot/nlu/unsure_crisis.py: a crisis reading below the sure confidence becomes `crisis_unsure`, in
the Rasa environment; every other reading is left as it is."""

from __future__ import annotations

from typing import Any

import pytest

from tests.bot.nlu.conftest import in_rasa

pytestmark = pytest.mark.integration

# Runs the component on messages as the classifier and the fallback leave them, and reports each
# one's intent and ranking.
COMPONENT = """
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData
from bot.nlu.unsure_crisis import UnsureCrisis


def read(name, confidence, runner_up="ask_question"):
    ranking = [{"name": name, "confidence": confidence}, {"name": runner_up, "confidence": 1 - confidence}]
    return Message(data={"text": "x", "intent": {"name": name, "confidence": confidence}, "intent_ranking": ranking})


component = UnsureCrisis(UnsureCrisis.get_default_config())
messages = [read("crisis", 0.44), read("crisis", 0.9), read("crisis", 0.97), read("ask_question", 0.5),
            read("nlu_fallback", 0.35, "crisis")]
assert component.process(messages) is messages
training = TrainingData([Message(data={"text": "ik wil dood", "intent": "crisis"})])
report({
    "default_config": UnsureCrisis.get_default_config(),
    "read": [(m.get("intent"), m.get("intent_ranking")) for m in messages],
    "training_untouched": component.process_training_data(training) is training
        and training.training_examples[0].get("intent") == "crisis",
})
"""


@pytest.fixture(scope="module")
def component() -> dict[str, Any]:
    return in_rasa(COMPONENT)


def test_the_defaults_rename_crisis_below_0_9(component: dict[str, Any]) -> None:
    assert component["default_config"] == {"intent": "crisis", "unsure_intent": "crisis_unsure", "sure_confidence": 0.9}


def test_an_unsure_crisis_reading_is_renamed_with_its_confidence_and_ranking(component: dict[str, Any]) -> None:
    intent, ranking = component["read"][0]
    assert intent == {"name": "crisis_unsure", "confidence": 0.44}
    assert [r["name"] for r in ranking] == ["crisis_unsure", "ask_question"]


def test_a_sure_reading_and_every_other_intent_are_left_alone(component: dict[str, Any]) -> None:
    names = [intent["name"] for intent, _ in component["read"][1:]]
    assert names == ["crisis", "crisis", "ask_question", "nlu_fallback"]
    # Behind a fallback the ranking's crisis is not the reading: left as it is.
    assert [r["name"] for r in component["read"][4][1]] == ["nlu_fallback", "crisis"]


def test_training_data_is_untouched(component: dict[str, Any]) -> None:
    assert component["training_untouched"]
