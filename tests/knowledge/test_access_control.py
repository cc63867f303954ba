"""Access control across index, search and documents: what each reader may get back."""

from __future__ import annotations

from pathlib import Path

import pytest

from knowledge.embedding import HashingEmbedder
from knowledge.index import build_index, load_index
from knowledge.search import KnowledgeSearch
from knowledge.types import Reader

SECRET = (
    "Bij een spoedaanvraag controleert de baliemedewerker de kwartiercode zeppelinblauw in het reisdocumentensysteem."
)
BURGERZAKEN = Reader.staff(teams={"burgerzaken"})
HANDHAVING = Reader.staff(teams={"handhaving"})
ADMIN = Reader(roles=frozenset({"admin"}))


@pytest.fixture
def search(tmp_path: Path, small_corpus) -> KnowledgeSearch:
    build_index(small_corpus, embedder=HashingEmbedder(), index_dir=tmp_path / "index")
    # Thresholds off: every candidate a reader can get is returned, so the test sees all of them.
    return KnowledgeSearch(load_index(tmp_path / "index"), HashingEmbedder(), bm25_threshold=-1, dense_threshold=-1)


@pytest.mark.parametrize(
    "query", [SECRET, "zeppelinblauw", "kwartiercode reisdocumentensysteem", "dwangsom interventieladder"]
)
def test_public_reader_never_gets_internal_chunks(search: KnowledgeSearch, query: str) -> None:
    result = search.search(query, reader=Reader.public(), k=50)
    assert result.hits, "public documents still come back, just never internal ones"
    assert {h.audience for h in result.hits} == {"public"}
    assert not {"spoed-intern", "handhaving-intern"} & {h.doc_id for h in result.hits}


def test_team_member_gets_own_internal_document_first(search: KnowledgeSearch) -> None:
    result = search.search(SECRET, reader=BURGERZAKEN, k=5)
    assert result.hits[0].doc_id == "spoed-intern" and result.hits[0].audience == "internal"
    other = search.search(SECRET, reader=HANDHAVING, k=50)
    assert "spoed-intern" not in {h.doc_id for h in other.hits}
    assert "handhaving-intern" in {h.doc_id for h in other.hits}
    assert search.search(SECRET, reader=ADMIN, k=5).hits[0].doc_id == "spoed-intern"


def test_results_do_not_depend_on_documents_the_reader_cannot_see(tmp_path: Path, small_corpus) -> None:
    """Ranks, scores and relevance for a citizen are identical with or without internal documents
    in the index: BM25 statistics and dense candidates come from the allowed subset only."""
    public_only = [d for d in small_corpus if d.audience == "public"]
    build_index(small_corpus, embedder=HashingEmbedder(), index_dir=tmp_path / "mixed")
    build_index(public_only, embedder=HashingEmbedder(), index_dir=tmp_path / "public")
    mixed = KnowledgeSearch(load_index(tmp_path / "mixed"), HashingEmbedder(), bm25_threshold=-1, dense_threshold=-1)
    alone = KnowledgeSearch(load_index(tmp_path / "public"), HashingEmbedder(), bm25_threshold=-1, dense_threshold=-1)
    for query in (SECRET, "paspoort kosten", "spoedaanvraag paspoort balie", "dwangsom"):
        a = mixed.search(query, reader=Reader.public(), k=50)
        b = alone.search(query, reader=Reader.public(), k=50)
        assert [(h.chunk_id, h.score, h.bm25_score, h.dense_score) for h in a.hits] == [
            (h.chunk_id, h.score, h.bm25_score, h.dense_score) for h in b.hits
        ]
        assert a.relevant == b.relevant


def test_documents_are_served_only_to_readers_who_may_read_them(search: KnowledgeSearch) -> None:
    assert search.document("paspoort", reader=Reader.public()) is not None
    # Unknown and forbidden look the same: no existence leak.
    assert search.document("spoed-intern", reader=Reader.public()) is None
    assert search.document("bestaat-niet", reader=Reader.public()) is None
    doc = search.document("spoed-intern", reader=BURGERZAKEN)
    assert doc is not None and "zeppelinblauw" in doc.body


def test_reader_without_any_readable_chunk_gets_nothing(tmp_path: Path, small_corpus) -> None:
    internal_only = [d for d in small_corpus if d.audience == "internal"]
    build_index(internal_only, embedder=HashingEmbedder(), index_dir=tmp_path / "index")
    search = KnowledgeSearch(load_index(tmp_path / "index"), HashingEmbedder(), bm25_threshold=-1, dense_threshold=-1)
    result = search.search("zeppelinblauw", reader=Reader.public())
    assert result.hits == [] and result.relevant is False
