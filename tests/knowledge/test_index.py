from __future__ import annotations

import dataclasses
import json
import os
from pathlib import Path

import numpy as np
import pytest

from knowledge.chunking import chunk_document
from knowledge.embedding import HashingEmbedder
from knowledge.index import build_index, document_hash, load_index, resolve_index_path
from knowledge.search import KnowledgeSearch
from knowledge.sentences import sentence_units
from knowledge.types import Document, Reader


def public(docs: list[Document]) -> list[Document]:
    return [d for d in docs if d.audience == "public"]


def test_build_writes_a_complete_index(tmp_path: Path, small_corpus) -> None:
    report = build_index(small_corpus, embedder=HashingEmbedder(), index_dir=tmp_path / "index")
    assert report.documents == 5 and report.chunks_embedded == report.chunks > 5
    assert sorted(report.added) == sorted(d.id for d in small_corpus)
    current = resolve_index_path(tmp_path / "index")
    assert (tmp_path / "index" / "current").is_symlink() and current == report.index_path
    names = {p.name for p in current.iterdir()}
    assert {
        "manifest.json",
        "chunks.jsonl",
        "documents.jsonl",
        "embeddings.npy",
        "vectors.faiss",
        "bm25.json",
    } <= names
    manifest = json.loads((current / "manifest.json").read_text())
    assert manifest["embedder"] == "hashing" and manifest["chunk_count"] == report.chunks
    assert manifest["documents"]["paspoort"]["hash"] == document_hash(small_corpus[0])

    index = load_index(tmp_path / "index")
    assert index.embeddings.shape == (report.chunks, HashingEmbedder().dim)
    assert index.documents["spoed-intern"].allowed_teams == ("burgerzaken",)
    assert index.documents["paspoort"] == small_corpus[0]  # round-trips exactly
    lines = (current / "chunks.jsonl").read_text().splitlines()
    assert len(lines) == report.chunks
    assert np.allclose(np.linalg.norm(index.embeddings, axis=1), 1.0, atol=1e-5)


def test_only_changed_documents_are_re_embedded(tmp_path: Path, small_corpus, doc_factory, counting_embedder) -> None:
    index_dir = tmp_path / "index"
    build_index(small_corpus, embedder=counting_embedder, index_dir=index_dir)
    first_total = len(counting_embedder.embedded)
    counting_embedder.embedded.clear()

    paspoort, verhuizing, grofvuil, *internal = small_corpus
    changed = dataclasses.replace(verhuizing, body=verhuizing.body + "\n\nU kunt dit ook online doen met DigiD.")
    added = doc_factory(
        "hond", "# Hondenbelasting\n\nVoor een hond betaalt u hondenbelasting.", title="Hondenbelasting"
    )
    # grofvuil is removed.
    report = build_index([paspoort, changed, added, *internal], embedder=counting_embedder, index_dir=index_dir)

    assert report.added == ["hond"] and report.changed == ["verhuizing"] and report.removed == ["grofvuil"]
    assert sorted(report.unchanged) == sorted(["paspoort", *(d.id for d in internal)])
    # Exactly the new chunks were embedded: the changed document's new passage and the new one,
    # and their sentences (knowledge/sentences.py).
    previous_texts = {c.embed_text() for c in chunk_document(verhuizing)}
    new = [c for c in chunk_document(changed) + chunk_document(added) if c.embed_text() not in previous_texts]
    sentences = [unit for c in new for unit in sentence_units(c.text)]
    assert sorted(counting_embedder.embedded) == sorted([c.embed_text() for c in new] + sentences)
    assert report.chunks_embedded == len(new) and len(counting_embedder.embedded) < first_total
    assert report.chunks_reused == report.chunks - report.chunks_embedded

    index = load_index(index_dir)
    assert "grofvuil" not in index.documents and "grofvuil" not in index.manifest["documents"]
    assert all(c.doc_id != "grofvuil" for c in index.chunks)
    # Reused vectors are the same vectors a fresh build would compute.
    fresh = HashingEmbedder().embed_documents([c.embed_text() for c in index.chunks])
    np.testing.assert_allclose(np.asarray(index.embeddings), fresh, atol=1e-6)
    search = KnowledgeSearch(index, HashingEmbedder())
    assert all(h.doc_id != "grofvuil" for h in search.search("matras grofvuil", reader=Reader.public(), k=20).hits)
    assert search.search("hondenbelasting", reader=Reader.public()).hits[0].doc_id == "hond"

    # A rebuild with nothing changed embeds nothing.
    counting_embedder.embedded.clear()
    again = build_index([paspoort, changed, added, *internal], embedder=counting_embedder, index_dir=index_dir)
    assert counting_embedder.embedded == [] and again.chunks_embedded == 0
    assert sorted(again.unchanged) == sorted(d.id for d in [paspoort, changed, added, *internal])


