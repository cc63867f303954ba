"""Whether the documents answer a question: one calibrated score from the retrieval evidence,
and a threshold that depends on what the NLU thought the message was.

The score is a logistic regression over features of the best section the engine found (fitted on
the dev split of the answers set, `loket eval answers --fit`); the coefficients live in
data/answers/answer_model.yml per embedding model, because similarity scales differ per model.
For a model without fitted coefficients the search's own relevance thresholds decide.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml

from knowledge.example_classifier import LOG_FLOOR

if TYPE_CHECKING:
    from knowledge.search import Thresholds

EVIDENCE_FEATURES = (
    "page_score",
    "page_margin",
    "section_score",
    "dense",
    "coverage",
    "bm25",
    "title_overlap",
    "heading_dense",
    "aspect_match",
    "query_terms",
    "follow_up",
    "language_match",
    "sentence_dense",
    "page_sentence_dense",
    "page_coverage",
    "uncovered_topic",
    "example_dense",
    "example_margin",
    "section_example_dense",
    "example_class",
)


@dataclass(frozen=True)
class LinearModel:
    """bias + Σ weight·feature over named features (missing features count as 0)."""

    features: tuple[str, ...]
    weights: Mapping[str, float]
    bias: float = 0.0

    def score(self, values: Mapping[str, float]) -> float:
        return self.bias + sum(self.weights.get(name, 0.0) * float(values.get(name, 0.0)) for name in self.features)

    def probability(self, values: Mapping[str, float]) -> float:
        return 1.0 / (1.0 + math.exp(-max(-50.0, min(50.0, self.score(values)))))

    def to_json(self) -> dict[str, Any]:
        return {"weights": {k: round(float(v), 6) for k, v in self.weights.items()}, "bias": round(self.bias, 6)}

    @classmethod
    def from_json(cls, data: Mapping[str, Any], features: tuple[str, ...]) -> LinearModel:
        weights = {str(k): float(v) for k, v in (data.get("weights") or {}).items()}
        unknown = set(weights) - set(features)
        if unknown:
            raise ValueError(f"unknown features in the answer model: {sorted(unknown)}")
        return cls(features=features, weights=weights, bias=float(data.get("bias", 0.0)))


def _spread(matrix: Sequence[Sequence[float]]) -> tuple[list[float], list[float]]:
    """Mean and standard deviation per column (1 where a column does not vary)."""
    columns = list(zip(*matrix, strict=True)) if matrix else []
    means = [sum(column) / len(column) for column in columns]
    deviations = [
        math.sqrt(sum((value - mean) ** 2 for value in column) / len(column)) or 1.0
        for column, mean in zip(columns, means, strict=True)
    ]
    return means, deviations


def fit_linear(
    rows: Sequence[Mapping[str, float]], labels: Sequence[bool], features: tuple[str, ...], *, c: float = 1.0
) -> LinearModel:
    """Logistic regression (scikit-learn, needed at fitting time only), classes balanced.

    Fitted on standardised features, then folded back into plain weights: the regularisation then
    treats every feature alike. On raw values it all but ignored the similarity, which varies
    over a few hundredths only, and kept the counts and BM25 scores that vary over whole units."""
    from sklearn.linear_model import LogisticRegression

    x = [[float(row.get(name, 0.0)) for name in features] for row in rows]
    means, deviations = _spread(x)
    scaled = [[(v - m) / d for v, m, d in zip(row, means, deviations, strict=True)] for row in x]
    model = LogisticRegression(C=c, class_weight="balanced", max_iter=2000)
    model.fit(scaled, [1 if label else 0 for label in labels])
    coefficients = [float(w) for w in model.coef_[0]]
    weights = {name: w / d for name, w, d in zip(features, coefficients, deviations, strict=True)}
    bias = float(model.intercept_[0]) - sum(w * m / d for w, m, d in zip(coefficients, means, deviations, strict=True))
    return LinearModel(features=features, weights=weights, bias=bias)


def fit_pairwise(
    groups: Sequence[tuple[Sequence[Mapping[str, float]], Sequence[bool]]],
    features: tuple[str, ...],
    *,
    c: float = 1.0,
) -> LinearModel:
    """A ranker from pairwise preferences (RankSVM-style logistic regression on feature
    differences): within each question, every right candidate should outscore every wrong one.
    Optimises the order inside a question, which is what picking the top section needs.
    Features are scaled by their spread over all candidates first, as in `fit_linear`."""
    from sklearn.linear_model import LogisticRegression

    _, deviations = _spread([[float(row.get(name, 0.0)) for name in features] for rows, _ in groups for row in rows])
    x: list[list[float]] = []
    y: list[int] = []
    for rows, labels in groups:
        vectors = [
            [float(row.get(name, 0.0)) / d for name, d in zip(features, deviations, strict=True)] for row in rows
        ]
        right = [v for v, label in zip(vectors, labels, strict=True) if label]
        wrong = [v for v, label in zip(vectors, labels, strict=True) if not label]
        for good in right:
            for bad in wrong:
                difference = [g - b for g, b in zip(good, bad, strict=True)]
                # Both orientations, so the problem is symmetric and needs no intercept.
                x.append(difference)
                y.append(1)
                x.append([-d for d in difference])
                y.append(0)
    model = LogisticRegression(C=c, fit_intercept=False, max_iter=5000)
    model.fit(x, y)
    weights = {name: float(w) / d for name, w, d in zip(features, model.coef_[0], deviations, strict=True)}
    return LinearModel(features=features, weights=weights, bias=0.0)


@dataclass(frozen=True)
class Evidence:
    """What the engine found for a question, as the decision sees it."""

    values: dict[str, float]

    @classmethod
    def of(
        cls,
        *,
        page: Mapping[str, float],
        section: Mapping[str, float],
        page_score: float,
        page_margin: float,
        section_score: float,
        query_terms: int,
        follow_up: bool,
        uncovered_topic: bool = False,
    ) -> Evidence:
        values = {
            "page_score": page_score,
            "page_margin": page_margin,
            "section_score": section_score,
            "dense": float(page.get("dense", 0.0)),
            "coverage": float(section.get("coverage", 0.0)),
            "bm25": float(page.get("bm25", 0.0)),
            "title_overlap": float(page.get("title_overlap", 0.0)),
            "heading_dense": float(page.get("heading_dense", 0.0)),
            "aspect_match": float(section.get("aspect_match", 0.0)),
            "query_terms": math.log1p(query_terms),
            "follow_up": 1.0 if follow_up else 0.0,
            # Whether the page is in the citizen's language: across languages BM25 finds nothing.
            # (A separate weight for cross-language similarity was tried: with few such questions
            # in dev it let short English chit-chat through to the English pages.)
            "language_match": float(page.get("language_match", 0.0)),
            # The best single sentence, of the answering section and of its whole page: a section
            # answers with one or two sentences, which its whole-text similarity dilutes.
            "sentence_dense": float(section.get("sentence_dense", 0.0)),
            "page_sentence_dense": float(page.get("sentence_dense", 0.0)),
            "page_coverage": float(page.get("page_coverage", 0.0)),
            # The question names a municipal topic that no title or heading of the documents
            # names (knowledge/topics.py).
            "uncovered_topic": 1.0 if uncovered_topic else 0.0,
            # The closest question citizens ask of a section of the page (knowledge/examples.py).
            "example_dense": float(page.get("example_dense", 0.0)),
            "example_margin": float(page.get("example_margin", 0.0)),
            "section_example_dense": float(section.get("example_dense", 0.0)),
            # How probable the section classifier finds the page (knowledge/example_classifier.py).
            "example_class": float(page.get("example_class", LOG_FLOOR)),
        }
        return cls(values=values)


@dataclass(frozen=True)
class AnswerabilityModel:
    """p(answerable) from the evidence; answer when p ≥ the threshold for the NLU's intent."""

    model: LinearModel | None
    thresholds: Mapping[str, float] = field(default_factory=lambda: {"default": 0.5})
    fallback: Thresholds | None = None  # no fitted model: the search's relevance thresholds

    def probability(self, evidence: Evidence) -> float:
        if self.model is not None:
            return self.model.probability(evidence.values)
        if self.fallback is None:
            return 0.0
        values = evidence.values
        relevant = values["dense"] >= self.fallback.dense or math.expm1(values["bm25"]) >= self.fallback.bm25
        return 1.0 if relevant else 0.0

    def threshold_for(self, intent: str | None) -> float:
        """Stricter when the NLU took the message for something other than a question."""
        return float(self.thresholds.get(intent or "", self.thresholds.get("default", 0.5)))


@dataclass(frozen=True)
class AnswerModels:
    """The fitted ranker and answerability model of one embedder (data/answers/answer_model.yml)."""

    page_ranker: LinearModel | None
    section_ranker: LinearModel | None
    answerability: AnswerabilityModel

    @classmethod
    def load(
        cls,
        path: Path,
        *,
        embedder: str,
        fallback: Thresholds,
        page_features: tuple[str, ...],
        section_features: tuple[str, ...],
    ) -> AnswerModels:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) if path.exists() else None
        fitted = ((data or {}).get("models") or {}).get(embedder) or {}
        pages = LinearModel.from_json(fitted["page_ranker"], page_features) if fitted.get("page_ranker") else None
        sections = (
            LinearModel.from_json(fitted["section_ranker"], section_features) if fitted.get("section_ranker") else None
        )
        decision = fitted.get("answerability") or {}
        model = LinearModel.from_json(decision, EVIDENCE_FEATURES) if decision.get("weights") else None
        thresholds = {str(k): float(v) for k, v in (decision.get("thresholds") or {"default": 0.5}).items()}
        return cls(pages, sections, AnswerabilityModel(model, thresholds, fallback))
