"""Build and load the on-disk index: chunks, BM25 postings, embeddings and a faiss index.

Layout (one directory, e.g. ``var/index``)::

    index_dir/
      current -> v-20260101T120000Z-3f2a   symlink, swapped atomically with os.replace
      v-20260101T120000Z-3f2a/             one complete, immutable build
        manifest.json documents.jsonl chunks.jsonl embeddings.npy vectors.faiss bm25*
        sentences.npy sentence_offsets.npy   every chunk's sentence vectors (knowledge/sentences.py)
      .lock                                 serialises concurrent builds

A build writes ``.tmp-*`` first, renames it to ``v-*`` and only then repoints ``current``,
so a reader sees either the old build or the new one, never half of one. The previous
build is kept (a reader that resolved ``current`` just before the swap can finish loading).
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import json
import os
import secrets
import shutil
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import numpy as np

from knowledge.chunking import MAX_WORDS, chunk_document
from knowledge.sentences import SENTENCES_VERSION, sentence_units
from knowledge.sparse import Analyzer, BM25Index, mapped
from knowledge.types import Chunk, Document, Embedder, Reader, VectorIndex
from knowledge.vectors import ApproximateVectorIndex, FaissVectorIndex, make_vector_index

FORMAT_VERSION = 1
CURRENT = "current"
EMBED_BATCH = 64
# Bump when chunking or analysis changes in a way that should invalidate document hashes.
PIPELINE_VERSION = f"chunk-v1-{MAX_WORDS}w"

Progress = Callable[[str, int, int], None]  # (stage, done, total)


@dataclass
class BuildReport:
    index_path: Path
    embedder: str
    documents: int = 0
    chunks: int = 0
    added: list[str] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    chunks_embedded: int = 0
    chunks_reused: int = 0
    seconds: float = 0.0


@dataclass
class KnowledgeIndex:
    """A loaded build. Immutable; share one per process."""

    path: Path
    manifest: dict[str, Any]
    documents: dict[str, Document]
    chunks: list[Chunk]
    embed_keys: list[str]
    embeddings: np.ndarray
    bm25: BM25Index
    vectors: VectorIndex
    # Rows of every chunk's sentence vectors: chunk i owns rows offsets[i]:offsets[i + 1].
    # None for a build made before they were stored (the answer engine then embeds them itself).
    sentence_vectors: np.ndarray | None = None
    sentence_offsets: np.ndarray | None = None
    _groups: list[tuple[Chunk, np.ndarray]] = field(default_factory=list, repr=False)
    _masks: dict[Reader, np.ndarray | None] = field(default_factory=dict, repr=False)
    _doc_rows: dict[str, np.ndarray] = field(default_factory=dict, repr=False)
    _section_rows: dict[str, list[int]] = field(default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        # One representative chunk per distinct access rule: the mask for a reader is the OR of
        # the groups Reader.may_read accepts, so that method stays the single source of truth.
        rows: dict[tuple[str, tuple[str, ...]], list[int]] = {}
        first: dict[tuple[str, tuple[str, ...]], Chunk] = {}
        for i, chunk in enumerate(self.chunks):
            rule = (str(chunk.audience), tuple(sorted(chunk.allowed_teams)))
            rows.setdefault(rule, []).append(i)
            first.setdefault(rule, chunk)
        for rule, idx in rows.items():
            mask = np.zeros(len(self.chunks), dtype=bool)
            mask[idx] = True
            self._groups.append((first[rule], mask))

    @functools.cached_property
    def chunk_doc_ids(self) -> tuple[str, ...]:
        """The document id of every chunk, by row."""
        return tuple(chunk.doc_id for chunk in self.chunks)

    @property
    def embedder_name(self) -> str:
        return str(self.manifest["embedder"])

    def allowed_mask(self, reader: Reader) -> np.ndarray | None:
        """Bool mask of the chunks this reader may see; None means all of them."""
        if reader in self._masks:
            return self._masks[reader]
        mask = np.zeros(len(self.chunks), dtype=bool)
        for representative, rows in self._groups:
            if reader.may_read(representative):
                mask |= rows
        result: np.ndarray | None = None if bool(mask.all()) else mask
        if len(self._masks) > 1024:  # readers are few distinct (roles, teams) pairs; stay bounded
            self._masks.clear()
        self._masks[reader] = result
        return result

    def document_mask(self, doc_id: str) -> np.ndarray:
        """Bool mask of one document's chunks (all false for an unknown id)."""
        if not self._doc_rows:
            for i, chunk in enumerate(self.chunks):
                self._doc_rows.setdefault(chunk.doc_id, np.zeros(len(self.chunks), dtype=bool))[i] = True
        rows = self._doc_rows.get(doc_id)
        return rows if rows is not None else np.zeros(len(self.chunks), dtype=bool)

    def section_chunks(self, chunk_id: str) -> tuple[list[Chunk], int]:
        """Every chunk of the section `chunk_id` belongs to, in the document's order, and where
        `chunk_id` stands among them (([], -1) for an unknown id). A long section is split into
        several chunks (knowledge/chunking.py), which share the reader's access rule."""
        if not self._section_rows:  # built whole, then swapped in: threads share one index
            rows: dict[tuple[str, str], list[int]] = {}
            for i, chunk in enumerate(self.chunks):
                rows.setdefault((chunk.doc_id, chunk.section), []).append(i)
            self._section_rows = {self.chunks[i].chunk_id: members for members in rows.values() for i in members}
        members = self._section_rows.get(chunk_id)
        if members is None:
            return [], -1
        chunks = [self.chunks[i] for i in members]
        return chunks, [chunk.chunk_id for chunk in chunks].index(chunk_id)

    def sentences_of(self, row: int) -> np.ndarray | None:
        """The vectors of chunk `row`'s sentences, None when this build has none stored."""
        if self.sentence_vectors is None or self.sentence_offsets is None:
            return None
        return self.sentence_vectors[int(self.sentence_offsets[row]) : int(self.sentence_offsets[row + 1])]

    def get_document(self, doc_id: str, reader: Reader) -> Document | None:
        """The document if it exists *and* the reader may read it (the same None either way)."""
        doc = self.documents.get(doc_id)
        return doc if doc is not None and reader.may_read(doc) else None


