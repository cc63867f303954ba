"""Intent classification by multinomial logistic regression over the sentence features.

Measured on this project's data (5-fold cross-validation, docs/dialogue.md): DIET on the same
sparse n-gram + e5 features stayed near 0.78 macro F1 on Dutch; a regularised linear model
over the sentence-level features generalises better from ~50 examples per intent, trains in
seconds instead of minutes, and predicts with one matrix product (no TensorFlow in the turn).

Features: the sparse sentence features of the count-vector featurizers, weighted like
TF-IDF (sublinear term frequency, inverse document frequency learnt from the training
examples, unit length), next to the dense sentence features (the e5 embedding) scaled by
`dense_weight`. Training uses scikit-learn; the learnt weights are stored as plain arrays
(no pickle) and applied with numpy.
"""

from __future__ import annotations

import json
import logging
from typing import Any, Dict, List, Optional, Text, cast

import numpy as np
import scipy.sparse
from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.classifiers import LABEL_RANKING_LENGTH
from rasa.nlu.classifiers.classifier import IntentClassifier
from rasa.shared.nlu.constants import INTENT, INTENT_NAME_KEY, INTENT_RANKING_KEY, PREDICTED_CONFIDENCE_KEY, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

logger = logging.getLogger(__name__)

WEIGHTS_FILE = "weights.npz"
LABELS_FILE = "labels.json"


