"""Exact inner-product search with faiss; access filtering happens inside the search."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np


class FaissVectorIndex:
    """A faiss IndexFlatIP over L2-normalised rows (inner product = cosine).

    ``allowed`` becomes a faiss ID selector, so rows a reader may not see are never scored
    or counted: the top-k is the top-k of the allowed rows, whatever else is in the index.
    """

    def __init__(self, index: Any) -> None:
        self._index = index

    @classmethod
    def from_embeddings(cls, embeddings: np.ndarray) -> FaissVectorIndex:
        import faiss

        embeddings = np.ascontiguousarray(embeddings, dtype=np.float32)
        index = faiss.IndexFlatIP(int(embeddings.shape[1]))
        if embeddings.shape[0]:
            index.add(embeddings)
        return cls(index)

    @property
    def size(self) -> int:
        return int(self._index.ntotal)

    @property
    def dim(self) -> int:
        return int(self._index.d)

    def search(self, query: np.ndarray, k: int, allowed: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
        import faiss

        n_allowed = self.size if allowed is None else int(np.count_nonzero(allowed))
        k = min(k, n_allowed)
        if k <= 0:
            return np.zeros(0, np.float32), np.zeros(0, np.int64)
        q = np.ascontiguousarray(query, dtype=np.float32).reshape(1, -1)
        if allowed is None or n_allowed == self.size:
            scores, ids = self._index.search(q, k)
        else:
            bitmap = np.packbits(np.asarray(allowed, dtype=bool), bitorder="little")  # faiss reads bit i of byte i>>3
            params = faiss.SearchParameters(sel=faiss.IDSelectorBitmap(bitmap))
            scores, ids = self._index.search(q, k, params=params)
        keep = ids[0] >= 0
        return scores[0][keep].astype(np.float32), ids[0][keep].astype(np.int64)

    def save(self, path: Path) -> None:
        import faiss

        faiss.write_index(self._index, str(path))

    @classmethod
    def load(cls, path: Path) -> FaissVectorIndex:
        import faiss

        return cls(faiss.read_index(str(path)))
