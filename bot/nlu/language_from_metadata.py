"""The citizen's language as an entity, taken from the message metadata the gateway sends.

The api gateway detects the language of every message (or takes the page's /nl or /en
choice) and sends it as `metadata.language`. Turning it into a `language` entity lets the
domain fill the `language` slot with a plain `from_entity` mapping, inside Rasa, instead of
a custom slot-mapping action: that was one extra action-server round trip on every turn.
"""

from __future__ import annotations

from typing import Any, Dict, List, Text

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.extractors.extractor import EntityExtractorMixin
from rasa.shared.nlu.constants import (
    ENTITIES,
    ENTITY_ATTRIBUTE_CONFIDENCE,
    ENTITY_ATTRIBUTE_END,
    ENTITY_ATTRIBUTE_START,
    ENTITY_ATTRIBUTE_TYPE,
    ENTITY_ATTRIBUTE_VALUE,
    TEXT,
)
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from knowledge.languages import SUPPORTED_LANGUAGES

METADATA = "metadata"


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.ENTITY_EXTRACTOR, is_trainable=False)
class LanguageFromMetadata(GraphComponent, EntityExtractorMixin):
    """Adds entity `language` (one of `languages`) when the message metadata carries one."""

    @staticmethod
    def get_default_config() -> Dict[Text, Any]:
        return {"entity": "language", "languages": list(SUPPORTED_LANGUAGES)}

    def __init__(self, config: Dict[Text, Any]) -> None:
        self._entity: Text = config["entity"]
        self._languages = set(config["languages"])

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
            metadata = message.get(METADATA) or {}
            language = metadata.get("language") if isinstance(metadata, dict) else None
            if language not in self._languages:
                continue
            entity = {
                ENTITY_ATTRIBUTE_TYPE: self._entity,
                ENTITY_ATTRIBUTE_VALUE: language,
                ENTITY_ATTRIBUTE_START: 0,
                ENTITY_ATTRIBUTE_END: len(message.get(TEXT) or ""),
                ENTITY_ATTRIBUTE_CONFIDENCE: 1.0,
            }
            entities = [*message.get(ENTITIES, []), *self.add_extractor_name([entity])]
            message.set(ENTITIES, entities, add_to_output=True)
        return messages

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        return training_data  # training examples carry no metadata