# --- build -----------------------------------------------------------------------------------


def build_index(
    documents: Sequence[Document],
    *,
    embedder: Embedder,
    index_dir: Path,
    previous: KnowledgeIndex | Path | None = None,
    reuse_existing: bool = True,
    analyzer: Analyzer | None = None,
    progress: Progress | None = None,
    vector_index: str = "flat",
    sentences: bool = True,
) -> BuildReport:
    """Build a new index version under index_dir and make it current atomically.

    ``sentences``: store every chunk's sentence vectors too (the answer engine's evidence,
    knowledge/sentences.py). The statute builds skip them: their tens of thousands of sentences
    would multiply the build time, and the engine embeds a section's sentences on first use instead.

    ``vector_index``: "flat" (exact, the default) or "ivf"/"hnsw" (approximate, for corpora
    of roughly a million chunks and more; see docs/knowledge.md for the recall it costs).

    Embeddings are reused for every chunk whose embedded text is unchanged since ``previous``
    (by default the current build in index_dir, if any, and only if it used the same
    embedder), so editing one document re-embeds only that document.
    """
    started = time.monotonic()
    index_dir = Path(index_dir)
    index_dir.mkdir(parents=True, exist_ok=True)
    notify = progress or (lambda stage, done, total: None)
    ids = [d.id for d in documents]
    if len(set(ids)) != len(ids):
        dup = sorted({i for i in ids if ids.count(i) > 1})
        raise ValueError(f"duplicate document ids: {', '.join(dup)}")

    with _build_lock(index_dir):
        prev = _resolve_previous(previous, index_dir, reuse_existing)
        report = BuildReport(index_path=index_dir, embedder=embedder.name, documents=len(documents))

        chunks: list[Chunk] = []
        doc_meta: dict[str, dict[str, Any]] = {}
        prev_docs: dict[str, Any] = prev.manifest.get("documents", {}) if prev else {}
        for doc in documents:
            doc_chunks = chunk_document(doc)
            digest = document_hash(doc)
            doc_meta[doc.id] = {"hash": digest, "chunks": len(doc_chunks), "first_chunk": len(chunks)}
            chunks.extend(doc_chunks)
            if doc.id not in prev_docs:
                report.added.append(doc.id)
            elif prev_docs[doc.id].get("hash") != digest:
                report.changed.append(doc.id)
            else:
                report.unchanged.append(doc.id)
        report.removed = sorted(set(prev_docs) - set(doc_meta))
        report.chunks = len(chunks)

        embed_keys = [_embed_key(embedder.name, c.embed_text()) for c in chunks]
        embeddings = _embeddings(chunks, embed_keys, embedder, prev, report, notify)
        sentence_vectors = _sentence_vectors(chunks, embed_keys, embedder, prev, notify) if sentences else None

        notify("analyze", 0, len(chunks))
        analyzer = analyzer or Analyzer()
        terms = analyzer.analyze_many([_sparse_text(c) for c in chunks], [c.language for c in chunks])
        bm25 = BM25Index.build(terms)
        notify("analyze", len(chunks), len(chunks))

        manifest = {
            "format": FORMAT_VERSION,
            "created": datetime.now(UTC).isoformat(timespec="seconds"),
            "embedder": embedder.name,
            "dim": int(embeddings.shape[1]),
            "pipeline": PIPELINE_VERSION,
            "vector_index": vector_index,
            "analyzer_languages": list(analyzer.languages),
            "chunk_count": len(chunks),
            "sentences": SENTENCES_VERSION if sentences else None,
            "documents": doc_meta,
        }
        notify("write", 0, 1)
        version_dir = _write_version(
            index_dir, manifest, documents, chunks, embed_keys, embeddings, bm25, sentence_vectors
        )
        _swap_current(index_dir, version_dir)
        _prune(index_dir)
        report.index_path = index_dir / version_dir.name
        notify("write", 1, 1)
    report.seconds = round(time.monotonic() - started, 3)
    return report


