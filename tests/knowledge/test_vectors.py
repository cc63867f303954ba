from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from knowledge.types import VectorIndex
from knowledge.vectors import FaissVectorIndex


def _unit(rows: int, dim: int, seed: int) -> np.ndarray:
    x = np.random.default_rng(seed).normal(size=(rows, dim)).astype(np.float32)
    return x / np.linalg.norm(x, axis=1, keepdims=True)


def test_masked_search_equals_brute_force_over_the_allowed_rows() -> None:
    vectors = _unit(203, 16, 1)  # not a multiple of 8: the bitmap's last byte is partial
    index = FaissVectorIndex.from_embeddings(vectors)
    assert isinstance(index, VectorIndex) and index.size == 203
    query = _unit(1, 16, 2)[0]
    allowed = np.random.default_rng(3).random(203) < 0.2
    allowed[202] = True
    scores, ids = index.search(query, 500, allowed=allowed)
    expected = np.flatnonzero(allowed)[np.argsort(-(vectors[allowed] @ query))]
    assert ids.tolist() == expected.tolist()  # every allowed row, none other, best first
    np.testing.assert_allclose(scores, vectors[ids] @ query, rtol=1e-5)
    top, top_ids = index.search(query, 3, allowed=allowed)
    assert top_ids.tolist() == expected[:3].tolist()


def test_nothing_allowed_and_round_trip(tmp_path: Path) -> None:
    vectors = _unit(10, 8, 4)
    index = FaissVectorIndex.from_embeddings(vectors)
    scores, ids = index.search(vectors[0], 5, allowed=np.zeros(10, dtype=bool))
    assert ids.size == 0 and scores.size == 0
    index.save(tmp_path / "v.faiss")
    loaded = FaissVectorIndex.load(tmp_path / "v.faiss")
    assert loaded.search(vectors[0], 1)[1].tolist() == [0]


@pytest.mark.parametrize("kind", ["ivf", "hnsw"])
def test_approximate_index_respects_the_mask_and_finds_neighbours(kind: str) -> None:
    from knowledge.vectors import ApproximateVectorIndex, FaissVectorIndex, make_vector_index

    rng = np.random.default_rng(1)
    centres = rng.normal(size=(20, 32))
    data = centres[rng.integers(0, 20, 2000)] + 0.3 * rng.normal(size=(2000, 32))
    data = (data / np.linalg.norm(data, axis=1, keepdims=True)).astype(np.float32)
    approx = make_vector_index(data, kind, nprobe=8)
    assert isinstance(approx, ApproximateVectorIndex) and approx.kind == kind and approx.size == 2000
    exact = FaissVectorIndex.from_embeddings(data)
    allowed = np.zeros(2000, dtype=bool)
    allowed[::3] = True
    hits = 0
    for row in range(0, 2000, 97):
        _, got = approx.search(data[row], 10, allowed=allowed)
        assert allowed[got].all()
        _, truth = exact.search(data[row], 10, allowed=allowed)
        hits += len(set(got.tolist()) & set(truth.tolist()))
        _, top = approx.search(data[row], 1)
        assert top[0] == row
    assert hits / (10 * len(range(0, 2000, 97))) > 0.8
