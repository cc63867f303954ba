"""Which label a message has: a linear classifier over labelled example messages' vectors.

The answer engine's use, which section a question asks about: the closest example question
(knowledge/example_index.py) lets one lucky example decide. A multinomial logistic regression
fitted on all of them learns which directions of the embedding tell one section's questions from
another's, and gives every section a probability. On the test split's 160 covered questions
(C and the sentences' weight chosen on dev), its most probable section was right for 0.79 against
the closest example's 0.66, its most probable page for 0.93 against 0.85 (docs/answers.md,
"section classifier"). The engine uses its log-probabilities as evidence for the page and section rankers
and for the decision. The router has one over its team examples.

The weights are fitted once per set of example vectors (a few seconds on two cores) and cached
beside them, so a replica starting on a built index only reads them.
"""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Callable, Hashable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from knowledge.example_index import save_array

if TYPE_CHECKING:
    from knowledge.example_index import ExampleIndex
    from knowledge.index import KnowledgeIndex

CLASSIFIER_PREFIX = "classifier-"  # the cache files' names: classifier-<digest of examples and options>.npy
# Inverse regularisation: 100 gave the best top section on dev (1: 0.63, 10: 0.73, 100: 0.79,
# 1000: 0.79, but a worse top page).
REGULARISATION_C = 100.0
# The sentences of each section join its examples as training points, each weighing this much
# against an example question: dev, the classifier alone, top section 0.79 -> 0.81 (weights 0.1:
# 0.79, 0.2 and 0.3: 0.81, 0.5: 0.80, 1: 0.80). A page's sentences say what it covers in words an
# example may miss; questions stay the main evidence of how citizens ask.
SENTENCE_WEIGHT = 0.25
# Log-probabilities are clipped here: a feature of -40 for a section nobody asks about would
# dominate the rankers' standardised evidence without telling them more than -12 does.
LOG_FLOOR = -12.0


class ExampleClassifier:
    """Multinomial logistic regression from a message's vector to the label of its examples."""

    def __init__(
        self,
        examples: ExampleIndex,
        *,
        extra: Sequence[tuple[str, np.ndarray]] = (),
        c: float = REGULARISATION_C,
        extra_weight: float = SENTENCE_WEIGHT,
    ) -> None:
        """`extra`: per label, more training points (the vectors of a section's sentences), each
        weighing `extra_weight`; a label without examples is not a class."""
        self.examples = examples
        self.c = c
        self.labels: list[str] = sorted(set(examples.labels))
        known = set(self.labels)
        self.extra = [(label, vectors) for label, vectors in extra if label in known and len(vectors)]
        self.extra_weight = extra_weight
        self._weights: np.ndarray | None = None  # (labels, dim + 1): the bias in the last column
        self._lock = threading.Lock()
        # Per reader (its key): the rows and labels of the sections it may read.
        self._admitted_by: dict[Hashable, tuple[np.ndarray, list[str]]] = {}

    def cache_path(self) -> Path | None:
        directory = self.examples.cache_dir
        if directory is None:
            return None
        vectors = self.examples.vectors
        digest = hashlib.sha256()
        digest.update(np.ascontiguousarray(vectors).tobytes())
        digest.update("\n".join(self.examples.labels).encode())
        for label, extra_vectors in self.extra:
            digest.update(label.encode())
            digest.update(np.ascontiguousarray(extra_vectors, dtype=np.float32).tobytes())
        digest.update(repr((self.c, self.extra_weight)).encode())
        return directory / f"{CLASSIFIER_PREFIX}{digest.hexdigest()[:16]}.npy"

    @property
    def cached(self) -> bool:
        """Whether the weights are on disk already (warming up is then a read, not a fit)."""
        path = self.cache_path()
        return path is not None and path.exists()

    @property
    def weights(self) -> np.ndarray:
        with self._lock:
            if self._weights is None:
                self._weights = self._load_or_fit()
            return self._weights

    def _load_or_fit(self) -> np.ndarray:
        path = self.cache_path()
        if path is not None and path.exists():
            weights = np.load(path)
            if weights.shape == (len(self.labels), self.examples.vectors.shape[1] + 1):
                return weights
        weights = self._fit()
        if path is not None:
            save_array(path, weights)
        return weights

    def _fit(self) -> np.ndarray:
        from sklearn.linear_model import LogisticRegression

        vectors = self.examples.vectors
        if len(self.labels) < 2:  # one label: it is always the one
            return np.zeros((len(self.labels), vectors.shape[1] + 1), dtype=np.float32)
        labels = list(self.examples.labels)
        weights = [1.0] * len(labels)
        if self.extra:
            vectors = np.vstack([vectors, *(v for _, v in self.extra)])
            for label, extra_vectors in self.extra:
                labels += [label] * len(extra_vectors)
                weights += [self.extra_weight] * len(extra_vectors)
        model = LogisticRegression(C=self.c, max_iter=3000)
        model.fit(vectors, labels, sample_weight=np.asarray(weights))
        order = [list(model.classes_).index(label) for label in self.labels]
        return np.hstack([model.coef_[order], model.intercept_[order, None]]).astype(np.float32)

    def warm_up(self) -> None:
        _ = self.weights

    def log_probabilities(
        self, vector: np.ndarray, *, readable: Callable[[str], bool] | None = None, key: Hashable = None
    ) -> dict[str, float]:
        """Per label, its log-probability, clipped at LOG_FLOOR. `readable` (a section label's
        page id -> whether this reader may read it; `key` names that reader, to cache which labels
        it admits): the probabilities are among the sections of the pages it admits only."""
        weights = self.weights
        rows, labels = self._admitted(readable, key)
        if not labels:
            return {}
        logits = weights[rows, :-1] @ np.asarray(vector, dtype=np.float32) + weights[rows, -1]
        logits = logits - logits.max()
        log_probs = np.maximum(logits - np.log(np.exp(logits).sum()), LOG_FLOOR)
        return dict(zip(labels, log_probs.tolist(), strict=True))

    def _admitted(self, readable: Callable[[str], bool] | None, key: Hashable) -> tuple[np.ndarray, list[str]]:
        """The rows and labels `readable` admits (all without it), once per reader."""
        if readable is None:
            return np.arange(len(self.labels)), self.labels
        admitted = self._admitted_by.get(key)
        if admitted is None:
            from knowledge.examples import page_of

            kept = [(row, label) for row, label in enumerate(self.labels) if readable(page_of(label))]
            admitted = (np.array([row for row, _ in kept], dtype=int), [label for _, label in kept])
            self._admitted_by[key] = admitted
        return admitted


def section_classifier(examples: ExampleIndex, index: KnowledgeIndex) -> ExampleClassifier:
    """The answer engine's classifier of an index's sections: their example questions, and their
    sentences when the index stores sentence vectors."""
    from knowledge.chunking import heading_of
    from knowledge.examples import section_label

    sentences = []
    for row, chunk in enumerate(index.chunks):
        vectors = index.sentences_of(row)
        if vectors is not None:
            sentences.append((section_label(chunk.doc_id, heading_of(chunk.section)), vectors))
    return ExampleClassifier(examples, extra=sentences)


def page_log_probabilities(section_log_probs: dict[str, float]) -> dict[str, float]:
    """Per page id, the log of the summed probabilities of its sections (clipped at LOG_FLOOR)."""
    from knowledge.examples import page_of

    totals: dict[str, float] = {}
    for label, value in section_log_probs.items():
        page = page_of(label)
        totals[page] = totals.get(page, 0.0) + float(np.exp(value))
    return {page: max(LOG_FLOOR, float(np.log(total))) for page, total in totals.items()}