def document_hash(doc: Document) -> str:
    """Content hash over everything that ends up in the index (not where the file lives)."""
    data = asdict(doc)
    data.pop("source_path", None)
    data["_pipeline"] = PIPELINE_VERSION
    blob = json.dumps(data, sort_keys=True, default=str, ensure_ascii=False)
    return hashlib.sha256(blob.encode("utf-8")).hexdigest()


def _embed_key(embedder_name: str, text: str) -> str:
    return hashlib.sha256(f"{embedder_name}\0{text}".encode()).hexdigest()[:32]


def _sparse_text(chunk: Chunk) -> str:
    # Headings carry strong keywords ("Kosten", "Wat heeft u nodig"): index them with the text.
    return f"{chunk.section}\n{chunk.text}"


def _resolve_previous(previous: KnowledgeIndex | Path | None, index_dir: Path, reuse: bool) -> KnowledgeIndex | None:
    if isinstance(previous, KnowledgeIndex):
        return previous
    path = previous if previous is not None else (index_dir if reuse else None)
    if path is None:
        return None
    try:
        return load_index(Path(path))
    except (FileNotFoundError, NotADirectoryError):
        return None
    except (ValueError, KeyError, OSError) as exc:  # a damaged old build must not block a rebuild
        import logging

        logging.getLogger(__name__).warning("ignoring unreadable previous index at %s: %s", path, exc)
        return None


def _embeddings(
    chunks: list[Chunk],
    keys: list[str],
    embedder: Embedder,
    prev: KnowledgeIndex | None,
    report: BuildReport,
    notify: Progress,
) -> np.ndarray:
    reusable: dict[str, int] = {}
    if prev is not None and prev.embedder_name == embedder.name:
        reusable = {k: i for i, k in enumerate(prev.embed_keys)}
    todo = [i for i, k in enumerate(keys) if k not in reusable]
    dim = embedder.dim
    out = np.zeros((len(chunks), dim), dtype=np.float32)
    for i, k in enumerate(keys):
        if k in reusable:
            assert prev is not None
            out[i] = prev.embeddings[reusable[k]]
    notify("embed", 0, len(todo))
    for start in range(0, len(todo), EMBED_BATCH):
        batch = todo[start : start + EMBED_BATCH]
        vecs = embedder.embed_documents([chunks[i].embed_text() for i in batch])
        if vecs.shape != (len(batch), dim):
            raise ValueError(f"embedder {embedder.name} returned shape {vecs.shape}, expected {(len(batch), dim)}")
        out[batch] = vecs
        notify("embed", start + len(batch), len(todo))
    report.chunks_embedded = len(todo)
    report.chunks_reused = len(chunks) - len(todo)
    return out