def test_metadata_change_reuses_vectors_but_updates_access(tmp_path: Path, small_corpus, counting_embedder) -> None:
    index_dir = tmp_path / "index"
    build_index(small_corpus, embedder=counting_embedder, index_dir=index_dir)
    counting_embedder.embedded.clear()
    secret = small_corpus[3]
    opened = dataclasses.replace(secret, allowed_teams=("burgerzaken", "klantcontact"))
    report = build_index([*small_corpus[:3], opened, small_corpus[4]], embedder=counting_embedder, index_dir=index_dir)
    assert report.changed == [secret.id] and counting_embedder.embedded == []
    search = KnowledgeSearch(load_index(index_dir), HashingEmbedder(), bm25_threshold=-1, dense_threshold=-1)
    klantcontact = Reader.staff(teams={"klantcontact"})
    assert search.search("zeppelinblauw", reader=klantcontact).hits[0].doc_id == secret.id


def test_other_embedder_means_full_re_embedding(tmp_path: Path, small_corpus) -> None:
    build_index(small_corpus, embedder=HashingEmbedder(), index_dir=tmp_path / "index")
    report = build_index(small_corpus, embedder=HashingEmbedder(dim=64), index_dir=tmp_path / "index")
    assert report.chunks_reused == 0 and report.chunks_embedded == report.chunks
    assert load_index(tmp_path / "index").embedder_name == "hashing:64"


def test_readers_see_the_old_index_until_the_swap(tmp_path: Path, small_corpus, doc_factory) -> None:
    index_dir = tmp_path / "index"
    build_index(public(small_corpus), embedder=HashingEmbedder(), index_dir=index_dir)
    old = load_index(index_dir)
    old_search = KnowledgeSearch(old, HashingEmbedder())
    new_doc = doc_factory("hond", "# Hondenbelasting\n\nVoor een hond betaalt u hondenbelasting.")
    seen_during_build: list[set[str]] = []

    def progress(stage: str, done: int, total: int) -> None:
        # Mid-build (new vectors computed, files being written), a fresh reader still gets the old build.
        seen_during_build.append(set(load_index(index_dir).documents))

    build_index([*public(small_corpus), new_doc], embedder=HashingEmbedder(), index_dir=index_dir, progress=progress)
    assert seen_during_build and all(ids == {"paspoort", "verhuizing", "grofvuil"} for ids in seen_during_build[:-1])
    # Afterwards new readers get the new build ...
    assert "hond" in load_index(index_dir).documents
    # ... and one that loaded the old build keeps working on it (its files are kept).
    assert old.path.exists() and old.path != resolve_index_path(index_dir)
    assert old_search.search("paspoort kosten", reader=Reader.public()).hits[0].doc_id == "paspoort"


def test_failed_build_leaves_the_current_index_alone(tmp_path: Path, small_corpus) -> None:
    index_dir = tmp_path / "index"
    build_index(public(small_corpus), embedder=HashingEmbedder(), index_dir=index_dir)
    before = resolve_index_path(index_dir)

    class Broken(HashingEmbedder):
        def embed_documents(self, texts: list[str]) -> np.ndarray:
            raise RuntimeError("model crashed")

    changed = [dataclasses.replace(d, body=d.body + " Nieuw.") for d in public(small_corpus)]
    with pytest.raises(RuntimeError, match="model crashed"):
        build_index(changed, embedder=Broken(), index_dir=index_dir)
    assert resolve_index_path(index_dir) == before
    assert not [p for p in index_dir.iterdir() if p.name.startswith(".tmp-")]
    assert set(load_index(index_dir).documents) == {"paspoort", "verhuizing", "grofvuil"}


