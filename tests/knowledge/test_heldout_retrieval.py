"""The real default embedder on the sample corpus (data/policies), with the search's own defaults.

The index lives in pytest's cache directory and reuses the passages' vectors of the project's index
(var/index, which the session builds for the stack tests anyway), so no passage is embedded twice.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from knowledge.embedding import DEFAULT_EMBEDDER, make_embedder
from knowledge.evaluation import evaluate, load_questions
from knowledge.index import build_index, load_index
from knowledge.ingest import load_documents
from knowledge.search import KnowledgeSearch
from knowledge.types import Document, Reader

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[2]
POLICIES = ROOT / "data" / "policies"
QUESTIONS = yaml.safe_load((Path(__file__).parent / "policy_questions.yml").read_text(encoding="utf-8"))
CLINC = ROOT.parent / "shared" / "data" / "clinc150" / "oos_train_val.json"


@pytest.fixture(scope="module")
def corpus() -> list[Document]:
    if not POLICIES.is_dir() or not any(POLICIES.rglob("*.md")):
        pytest.skip(f"no sample documents in {POLICIES} yet")
    result = load_documents([POLICIES])
    assert result.errors == [], f"broken sample documents: {result.errors}"
    return result.documents


@pytest.fixture(scope="module")
def search(
    request: pytest.FixtureRequest,
    tmp_path_factory: pytest.TempPathFactory,
    corpus: list[Document],
    built_index: Path,
) -> KnowledgeSearch:
    cache: Any = getattr(request.config, "cache", None)
    index_dir = Path(cache.mkdir("knowledge-policies-index")) if cache else tmp_path_factory.mktemp("index")
    # A vector is reused only for the same text and the same embedder: any other build is embedded anew.
    build_index(corpus, embedder=make_embedder(DEFAULT_EMBEDDER), index_dir=index_dir, previous=built_index)
    return KnowledgeSearch(load_index(index_dir), make_embedder(DEFAULT_EMBEDDER))


def test_held_out_retrieval_meets_its_targets(search: KnowledgeSearch) -> None:
    """The gate runs on data/eval/retrieval_nl_en.jsonl, written apart from the documents and
    never used to tune the search; the targets are knowledge.evaluation.TARGETS, not floors."""
    report = evaluate(search, load_questions(ROOT / "data" / "eval" / "retrieval_nl_en.jsonl"))
    assert report.meets_targets(), report.format()


def test_examples_from_the_brief(search: KnowledgeSearch) -> None:
    paspoort = search.search("paspoort kosten", reader=Reader.public())
    assert paspoort.relevant and paspoort.hits[0].doc_id == "paspoort-aanvragen"
    assert "Kosten" in paspoort.hits[0].section
    assert not search.search("wat is de hoofdstad van Frankrijk", reader=Reader.public()).relevant


def test_few_off_topic_questions_count_as_relevant(search: KnowledgeSearch) -> None:
    if not CLINC.exists():
        # The bar is set on the 218 questions together; the 18 small-talk ones alone are too few.
        pytest.skip(f"{CLINC} is absent: the out-of-scope set comes from ../shared/data/clinc150")
    data = json.loads(CLINC.read_text(encoding="utf-8"))
    questions = list(QUESTIONS["irrelevant"]) + [q for q, _ in data["oos_train"] + data["oos_val"]]
    judged = [q for q in questions if search.search(q, reader=Reader.public()).relevant]
    # e5 similarities bunch together; measured 29/218 with the defaults.
    assert len(judged) / len(questions) <= 0.2, judged


def _first_sentence(doc: Document) -> str:
    text = re.sub(r"^#.*$", "", doc.body, flags=re.MULTILINE)
    sentences = [s for s in re.split(r"(?<=[.!?])\s+", " ".join(text.split())) if len(s.split()) >= 6]
    return sentences[1] if len(sentences) > 1 else sentences[0]  # the first is often a "do not share" line


def test_internal_documents_only_reach_their_teams(search: KnowledgeSearch, corpus: list[Document]) -> None:
    internal = [d for d in corpus if d.audience == "internal"]
    if not internal:
        pytest.skip("no internal sample documents yet")
    for doc in internal:
        sentence = _first_sentence(doc)
        public = search.search(sentence, reader=Reader.public(), k=20)
        assert all(h.audience == "public" for h in public.hits), (doc.id, public.hits)
        member = Reader.staff(teams=set(doc.allowed_teams))
        found = search.search(sentence, reader=member, k=3)
        assert doc.id in {h.doc_id for h in found.hits}, (doc.id, sentence, found.hits)