def _sentence_vectors(
    chunks: list[Chunk], keys: list[str], embedder: Embedder, prev: KnowledgeIndex | None, notify: Progress
) -> tuple[np.ndarray, np.ndarray]:
    """Every chunk's sentence vectors, stacked, and each chunk's first row (len(chunks) + 1
    offsets). A chunk whose embedded text is unchanged since `prev` keeps its vectors."""
    reusable: dict[str, int] = {}
    if (
        prev is not None
        and prev.embedder_name == embedder.name
        and prev.sentence_offsets is not None
        and prev.manifest.get("sentences") == SENTENCES_VERSION
    ):
        reusable = {k: i for i, k in enumerate(prev.embed_keys)}
    units = [sentence_units(chunk.text) for chunk in chunks]
    todo = [(i, unit) for i, key in enumerate(keys) if key not in reusable for unit in units[i]]
    fresh: list[np.ndarray] = []
    notify("sentences", 0, len(todo))
    for start in range(0, len(todo), EMBED_BATCH):
        batch = [unit for _, unit in todo[start : start + EMBED_BATCH]]
        fresh.append(np.asarray(embedder.embed_documents(batch), dtype=np.float32))
        notify("sentences", start + len(batch), len(todo))
    embedded = iter(np.concatenate(fresh) if fresh else np.zeros((0, embedder.dim), np.float32))
    rows: list[np.ndarray] = []
    offsets = [0]
    for i, key in enumerate(keys):
        if key in reusable:
            assert prev is not None
            kept = prev.sentences_of(reusable[key])
            rows.extend(np.asarray(kept, dtype=np.float32))
        else:
            rows.extend(next(embedded) for _ in units[i])
        offsets.append(len(rows))
    vectors = np.stack(rows).astype(np.float32) if rows else np.zeros((0, embedder.dim), np.float32)
    return vectors, np.asarray(offsets, dtype=np.int64)


# --- files and the atomic swap --------------------------------------------------------------


@contextlib.contextmanager
def _build_lock(index_dir: Path) -> Iterator[None]:
    import fcntl

    with open(index_dir / ".lock", "w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _write_version(
    index_dir: Path,
    manifest: dict[str, Any],
    documents: Sequence[Document],
    chunks: list[Chunk],
    embed_keys: list[str],
    embeddings: np.ndarray,
    bm25: BM25Index,
    sentences: tuple[np.ndarray, np.ndarray] | None,
) -> Path:
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%fZ")
    name = f"v-{stamp}-{secrets.token_hex(3)}"
    tmp = index_dir / f".tmp-{name}"
    tmp.mkdir()
    try:
        with open(tmp / "documents.jsonl", "w", encoding="utf-8") as fh:
            for doc in documents:
                fh.write(json.dumps(_doc_to_json(doc), ensure_ascii=False) + "\n")
        with open(tmp / "chunks.jsonl", "w", encoding="utf-8") as fh:
            for chunk, key in zip(chunks, embed_keys, strict=True):
                row = asdict(chunk)
                row["allowed_teams"] = list(chunk.allowed_teams)
                row["embed_key"] = key
                fh.write(json.dumps(row, ensure_ascii=False) + "\n")
        np.save(tmp / "embeddings.npy", embeddings)
        if sentences is not None:
            np.save(tmp / "sentences.npy", sentences[0])
            np.save(tmp / "sentence_offsets.npy", sentences[1])
        make_vector_index(embeddings, manifest.get("vector_index", "flat")).save(tmp / "vectors.faiss")
        bm25.save(tmp)
        # The manifest goes last: a directory without one is never a valid build.
        (tmp / "manifest.json").write_text(json.dumps(manifest, ensure_ascii=False, indent=1), encoding="utf-8")
        final = index_dir / name
        os.rename(tmp, final)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return final


def _swap_current(index_dir: Path, version_dir: Path) -> None:
    link_tmp = index_dir / f".current-{secrets.token_hex(4)}"
    os.symlink(version_dir.name, link_tmp)  # relative target: the whole index_dir can move
    os.replace(link_tmp, index_dir / CURRENT)  # atomic on POSIX


