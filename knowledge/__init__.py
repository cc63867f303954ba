"""Loket knowledge: ingest policy documents, index them (BM25 + dense), search with access control.

Importing the package is cheap: the types are imported eagerly, everything else (spaCy,
faiss, torch, models) only when one of the names below is first used.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from knowledge.types import Chunk, Document, Embedder, Hit, Reader, VectorIndex

if TYPE_CHECKING:
    from knowledge.chunking import chunk_document
    from knowledge.embedding import DEFAULT_EMBEDDER, make_embedder
    from knowledge.index import BuildReport, KnowledgeIndex, build_index, load_index
    from knowledge.ingest import IngestError, IngestResult, load_documents
    from knowledge.search import KnowledgeSearch, SearchResult, Thresholds

_LAZY = {
    "chunk_document": "knowledge.chunking",
    "DEFAULT_EMBEDDER": "knowledge.embedding",
    "make_embedder": "knowledge.embedding",
    "BuildReport": "knowledge.index",
    "KnowledgeIndex": "knowledge.index",
    "build_index": "knowledge.index",
    "load_index": "knowledge.index",
    "IngestError": "knowledge.ingest",
    "IngestResult": "knowledge.ingest",
    "load_documents": "knowledge.ingest",
    "KnowledgeSearch": "knowledge.search",
    "SearchResult": "knowledge.search",
    "Thresholds": "knowledge.search",
}

__all__ = [
    "DEFAULT_EMBEDDER",
    "BuildReport",
    "Chunk",
    "Document",
    "Embedder",
    "Hit",
    "IngestError",
    "IngestResult",
    "KnowledgeIndex",
    "KnowledgeSearch",
    "Reader",
    "SearchResult",
    "Thresholds",
    "VectorIndex",
    "build_index",
    "chunk_document",
    "load_documents",
    "load_index",
    "make_embedder",
]


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'knowledge' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value
