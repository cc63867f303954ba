from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from knowledge.embedding import HashingEmbedder
from knowledge.example_index import ExampleIndex
from tests.knowledge.conftest import CountingEmbedder


def test_example_index_scores_by_label() -> None:
    index = ExampleIndex(HashingEmbedder(), [("a", "paspoort"), ("a", "rijbewijs"), ("b", "container")])
    sims = index.similarities(HashingEmbedder().embed_queries(["paspoort"])[0])
    scores = index.label_scores(sims, top_k=1)
    assert scores["a"] > scores["b"]
    assert index.nearest(sims, 1)[0].text == "paspoort"


def test_label_scores_average_the_top_k_and_nearest_is_best_first() -> None:
    index = ExampleIndex(HashingEmbedder(), [("a", "x"), ("a", "y"), ("a", "z"), ("b", "w")])
    sims = np.array([0.9, 0.1, 0.5, 0.3], dtype=np.float32)
    assert index.label_scores(sims, top_k=2) == pytest.approx({"a": 0.7, "b": 0.3})  # b has one example only
    assert index.label_scores(sims, top_k=10) == pytest.approx({"a": 0.5, "b": 0.3})
    assert index.label_scores(sims, top_k=1) == pytest.approx({"a": 0.9, "b": 0.3})  # top 1: the best example
    assert [(e.label, e.text, e.similarity) for e in index.nearest(sims, 2)] == [("a", "x", 0.9), ("a", "z", 0.5)]
    assert index.best(sims, "a") == pytest.approx(0.9)
    assert index.best(sims, "a", k=2) == pytest.approx(0.7)
    assert index.best(sims, "b", k=2) == pytest.approx(0.3)  # fewer examples than k: the mean of those
    assert index.best(sims, "c") is None


def test_example_vectors_are_cached_on_disk_per_embedder_and_examples(tmp_path: Path) -> None:
    examples = [("a", "paspoort verlopen"), ("b", "container vol")]
    first = CountingEmbedder()
    vectors = ExampleIndex(first, examples, cache_dir=tmp_path).vectors
    assert first.queries == ["paspoort verlopen", "container vol"]  # embedded as queries
    assert first.embedded == []
    again = CountingEmbedder()
    np.testing.assert_array_equal(ExampleIndex(again, examples, cache_dir=tmp_path).vectors, vectors)
    assert again.queries == []
    # Other examples, or another embedder: another file, embedded afresh.
    changed = CountingEmbedder()
    ExampleIndex(changed, [*examples, ("b", "grofvuil")], cache_dir=tmp_path).warm_up()
    assert len(changed.queries) == 3
    ExampleIndex(HashingEmbedder(dim=64), examples, cache_dir=tmp_path).warm_up()
    assert len(list(tmp_path.glob("examples-*.npy"))) == 3
    assert not list(tmp_path.glob("*.tmp.npy"))