def test_old_builds_are_pruned(tmp_path: Path, small_corpus) -> None:
    index_dir = tmp_path / "index"
    for n in range(4):
        docs = [dataclasses.replace(d, version=str(n)) for d in public(small_corpus)]
        build_index(docs, embedder=HashingEmbedder(), index_dir=index_dir)
    versions = sorted(p.name for p in index_dir.iterdir() if p.name.startswith("v-"))
    assert len(versions) == 2 and os.readlink(index_dir / "current") == versions[-1]
    assert load_index(index_dir).documents["paspoort"].version == "3"


def test_duplicate_ids_are_refused(tmp_path: Path, small_corpus) -> None:
    with pytest.raises(ValueError, match="duplicate"):
        build_index([small_corpus[0], small_corpus[0]], embedder=HashingEmbedder(), index_dir=tmp_path / "index")


def test_missing_index_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match="no knowledge index"):
        load_index(tmp_path / "nothing")


def test_empty_corpus_builds_and_searches(tmp_path: Path) -> None:
    build_index([], embedder=HashingEmbedder(), index_dir=tmp_path / "index")
    search = KnowledgeSearch(load_index(tmp_path / "index"), HashingEmbedder())
    result = search.search("paspoort", reader=Reader.public())
    assert result.hits == [] and not result.relevant


@pytest.mark.parametrize("kind", ["ivf", "hnsw"])  # "flat" is the default of the tests above
def test_an_approximate_vector_index_is_built_loaded_and_filtered(tmp_path: Path, small_corpus, kind: str) -> None:
    from knowledge.vectors import ApproximateVectorIndex

    build_index(small_corpus, embedder=HashingEmbedder(), index_dir=tmp_path / "index", vector_index=kind)
    index = load_index(tmp_path / "index")
    assert isinstance(index.vectors, ApproximateVectorIndex) and index.vectors.kind == kind
    assert index.manifest["vector_index"] == kind
    search = KnowledgeSearch(index, HashingEmbedder())
    query = "spoedaanvraag baliemedewerker controleert"
    public_hits = search.search(query, reader=Reader.public(), k=10).hits
    assert all(hit.audience == "public" for hit in public_hits)
    staff_hits = search.search(query, reader=Reader.staff(teams={"burgerzaken"}), k=10).hits
    assert "spoed-intern" in {hit.doc_id for hit in staff_hits}


def test_a_build_without_sentences_stores_none(tmp_path: Path) -> None:
    """The statute index skips them: the answer engine never reads it."""
    build_index(
        [Document(id="a", title="A", body="Een zin over paspoorten. Nog een zin over kosten.")],
        embedder=HashingEmbedder(), index_dir=tmp_path / "index", sentences=False,
    )  # fmt: skip
    index = load_index(tmp_path / "index")
    assert index.sentence_vectors is None and index.sentences_of(0) is None
    assert index.manifest["sentences"] is None


def test_the_chunks_of_a_long_section_are_found_from_any_of_them(tmp_path: Path) -> None:
    long_section = "\n\n".join(f"Alinea {n} " + "woord " * 50 for n in range(3))  # 3 × 52 words: 2 chunks
    body = f"# Lang\n\nKort begin.\n\n## Regels\n\n{long_section}\n\n## Kosten\n\nGratis."
    document = Document(id="lang", title="Lang", body=body)
    build_index([document], embedder=HashingEmbedder(), index_dir=tmp_path / "index")
    index = load_index(tmp_path / "index")
    rules = [chunk for chunk in index.chunks if chunk.section == "Lang › Regels"]
    assert len(rules) == 2
    for position, chunk in enumerate(rules):
        assert index.section_chunks(chunk.chunk_id) == (rules, position)
    costs = next(chunk for chunk in index.chunks if chunk.section == "Lang › Kosten")
    assert index.section_chunks(costs.chunk_id) == ([costs], 0)
    assert index.section_chunks("lang#99") == ([], -1)
