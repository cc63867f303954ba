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
            # faiss reads row i's bit at byte i >> 3, bit i & 7: little bit order. The bitmap and
            # the selector are held in locals: the C++ side only points at them.
            bitmap = np.packbits(np.asarray(allowed, dtype=bool), bitorder="little")
            selector = faiss.IDSelectorBitmap(bitmap.shape[0], faiss.swig_ptr(bitmap))
            params = faiss.SearchParameters()
            params.sel = selector
            scores, ids = self._index.search(q, k, params=params)
            del selector, bitmap
        keep = ids[0] >= 0
        return scores[0][keep].astype(np.float32), ids[0][keep].astype(np.int64)

    def save(self, path: Path) -> None:
        import faiss

        faiss.write_index(self._index, str(path))

    @classmethod
    def load(cls, path: Path) -> FaissVectorIndex:
        import faiss

        return cls(faiss.read_index(str(path)))


class ApproximateVectorIndex(FaissVectorIndex):
    """An approximate faiss index (IVF or HNSW) behind the same VectorIndex protocol.

    Access filtering works as for the exact index: the reader's bitmap becomes a faiss ID
    selector *inside* the search, so only allowed rows are ever scored or returned (with a
    very selective mask an approximate index may return fewer than k rows; never a forbidden one).

    kind "ivf": IndexIVFFlat, nlist ~ 4*sqrt(n) k-means cells, ``nprobe`` cells searched.
    kind "hnsw": IndexHNSWFlat (M links per node), ``ef_search`` candidates explored.
    """

    def __init__(self, index: Any, *, nprobe: int = 32, ef_search: int = 128) -> None:
        super().__init__(index)
        self.nprobe = nprobe
        self.ef_search = ef_search

    @classmethod
    def build(
        cls,
        embeddings: np.ndarray,
        kind: str = "ivf",
        *,
        nlist: int | None = None,
        nprobe: int = 32,
        m: int = 32,
        ef_construction: int = 80,
        ef_search: int = 128,
        train_size: int = 100_000,
        seed: int = 0,
    ) -> ApproximateVectorIndex:
        import faiss

        embeddings = np.ascontiguousarray(embeddings, dtype=np.float32)
        n, dim = embeddings.shape
        if kind == "ivf":
            nlist = nlist or max(1, min(n // 39, int(4 * np.sqrt(max(n, 1)))))
            quantizer = faiss.IndexFlatIP(dim)
            index: Any = faiss.IndexIVFFlat(quantizer, dim, nlist, faiss.METRIC_INNER_PRODUCT)
            rng = np.random.default_rng(seed)
            sample = embeddings if n <= train_size else embeddings[rng.choice(n, train_size, replace=False)]
            index.train(sample)
            index.add(embeddings)
            index.nprobe = nprobe
        elif kind == "hnsw":
            index = faiss.IndexHNSWFlat(dim, m, faiss.METRIC_INNER_PRODUCT)
            index.hnsw.efConstruction = ef_construction
            index.hnsw.efSearch = ef_search
            index.add(embeddings)
        else:
            raise ValueError(f"unknown approximate index kind {kind!r}: use 'ivf' or 'hnsw'")
        return cls(index, nprobe=nprobe, ef_search=ef_search)

    @property
    def kind(self) -> str:
        import faiss

        return "hnsw" if isinstance(self._index, faiss.IndexHNSWFlat) else "ivf"

    def search(self, query: np.ndarray, k: int, allowed: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
        import faiss

        n_allowed = self.size if allowed is None else int(np.count_nonzero(allowed))
        k = min(k, n_allowed)
        if k <= 0:
            return np.zeros(0, np.float32), np.zeros(0, np.int64)
        q = np.ascontiguousarray(query, dtype=np.float32).reshape(1, -1)
        if self.kind == "hnsw":
            params: Any = faiss.SearchParametersHNSW()  # type: ignore[attr-defined]
            params.efSearch = max(self.ef_search, k)
        else:
            params = faiss.SearchParametersIVF()
            params.nprobe = self.nprobe
        bitmap = selector = None
        if allowed is not None and n_allowed != self.size:
            bitmap = np.packbits(np.asarray(allowed, dtype=bool), bitorder="little")
            selector = faiss.IDSelectorBitmap(bitmap.shape[0], faiss.swig_ptr(bitmap))
            params.sel = selector
        scores, ids = self._index.search(q, k, params=params)
        del selector, bitmap
        keep = ids[0] >= 0
        return scores[0][keep].astype(np.float32), ids[0][keep].astype(np.int64)

    @classmethod
    def load(cls, path: Path) -> ApproximateVectorIndex:
        import faiss

        return cls(faiss.read_index(str(path)))


def make_vector_index(embeddings: np.ndarray, kind: str = "flat", **options: Any) -> FaissVectorIndex:
    """ "flat" (exact, the default), "ivf" or "hnsw" (approximate)."""
    if kind == "flat":
        return FaissVectorIndex.from_embeddings(embeddings)
    return ApproximateVectorIndex.build(embeddings, kind, **options)
