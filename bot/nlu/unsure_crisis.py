"""An unsure crisis reading becomes an intent of its own, `crisis_unsure`.

The classifier reads ordinary messages in strong words as a crisis now and then: "ze was heel
onbeleefd" as the answer to the complaint form's "Wat is er gebeurd?" (0.50), "ik vind hem te
hoog" about the WOZ value (0.44). Under the one `crisis` intent the rules stopped the form and
showed only the help lines. With its own intent, the dialogue can tell the two apart: outside a
form `action_crisis` answers an unsure reading from the documents when they answer it, with the
help lines asked after the answer; inside a form the message is the answer to the form's
question (the slots' mappings exclude only `crisis`), and the form's validation adds the help
lines asked. Messages the gateway recognises as a crisis (data/crisis/signals.yml) come as
`/crisis` and never pass through the NLU pipeline, so they are always the sure `crisis`.
"""

from __future__ import annotations

from typing import Any, Dict, List, Text

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.shared.nlu.constants import INTENT, INTENT_NAME_KEY, INTENT_RANKING_KEY, PREDICTED_CONFIDENCE_KEY
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=False)
class UnsureCrisis(GraphComponent):
    """Renames `intent` to `unsure_intent` when its confidence is below `sure_confidence`."""

    @staticmethod
    def get_default_config() -> Dict[Text, Any]:
        return {"intent": "crisis", "unsure_intent": "crisis_unsure", "sure_confidence": 0.9}

    def __init__(self, config: Dict[Text, Any]) -> None:
        self._intent: Text = config["intent"]
        self._unsure: Text = config["unsure_intent"]
        self._sure = float(config["sure_confidence"])

    @classmethod
    def create(
        cls,
        config: Dict[Text, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> GraphComponent:
        return cls(config)

    def process(self, messages: List[Message]) -> List[Message]:
        for message in messages:
            intent = message.get(INTENT) or {}
            if intent.get(INTENT_NAME_KEY) != self._intent:
                continue
            if float(intent.get(PREDICTED_CONFIDENCE_KEY) or 0.0) >= self._sure:
                continue
            message.set(INTENT, {**intent, INTENT_NAME_KEY: self._unsure}, add_to_output=True)
            ranking = message.get(INTENT_RANKING_KEY) or []
            if ranking and ranking[0].get(INTENT_NAME_KEY) == self._intent:
                ranking = [{**ranking[0], INTENT_NAME_KEY: self._unsure}, *ranking[1:]]
                message.set(INTENT_RANKING_KEY, ranking, add_to_output=True)
        return messages

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        return training_data  # only what the classifier predicts is renamed
