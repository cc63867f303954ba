"""Sentence-level evidence: the best e5 similarity between a question and one sentence of a section.

A section answers a question with one or two of its sentences; the similarity of the whole
section dilutes that signal for long sections and for questions told as a story. The units are
the section's sentences, one per line or per sentence within a line (list items are lines); a
unit shorter than `MIN_WORDS` ("Kosten:", "Let op!") joins the one after it, because on its own
it says too little to be matched.

The vectors of every chunk's units are computed at ingest and stored with the index
(knowledge/index.py); per turn only a matrix product with the query vector that the turn already
has is left. An index built before they were stored gets them embedded once per chunk text and
kept here (slow: ~2,000 sentences take a minute or more on two cores).
"""

from __future__ import annotations

import threading
from collections.abc import Iterable
from typing import TYPE_CHECKING

import numpy as np

from knowledge.chunking import split_sentences
from knowledge.types import Embedder, Hit

if TYPE_CHECKING:
    from knowledge.index import KnowledgeIndex

MIN_WORDS = 4
# Stored in the index manifest: bump when `sentence_units` changes, so stored vectors are redone.
SENTENCES_VERSION = f"sentences-v1-{MIN_WORDS}w"


def sentence_units(text: str) -> list[str]:
    """The section's sentences (lines, split at sentence ends), short ones joined to the next."""
    pieces = [s for line in text.splitlines() if line.strip() for s in split_sentences(line.strip())]
    units: list[str] = []
    pending = ""
    for piece in pieces:
        joined = f"{pending} {piece}".strip()
        if len(joined.split()) < MIN_WORDS:
            pending = joined
            continue
        units.append(joined)
        pending = ""
    if pending:
        if units:
            units[-1] = f"{units[-1]} {pending}"
        else:
            units.append(pending)
    return units


class SentenceVectors:
    """The sentence vectors of an index's chunks: the stored ones, or (for an index without
    them) embedded on first use and kept per chunk text."""

    def __init__(self, embedder: Embedder, index: KnowledgeIndex | None = None) -> None:
        self.embedder = embedder
        self.index = index
        self._rows = {chunk.chunk_id: row for row, chunk in enumerate(index.chunks)} if index is not None else {}
        self._vectors: dict[str, np.ndarray] = {}
        self._lock = threading.Lock()

    @property
    def stored(self) -> bool:
        return self.index is not None and self.index.sentence_offsets is not None

    def __len__(self) -> int:
        return len(self._vectors)

    def ensure(self, texts: Iterable[str]) -> None:
        """Embed the sentences of the texts not seen yet, all in one batch."""
        missing = sorted({t for t in texts if t not in self._vectors})
        if not missing:
            return
        units = [sentence_units(text) for text in missing]
        flat = [unit for group in units for unit in group]
        embedded = self.embedder.embed_documents(flat) if flat else np.zeros((0, self.embedder.dim), np.float32)
        vectors, start = {}, 0
        for text, group in zip(missing, units, strict=True):
            vectors[text] = np.asarray(embedded[start : start + len(group)], dtype=np.float32)
            start += len(group)
        with self._lock:
            self._vectors.update(vectors)

    def of(self, hits: list[Hit]) -> list[np.ndarray]:
        """Each passage's sentence vectors: from the index, else embedded (once) from its text."""
        stored = [self._stored(hit) for hit in hits]
        self.ensure(hit.passage for hit, vectors in zip(hits, stored, strict=True) if vectors is None)
        return [self._vectors[hit.passage] if v is None else v for hit, v in zip(hits, stored, strict=True)]

    def best(self, hits: list[Hit], query: np.ndarray) -> list[float]:
        """Per passage, the highest similarity of one of its sentences to the (unit) query vector;
        0.0 for a passage without sentences."""
        return [float(np.max(v @ query)) if len(v) else 0.0 for v in self.of(hits)]

    def _stored(self, hit: Hit) -> np.ndarray | None:
        row = self._rows.get(hit.chunk_id)
        if self.index is None or row is None or self.index.chunks[row].text != hit.passage:
            return None
        return self.index.sentences_of(row)