def _prune(index_dir: Path, keep: int = 2) -> None:
    """Drop stale temp dirs and all but the newest ``keep`` builds (current included)."""
    current = os.readlink(index_dir / CURRENT)
    for entry in index_dir.iterdir():
        if entry.name.startswith(".tmp-") or entry.name.startswith(".current-"):
            # Only one builder runs at a time (lock), so leftovers are from a crashed build.
            if entry.is_dir() and not entry.is_symlink():
                shutil.rmtree(entry, ignore_errors=True)
            else:
                entry.unlink(missing_ok=True)
    versions = sorted((e for e in index_dir.iterdir() if e.name.startswith("v-") and e.is_dir()), key=lambda e: e.name)
    old = [v for v in versions if v.name != current][: max(0, len(versions) - keep)]
    for version in old:
        shutil.rmtree(version, ignore_errors=True)


def _doc_to_json(doc: Document) -> dict[str, Any]:
    data = asdict(doc)
    data["allowed_teams"] = list(doc.allowed_teams)
    data["effective_date"] = doc.effective_date.isoformat() if doc.effective_date else None
    return data


def _doc_from_json(data: dict[str, Any]) -> Document:
    data = dict(data)
    data["allowed_teams"] = tuple(data.get("allowed_teams") or ())
    eff = data.get("effective_date")
    data["effective_date"] = date.fromisoformat(eff) if eff else None
    return Document(**data)


# --- load ------------------------------------------------------------------------------------


def resolve_index_path(index_dir: Path) -> Path:
    """The build directory ``current`` points at (resolved once), or index_dir itself if it is a build."""
    index_dir = Path(index_dir)
    link = index_dir / CURRENT
    if link.exists():
        return Path(os.path.realpath(link))
    if (index_dir / "manifest.json").exists():
        return index_dir
    raise FileNotFoundError(f"no knowledge index at {index_dir} (run the ingest job first)")


def load_index(index_dir: Path) -> KnowledgeIndex:
    path = resolve_index_path(index_dir)
    manifest = json.loads((path / "manifest.json").read_text(encoding="utf-8"))
    if manifest.get("format") != FORMAT_VERSION:
        raise ValueError(f"index format {manifest.get('format')} at {path}, expected {FORMAT_VERSION}: rebuild it")
    documents: dict[str, Document] = {}
    with open(path / "documents.jsonl", encoding="utf-8") as fh:
        for line in fh:
            doc = _doc_from_json(json.loads(line))
            documents[doc.id] = doc
    chunks: list[Chunk] = []
    keys: list[str] = []
    with open(path / "chunks.jsonl", encoding="utf-8") as fh:
        for line in fh:
            row = json.loads(line)
            keys.append(row.pop("embed_key"))
            row["allowed_teams"] = tuple(row.get("allowed_teams") or ())
            chunks.append(Chunk(**row))
    embeddings = mapped(path / "embeddings.npy")
    exact = manifest.get("vector_index", "flat") == "flat"
    vectors = (FaissVectorIndex if exact else ApproximateVectorIndex).load(path / "vectors.faiss")
    bm25 = BM25Index.load(path)
    stored = (path / "sentences.npy").exists() and (path / "sentence_offsets.npy").exists()
    sentence_vectors = mapped(path / "sentences.npy") if stored else None
    sentence_offsets = np.load(path / "sentence_offsets.npy") if stored else None
    if sentence_offsets is not None and len(sentence_offsets) != len(chunks) + 1:
        raise ValueError(f"index at {path} is inconsistent: sentence offsets do not match the chunks")
    if not (len(chunks) == embeddings.shape[0] == vectors.size == bm25.size == manifest["chunk_count"]):
        raise ValueError(f"index at {path} is inconsistent: chunk, vector and BM25 counts differ")
    return KnowledgeIndex(
        path=path,
        manifest=manifest,
        documents=documents,
        chunks=chunks,
        embed_keys=keys,
        embeddings=embeddings,
        bm25=bm25,
        vectors=vectors,
        sentence_vectors=sentence_vectors,
        sentence_offsets=sentence_offsets,
    )