class SentenceFeatures:
    """Turns a message's sentence features into the classifier's input row."""

    def __init__(self, idf: Optional[np.ndarray], dense_weight: float) -> None:
        self.idf = idf
        self.dense_weight = dense_weight

    @staticmethod
    def raw(message: Message) -> tuple[Optional[scipy.sparse.spmatrix], Optional[np.ndarray]]:
        _, sparse = message.get_sparse_features(TEXT)
        _, dense = message.get_dense_features(TEXT)
        return (
            sparse.features.tocsr() if sparse is not None else None,
            np.asarray(dense.features, dtype=np.float32).reshape(-1) if dense is not None else None,
        )

    @staticmethod
    def learn_idf(counts: scipy.sparse.csr_matrix) -> np.ndarray:
        """Smoothed inverse document frequency, as scikit-learn's TfidfTransformer computes it."""
        documents = counts.shape[0]
        frequency = np.bincount(counts.indices, minlength=counts.shape[1]).astype(np.float64)
        return (np.log((1.0 + documents) / (1.0 + frequency)) + 1.0).astype(np.float32)

    def rows(self, counts: Optional[scipy.sparse.csr_matrix], dense: Optional[np.ndarray]) -> scipy.sparse.csr_matrix:
        """One row per message; sparse, because the character n-gram vocabulary is large."""
        parts = []
        if counts is not None and self.idf is not None:
            weighted = counts.astype(np.float32)
            weighted.data = np.log1p(weighted.data)  # sublinear term frequency
            weighted = weighted.multiply(self.idf.reshape(1, -1)).tocsr()
            norms = np.sqrt(np.asarray(weighted.multiply(weighted).sum(axis=1))).reshape(-1)
            parts.append(scipy.sparse.diags(1.0 / np.maximum(norms, 1e-12)) @ weighted)
        if dense is not None:
            parts.append(scipy.sparse.csr_matrix(dense * self.dense_weight))
        return scipy.sparse.hstack(parts).tocsr().astype(np.float32)


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=True)
class LinearIntentClassifier(GraphComponent, IntentClassifier):
    """Multinomial logistic regression on sparse (TF-IDF weighted) and dense sentence features."""

    @staticmethod
    def required_packages() -> List[Text]:
        return ["sklearn"]

    @staticmethod
    def get_default_config() -> Dict[Text, Any]:
        return {
            # Inverse regularisation strength of the logistic regression.
            "C": 10.0,
            # How much the dense sentence embedding counts next to the unit-length sparse part.
            "dense_weight": 3.0,
            # Weigh intents inversely to their number of examples (out_of_scope and
            # ask_question have many more than "thank"), which evens out macro F1.
            "balanced": True,
            "max_iter": 5000,
        }

    def __init__(
        self,
        config: Dict[Text, Any],
        model_storage: ModelStorage,
        resource: Resource,
        labels: Optional[List[Text]] = None,
        coef: Optional[np.ndarray] = None,
        intercept: Optional[np.ndarray] = None,
        idf: Optional[np.ndarray] = None,
    ) -> None:
        self._config = config
        self._model_storage = model_storage
        self._resource = resource
        self._labels = labels or []
        self._coef = coef
        self._intercept = intercept
        self._features = SentenceFeatures(idf, float(config["dense_weight"]))

    @classmethod
    def create(
        cls,
        config: Dict[Text, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> LinearIntentClassifier:
        return cls(config, model_storage, resource)

    @staticmethod
    def _stack(messages: List[Message]) -> tuple[Optional[scipy.sparse.csr_matrix], Optional[np.ndarray]]:
        raw = [SentenceFeatures.raw(m) for m in messages]
        counts = scipy.sparse.vstack([r[0] for r in raw]).tocsr() if raw and raw[0][0] is not None else None
        dense = np.vstack([cast(np.ndarray, r[1]) for r in raw]) if raw and raw[0][1] is not None else None
        return counts, dense

    def train(self, training_data: TrainingData) -> Resource:
        from sklearn.linear_model import LogisticRegression

        examples = [m for m in training_data.intent_examples if m.features_present(TEXT)]
        labels = [m.get(INTENT) for m in examples]
        if len(set(labels)) < 2:
            logger.warning("LinearIntentClassifier needs at least two intents; not trained.")
            return self._resource
        counts, dense = self._stack(examples)
        self._features.idf = SentenceFeatures.learn_idf(counts) if counts is not None else None
        model = LogisticRegression(
            C=float(self._config["C"]),
            max_iter=int(self._config["max_iter"]),
            class_weight="balanced" if self._config["balanced"] else None,
        )
        model.fit(self._features.rows(counts, dense), labels)
        self._labels = [str(label) for label in model.classes_]
        self._coef = model.coef_.astype(np.float32)
        self._intercept = model.intercept_.astype(np.float32)
        self._persist()
        return self._resource

    def _persist(self) -> None:
        assert self._coef is not None and self._intercept is not None  # trained
        with self._model_storage.write_to(self._resource) as directory:
            arrays = {"coef": self._coef, "intercept": self._intercept}
            if self._features.idf is not None:
                arrays["idf"] = self._features.idf
            # (the app venv's numpy stubs match **arrays against allow_pickle, which Rasa's numpy 1.23 lacks)
            np.savez(directory / WEIGHTS_FILE, **arrays)  # type: ignore[arg-type]
            (directory / LABELS_FILE).write_text(json.dumps(self._labels))

    @classmethod
    def load(
        cls,
        config: Dict[Text, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
        **kwargs: Any,
    ) -> LinearIntentClassifier:
        try:
            with model_storage.read_from(resource) as directory:
                labels = json.loads((directory / LABELS_FILE).read_text())
                with np.load(directory / WEIGHTS_FILE, allow_pickle=False) as weights:
                    idf = weights["idf"] if "idf" in weights.files else None
                    return cls(config, model_storage, resource, labels, weights["coef"], weights["intercept"], idf)
        except (ValueError, FileNotFoundError):
            logger.debug("LinearIntentClassifier: no trained weights in %s; predicting nothing.", resource.name)
            return cls(config, model_storage, resource)

    def probabilities(self, messages: List[Message]) -> np.ndarray:
        assert self._coef is not None, "not trained"
        counts, dense = self._stack(messages)
        scores = np.asarray(self._features.rows(counts, dense) @ self._coef.T) + self._intercept
        scores -= scores.max(axis=1, keepdims=True)
        exp = np.exp(scores)
        return exp / exp.sum(axis=1, keepdims=True)

    def process(self, messages: List[Message]) -> List[Message]:
        usable = [m for m in messages if self._coef is not None and m.features_present(TEXT)]
        rankings: Dict[int, List[Dict[Text, Any]]] = {}
        if usable:
            for message, row in zip(usable, self.probabilities(usable), strict=True):
                order = np.argsort(-row)[:LABEL_RANKING_LENGTH]
                ranking = [{INTENT_NAME_KEY: self._labels[i], PREDICTED_CONFIDENCE_KEY: float(row[i])} for i in order]
                rankings[id(message)] = ranking
        for message in messages:
            # Untrained, or a message without text: no intent, as Rasa's own classifiers do.
            ranking = rankings.get(id(message), [])
            intent = ranking[0] if ranking else {INTENT_NAME_KEY: None, PREDICTED_CONFIDENCE_KEY: 0.0}
            message.set(INTENT, intent, add_to_output=True)
            message.set(INTENT_RANKING_KEY, ranking, add_to_output=True)
        return messages
