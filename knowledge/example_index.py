"""Labelled example messages, embedded once (as queries) and cached on disk per embedder.

Used by the router (team and out-of-scope examples: routing/signals.py) and by the answer engine
(questions citizens ask that a section answers: knowledge/examples.py).
"""

from __future__ import annotations

import hashlib
import json
import os
import threading
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from knowledge.types import Embedder


EXAMPLES_PREFIX = "examples-"  # the cache files' names: examples-<embedder>-<digest of the examples>.npy


def save_array(path: Path, array: np.ndarray) -> None:
    """Write a cache file whole or not at all: under a name of its own per process first, as
    replicas sharing the index folder may write the same file at the same time."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f"{path.stem}.{os.getpid()}.tmp.npy")
    np.save(tmp, array)
    tmp.replace(path)


def remove_stale_caches(directory: Path, *, keep: Iterable[Path], patterns: Sequence[str]) -> list[Path]:
    """Remove the cache files in `directory` matching `patterns` other than `keep`: each edit to
    the examples writes files of its own (about 5 MB for the answer engine's), and the earlier ones
    are never read again. Returns what was removed."""
    kept = {path.resolve() for path in keep}
    removed = []
    for pattern in patterns:
        for path in directory.glob(pattern):
            if path.resolve() not in kept and path.is_file():
                path.unlink(missing_ok=True)
                removed.append(path)
    return sorted(removed)


@dataclass(frozen=True)
class SimilarExample:
    label: str
    text: str
    similarity: float


class ExampleIndex:
    """Labelled examples (a team's messages, a section's questions), embedded once and cached on
    disk per embedder and set of examples.

    Examples are embedded like queries: a citizen's message is compared with other citizen
    messages (e5 models use the "query: " prefix on both sides of a symmetric comparison).
    """

    def __init__(
        self, embedder: Embedder, examples: Sequence[tuple[str, str]], *, cache_dir: Path | None = None
    ) -> None:
        self.embedder = embedder
        self.labels = [label for label, _ in examples]
        self.texts = [text for _, text in examples]
        self._rows = {
            label: np.array([i for i, lab in enumerate(self.labels) if lab == label])
            for label in sorted(set(self.labels))
        }
        self.cache_dir = cache_dir
        self._vectors: np.ndarray | None = None
        self._lock = threading.Lock()

    def cache_path(self) -> Path | None:
        if self.cache_dir is None:
            return None
        digest = hashlib.sha256(json.dumps([self.embedder.name, self.texts], ensure_ascii=False).encode()).hexdigest()[
            :16
        ]
        safe = "".join(c if c.isalnum() else "-" for c in self.embedder.name)[-40:]
        return self.cache_dir / f"{EXAMPLES_PREFIX}{safe}-{digest}.npy"

    @property
    def cached(self) -> bool:
        """Whether the vectors are on disk already (warming up is then a read, not an embedding)."""
        path = self.cache_path()
        return path is not None and path.exists()

    @property
    def vectors(self) -> np.ndarray:
        with self._lock:
            if self._vectors is None:
                path = self.cache_path()
                if path is not None and path.exists():
                    vectors = np.load(path)
                    if vectors.shape[0] == len(self.texts):
                        self._vectors = vectors
                if self._vectors is None:
                    self._vectors = np.asarray(self.embedder.embed_queries(self.texts), dtype=np.float32)
                    if path is not None:
                        save_array(path, self._vectors)
            return self._vectors

    def warm_up(self) -> None:
        _ = self.vectors

    def similarities(self, query: np.ndarray) -> np.ndarray:
        return self.vectors @ np.asarray(query, dtype=np.float32)

    def label_scores(self, sims: np.ndarray, top_k: int) -> dict[str, float]:
        """Per label: the mean of its top_k example similarities."""
        return {label: float(np.sort(sims[rows])[::-1][:top_k].mean()) for label, rows in self._rows.items()}

    def best(self, sims: np.ndarray, label: str, *, k: int = 1) -> float | None:
        """The similarity of the label's closest example (k > 1: the mean of its k closest); None
        for a label without examples."""
        rows = self._rows.get(label)
        if rows is None:
            return None
        if k == 1:
            return float(sims[rows].max())
        return float(np.sort(sims[rows])[::-1][:k].mean())

    def nearest(self, sims: np.ndarray, n: int = 3) -> list[SimilarExample]:
        order = np.argsort(-sims)[:n]
        return [SimilarExample(self.labels[i], self.texts[i], round(float(sims[i]), 4)) for i in order]
