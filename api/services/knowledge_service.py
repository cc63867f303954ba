"""The api's view of the knowledge package: build the index when documents changed, open it."""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from api.settings import Settings

if TYPE_CHECKING:
    from knowledge.ingest import IngestError
    from knowledge.search import KnowledgeSearch
    from knowledge.statute_search import StatuteSearch
    from knowledge.types import Document

FINGERPRINT_FILE = "sources.sha256"
# The statutes' legal synonyms ("bijstandsnorm" -> "norm"), read by the statute search only.
LEGAL_SYNONYMS = Path(__file__).resolve().parents[2] / "data" / "search" / "legal_synonyms.yml"
STATUTE_RANKER = Path(__file__).resolve().parents[2] / "data" / "search" / "statute_ranker.yml"
STATUTE_EXAMPLES = Path(__file__).resolve().parents[2] / "data" / "search" / "statute_examples"


@dataclass
class IngestOutcome:
    rebuilt: bool
    documents: int = 0
    failed: list[IngestError] = field(default_factory=list)


@dataclass
class Knowledge:
    search: KnowledgeSearch

    def documents(self) -> dict[str, Document]:
        return self.search.index.documents


def sources_fingerprint(paths: Iterable[Path], embedder: str) -> str:
    """Hash of every source file (name and bytes) and the embedder: changes iff a rebuild is due."""
    digest = hashlib.sha256(embedder.encode())
    for root in paths:
        files = sorted(p for p in root.rglob("*") if p.is_file()) if root.is_dir() else [root]
        for file in files:
            digest.update(str(file.resolve()).encode() + b"\0" + file.read_bytes() + b"\0")
    return digest.hexdigest()


def _progress_printer(echo: Callable[[str], None]) -> Callable[[str, int, int], None]:
    last: dict[str, int] = {}

    def progress(stage: str, done: int, total: int) -> None:
        percent = 100 * done // total if total else 100
        # Every 10 % is enough to show it moves without flooding the terminal.
        if last.get(stage, -10) + 10 <= percent or done == total and last.get(stage) != 100:
            last[stage] = percent
            echo(f"  {stage}: {done}/{total} ({percent} %)")

    return progress


def ensure_index(
    settings: Settings,
    *,
    paths: list[Path],
    echo: Callable[[str], None] = print,
    force: bool = False,
) -> IngestOutcome:
    """(Re)build the index from `paths` unless the same sources were indexed already."""
    from knowledge.embedding import DEFAULT_EMBEDDER, make_embedder
    from knowledge.index import build_index
    from knowledge.ingest import load_documents
    from knowledge.sentences import SENTENCES_VERSION

    embedder_name = settings.embedder or DEFAULT_EMBEDDER
    missing = [str(p) for p in paths if not p.exists()]
    if missing:
        raise RuntimeError(f"No such file or folder: {', '.join(missing)}")
    # What a build stores counts too: an index built before sentence vectors were stored is rebuilt.
    fingerprint = sources_fingerprint(paths, f"{embedder_name}|{settings.vector_index}|{SENTENCES_VERSION}")
    stamp = settings.index_dir / FINGERPRINT_FILE
    if not force and stamp.exists() and stamp.read_text().strip() == fingerprint:
        echo("Knowledge index is up to date.")
        ensure_example_questions(settings, echo=echo)
        return IngestOutcome(rebuilt=False)

    echo(f"Reading documents from {', '.join(str(p) for p in paths)} ...")
    loaded = load_documents(paths)
    for error in loaded.errors:
        echo(f"  skipped {error.path}: {error.reason}")
    echo(f"Indexing {len(loaded.documents)} documents with {embedder_name} ...")
    report = build_index(
        loaded.documents,
        embedder=make_embedder(embedder_name),
        index_dir=settings.index_dir,
        progress=_progress_printer(echo),
        vector_index=settings.vector_index,
    )
    echo(
        f"Index ready: {report.documents} documents, {report.chunks} chunks "
        f"({report.chunks_embedded} embedded, {report.chunks_reused} reused) in {report.seconds:.1f} s."
    )
    stamp.write_text(fingerprint)
    ensure_example_questions(settings, echo=echo)
    return IngestOutcome(rebuilt=True, documents=report.documents, failed=list(loaded.errors))


def ensure_example_questions(settings: Settings, *, echo: Callable[[str], None] = print) -> None:
    """Embed the answer engine's example questions and fit its section classifier on them unless
    they are cached already (once per set of examples and embedder: ~45 questions a second on two
    cores, then a few seconds), so that starting the api only reads them."""
    from api.services.citizen_answers import EXAMPLES_DIR, example_index
    from knowledge.example_classifier import CLASSIFIER_PREFIX, section_classifier
    from knowledge.example_index import EXAMPLES_PREFIX, remove_stale_caches
    from knowledge.search import KnowledgeSearch

    search = KnowledgeSearch.open(settings.index_dir)
    examples = example_index(search, settings.answers_dir / EXAMPLES_DIR)
    if examples is None:
        return
    if not examples.cached:
        echo(f"Embedding {len(examples.texts)} example questions of the answer engine ...")
        started = time.monotonic()
        examples.warm_up()
        echo(f"Example questions ready in {time.monotonic() - started:.1f} s.")
    classifier = section_classifier(examples, search.index)
    if not classifier.cached:
        started = time.monotonic()
        classifier.warm_up()
        echo(f"Section classifier fitted on them in {time.monotonic() - started:.1f} s.")
    # Files of earlier sets of examples are never read again (the api reads these two).
    current = [path for path in (examples.cache_path(), classifier.cache_path()) if path is not None]
    if current:
        removed = remove_stale_caches(
            current[0].parent, keep=current, patterns=(f"{EXAMPLES_PREFIX}*.npy", f"{CLASSIFIER_PREFIX}*.npy")
        )
        if removed:
            echo(f"Removed {len(removed)} cache files of earlier example questions.")


def open_knowledge(settings: Settings) -> Knowledge:
    from knowledge.index import resolve_index_path
    from knowledge.search import KnowledgeSearch

    try:
        resolve_index_path(settings.index_dir)
    except (FileNotFoundError, ValueError):
        raise RuntimeError(f"No knowledge index in {settings.index_dir}: run `loket ingest` (or `make run`).") from None
    search = KnowledgeSearch.open(
        settings.index_dir, glossary=settings.search_glossary, synonyms=settings.search_synonyms
    )
    search.warm_up()
    return Knowledge(search=search)


def open_statutes(
    settings: Settings, *, like: KnowledgeSearch, synonyms: Path | None = LEGAL_SYNONYMS
) -> StatuteSearch | None:
    """The statutes' own index for staff, if it has been built, searched with the legal synonyms
    (knowledge/statute_search.py); shares `like`'s embedder when it can."""
    from knowledge.index import load_index
    from knowledge.statute_search import StatuteSearch

    try:
        index = load_index(settings.statutes_index_dir)
    except (FileNotFoundError, ValueError):
        return None
    synonyms = synonyms if synonyms is not None and synonyms.exists() else None
    return StatuteSearch.open(
        index, glossary=settings.search_glossary, synonyms=synonyms, ranker=STATUTE_RANKER, share=like.embedder,
        examples=STATUTE_EXAMPLES,
    )  # fmt: skip
