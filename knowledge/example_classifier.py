"""Which section a question asks about: a linear classifier over the example questions' vectors.

The closest example question (knowledge/example_index.py) lets one lucky example decide. A
multinomial logistic regression fitted on all of them learns which directions of the embedding
tell one section's questions from another's, and gives every section a probability. On the dev
split's covered questions (nothing of the split in its training), its most probable section was
right for 0.79 against the closest example's 0.62, its most probable page for 0.93 against 0.81
(docs/answers.md, "section classifier"). The answer engine uses its log-probabilities as evidence
for the page and section rankers.

The weights are fitted once per set of example vectors (a few seconds on two cores) and cached
beside them, so a replica starting on a built index only reads them.
"""

from __future__ import annotations

import hashlib
import os
import threading
from collections.abc import Callable, Hashable
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from knowledge.example_index import ExampleIndex

# Inverse regularisation: 100 gave the best top section on dev (1: 0.63, 10: 0.73, 100: 0.79,
# 1000: 0.79, but a worse top page).
REGULARISATION_C = 100.0
# Log-probabilities are clipped here: a feature of -40 for a section nobody asks about would
# dominate the rankers' standardised evidence without telling them more than -12 does.
LOG_FLOOR = -12.0


class SectionClassifier:
    """Multinomial logistic regression from a question's vector to the section of its examples."""

    def __init__(self, examples: ExampleIndex, *, c: float = REGULARISATION_C) -> None:
        self.examples = examples
        self.c = c
        self.labels: list[str] = sorted(set(examples.labels))
        self._weights: np.ndarray | None = None  # (labels, dim + 1): the bias in the last column
        self._lock = threading.Lock()
        self._masks: dict[Hashable, np.ndarray] = {}  # per reader: the labels it may read

    def _cache_path(self) -> Path | None:
        directory = self.examples.cache_dir
        if directory is None:
            return None
        vectors = self.examples.vectors
        digest = hashlib.sha256()
        digest.update(np.ascontiguousarray(vectors).tobytes())
        digest.update("\n".join(self.examples.labels).encode())
        digest.update(repr(self.c).encode())
        return directory / f"section-classifier-{digest.hexdigest()[:16]}.npy"

    @property
    def cached(self) -> bool:
        """Whether the weights are on disk already (warming up is then a read, not a fit)."""
        path = self._cache_path()
        return path is not None and path.exists()

    @property
    def weights(self) -> np.ndarray:
        with self._lock:
            if self._weights is None:
                self._weights = self._load_or_fit()
            return self._weights

    def _load_or_fit(self) -> np.ndarray:
        path = self._cache_path()
        if path is not None and path.exists():
            weights = np.load(path)
            if weights.shape == (len(self.labels), self.examples.vectors.shape[1] + 1):
                return weights
        weights = self._fit()
        if path is not None:
            path.parent.mkdir(parents=True, exist_ok=True)
            # A name of its own per process: replicas sharing the index folder may fit at once.
            tmp = path.with_name(f"{path.stem}.{os.getpid()}.tmp.npy")
            np.save(tmp, weights)
            tmp.replace(path)
        return weights

    def _fit(self) -> np.ndarray:
        from sklearn.linear_model import LogisticRegression

        vectors = self.examples.vectors
        if len(self.labels) < 2:  # one section: it is always the one asked about
            return np.zeros((len(self.labels), vectors.shape[1] + 1), dtype=np.float32)
        model = LogisticRegression(C=self.c, max_iter=2000)
        model.fit(vectors, self.examples.labels)
        order = [list(model.classes_).index(label) for label in self.labels]
        return np.hstack([model.coef_[order], model.intercept_[order, None]]).astype(np.float32)

    def warm_up(self) -> None:
        _ = self.weights

    def log_probabilities(
        self, vector: np.ndarray, *, readable: Callable[[str], bool], key: Hashable
    ) -> dict[str, float]:
        """Per section label, its log-probability among the sections of the pages `readable`
        admits (a page id -> whether this reader may read it; `key` names that reader, to cache
        which labels it admits). Clipped at LOG_FLOOR."""
        weights = self.weights
        mask = self._mask(readable, key)
        if not mask.any():
            return {}
        logits = weights[mask, :-1] @ np.asarray(vector, dtype=np.float32) + weights[mask, -1]
        logits = logits - logits.max()
        log_probs = logits - np.log(np.exp(logits).sum())
        labels = [label for label, keep in zip(self.labels, mask, strict=True) if keep]
        return {label: max(LOG_FLOOR, float(value)) for label, value in zip(labels, log_probs, strict=True)}

    def _mask(self, readable: Callable[[str], bool], key: Hashable) -> np.ndarray:
        mask = self._masks.get(key)
        if mask is None:
            from knowledge.examples import page_of

            mask = np.array([readable(page_of(label)) for label in self.labels], dtype=bool)
            self._masks[key] = mask
        return mask


def page_log_probabilities(section_log_probs: dict[str, float]) -> dict[str, float]:
    """Per page id, the log of the summed probabilities of its sections (clipped at LOG_FLOOR)."""
    from knowledge.examples import page_of

    totals: dict[str, float] = {}
    for label, value in section_log_probs.items():
        page = page_of(label)
        totals[page] = totals.get(page, 0.0) + float(np.exp(value))
    return {page: max(LOG_FLOOR, float(np.log(total))) for page, total in totals.items()}
