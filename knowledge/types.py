"""Core value types and the protocols at the knowledge package's boundaries."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import TYPE_CHECKING, Literal, Protocol, runtime_checkable

if TYPE_CHECKING:  # numpy is cheap, but keep the import graph obvious
    import numpy as np

    from knowledge.query_vectors import QueryVector
    from knowledge.search import SearchResult

Audience = Literal["public", "internal"]
AUDIENCES: tuple[Audience, ...] = ("public", "internal")
ADMIN_ROLE = "admin"


@dataclass(frozen=True)
class Document:
    id: str
    title: str
    language: str = "nl"
    audience: Audience = "public"
    team: str | None = None
    # Teams that may read an internal document; ignored for public ones.
    allowed_teams: tuple[str, ...] = ()
    url: str | None = None
    effective_date: date | None = None
    version: str | None = None
    summary: str | None = None
    body: str = ""
    source_path: str | None = None


@dataclass(frozen=True)
class Chunk:
    chunk_id: str
    doc_id: str
    title: str
    section: str  # heading path, e.g. "Paspoort aanvragen › Kosten"
    text: str
    language: str = "nl"
    audience: Audience = "public"
    team: str | None = None
    allowed_teams: tuple[str, ...] = ()
    url: str | None = None

    def embed_text(self) -> str:
        """What the dense model sees: title and section give short passages their context."""
        if self.section and self.section != self.title:
            return f"{self.title} — {self.section}: {self.text}"
        return f"{self.title}: {self.text}"


@dataclass(frozen=True)
class Hit:
    doc_id: str
    title: str
    section: str
    url: str | None
    audience: Audience
    team: str | None
    score: float  # fused (reciprocal rank) score: only comparable within one result list
    passage: str
    chunk_id: str = ""
    bm25_score: float = 0.0  # 0.0 when the passage came from dense retrieval only
    dense_score: float = 0.0  # cosine similarity between query and passage
    coverage: float = 0.0  # idf-weighted share of the query's words the passage contains


class _Guarded(Protocol):
    @property
    def audience(self) -> Audience: ...

    @property
    def allowed_teams(self) -> tuple[str, ...]: ...


@dataclass(frozen=True)
class Reader:
    """Who is asking. The one place that decides what a person may read."""

    roles: frozenset[str] = field(default_factory=frozenset)
    teams: frozenset[str] = field(default_factory=frozenset)

    @classmethod
    def public(cls) -> Reader:
        """An anonymous citizen: public documents only."""
        return cls(frozenset(), frozenset())

    @classmethod
    def staff(
        cls,
        teams: frozenset[str] | set[str] | tuple[str, ...] = (),
        roles: frozenset[str] | set[str] | tuple[str, ...] = ("staff",),
    ) -> Reader:
        return cls(frozenset(roles), frozenset(teams))

    @property
    def is_admin(self) -> bool:
        return ADMIN_ROLE in self.roles

    def may_read(self, item: _Guarded) -> bool:
        """Works for a Chunk or a Document. Anything not explicitly public is treated as internal."""
        if item.audience == "public":
            return True
        if self.is_admin:
            return True
        return bool(self.teams.intersection(item.allowed_teams))


@runtime_checkable
class Embedder(Protocol):
    """Turns text into L2-normalised float32 vectors (rows), so inner product = cosine."""

    @property
    def name(self) -> str: ...

    @property
    def dim(self) -> int: ...

    def embed_documents(self, texts: list[str]) -> np.ndarray: ...

    def embed_queries(self, texts: list[str]) -> np.ndarray: ...


@runtime_checkable
class VectorIndex(Protocol):
    """Inner-product search over row ids 0..size-1, restricted to allowed rows *inside* the search."""

    @property
    def size(self) -> int: ...

    def search(self, query: np.ndarray, k: int, allowed: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
        """query: (dim,) float32; allowed: bool mask of length size or None for all.

        Returns (scores, ids), best first, only ids whose mask is True.
        """
        ...


class Searcher(Protocol):
    """What routing and the dialogue need from the knowledge search (knowledge.search.KnowledgeSearch)."""

    def search(
        self, query: str, *, reader: Reader, k: int = 5, query_vector: QueryVector | None = None
    ) -> SearchResult: ...
