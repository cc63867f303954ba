"""Evaluation and tuning of the router on labelled messages (data/eval/routing*.jsonl).

Each line: {"text": "...", "team": "<id>" | null, "lang": "nl" | "en"}; null = out of scope.
Metrics: accuracy on the decided messages (triage left out), the share sent to triage,
macro F1 over the labels (triage counts as a miss), and a confusion matrix.
"""

from __future__ import annotations

import itertools
import json
import time
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from routing.config import CRISIS, OUT_OF_SCOPE, RoutingParams
from routing.signals import keyword_scores

if TYPE_CHECKING:
    from routing.router import Router, Signals

TRIAGE = "triage"
EVAL_DIR = Path(__file__).resolve().parents[1] / "data" / "eval"
TEST_SET = EVAL_DIR / "routing.jsonl"
DEV_SET = EVAL_DIR / "routing_dev.jsonl"
TARGET_ACCURACY = 0.92
TARGET_TRIAGE = 0.10


@dataclass(frozen=True)
class Example:
    text: str
    label: str  # a team id or OUT_OF_SCOPE ("null")
    lang: str = "nl"


def load_examples(path: Path) -> list[Example]:
    rows: list[Example] = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        data = json.loads(line)
        if not str(data.get("text", "")).strip():
            raise ValueError(f"{path}:{number}: empty text")
        rows.append(Example(str(data["text"]), data.get("team") or OUT_OF_SCOPE, str(data.get("lang", "nl"))))
    return rows


@dataclass
class Prediction:
    example: Example
    predicted: str  # label, or TRIAGE
    best_guess: str
    confidence: float


@dataclass
class EvalReport:
    predictions: list[Prediction]
    labels: list[str]
    seconds: float = 0.0
    params: dict[str, Any] = field(default_factory=dict)

    @property
    def total(self) -> int:
        return len(self.predictions)

    @property
    def decided(self) -> list[Prediction]:
        return [p for p in self.predictions if p.predicted != TRIAGE]

    @property
    def triage_share(self) -> float:
        return 1 - len(self.decided) / self.total if self.total else 0.0

    @property
    def accuracy_decided(self) -> float:
        decided = self.decided
        return sum(p.predicted == p.example.label for p in decided) / len(decided) if decided else 0.0

    @property
    def accuracy_all(self) -> float:
        """Triage counted as wrong."""
        return sum(p.predicted == p.example.label for p in self.predictions) / self.total if self.total else 0.0

    @property
    def guess_accuracy_triage(self) -> float:
        """How often the best guess was right for the messages sent to triage."""
        triaged = [p for p in self.predictions if p.predicted == TRIAGE]
        return sum(p.best_guess == p.example.label for p in triaged) / len(triaged) if triaged else 0.0

    def per_label(self) -> dict[str, tuple[float, float, float, int]]:
        """label -> (precision, recall, F1, support); triage counts as a miss for recall."""
        result: dict[str, tuple[float, float, float, int]] = {}
        for label in self.labels:
            tp = sum(p.predicted == label and p.example.label == label for p in self.predictions)
            predicted = sum(p.predicted == label for p in self.predictions)
            support = sum(p.example.label == label for p in self.predictions)
            precision = tp / predicted if predicted else 0.0
            recall = tp / support if support else 0.0
            f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
            result[label] = (precision, recall, f1, support)
        return result

    @property
    def macro_f1(self) -> float:
        scores = [f1 for _, _, f1, support in self.per_label().values() if support]
        return sum(scores) / len(scores) if scores else 0.0

    def meets_targets(self) -> bool:
        return self.accuracy_decided >= TARGET_ACCURACY and self.triage_share <= TARGET_TRIAGE

    def confusion(self) -> dict[str, Counter[str]]:
        matrix: dict[str, Counter[str]] = {label: Counter() for label in self.labels}
        for p in self.predictions:
            matrix.setdefault(p.example.label, Counter())[p.predicted] += 1
        return matrix

    def errors(self) -> list[Prediction]:
        return [p for p in self.predictions if p.predicted not in (p.example.label, TRIAGE)]

    def summary(self) -> dict[str, Any]:
        return {
            "messages": self.total,
            "accuracy_decided": round(self.accuracy_decided, 4),
            "accuracy_all": round(self.accuracy_all, 4),
            "macro_f1": round(self.macro_f1, 4),
            "triage_share": round(self.triage_share, 4),
            "triage_best_guess_accuracy": round(self.guess_accuracy_triage, 4),
            "meets_targets": self.meets_targets(),
            "seconds": round(self.seconds, 1),
        }

    def format(self, *, show_errors: bool = True) -> str:
        lines = [
            f"messages: {self.total}   decided: {len(self.decided)}   triage: {self.total - len(self.decided)}",
            f"accuracy on decided messages: {self.accuracy_decided:.3f}   (target >= {TARGET_ACCURACY})",
            f"share sent to triage:         {self.triage_share:.3f}   (target <= {TARGET_TRIAGE})",
            f"accuracy, triage as wrong:    {self.accuracy_all:.3f}",
            f"macro F1 (triage as a miss):  {self.macro_f1:.3f}",
            f"best guess right in triage:   {self.guess_accuracy_triage:.3f}",
            f"targets met: {'yes' if self.meets_targets() else 'NO'}   ({self.seconds:.0f} s)",
            "",
            "per label: precision recall F1 support",
        ]
        for label, (precision, recall, f1, support) in self.per_label().items():
            lines.append(f"  {label:<16} {precision:5.2f} {recall:5.2f} {f1:5.2f} {support:4d}")
        columns = [*self.labels, TRIAGE]
        width = max(len(label) for label in columns)
        lines += [
            "",
            "confusion matrix (rows: expected, columns: predicted; column numbers = row numbers, T = triage)",
        ]
        header = " " * (width + 5) + "".join(f"{i:>4}" for i in range(1, len(self.labels) + 1)) + "   T"
        lines.append(header)
        matrix = self.confusion()
        for i, label in enumerate(self.labels, 1):
            row = matrix.get(label, Counter())
            cells = "".join(f"{(row[c] or '.'):>4}" for c in columns)
            lines.append(f"{i:>3}. {label:<{width}}{cells}")
        if show_errors and self.errors():
            lines += ["", "wrong decisions (expected -> predicted, confidence):"]
            for p in self.errors():
                lines.append(f"  {p.example.label} -> {p.predicted} ({p.confidence:.2f}): {p.example.text}")
        return "\n".join(lines)


def _label_order(router: Router) -> list[str]:
    return [*router.config.teams, OUT_OF_SCOPE]


def _predict(router: Router, text: str, signals: Signals | None, params: RoutingParams) -> tuple[str, str, float]:
    if router.crisis(text) is not None:
        return CRISIS, CRISIS, 1.0
    assert signals is not None
    best, confidence, status = router.decide(router.logits(signals, params), params)
    return (TRIAGE if status == "unsure" else best), best, confidence


def collect_signals(
    router: Router, examples: Sequence[Example], progress: Callable[[int, int], None] | None = None
) -> list[Signals | None]:
    """The model and index work for every message, once (crisis phrases need none); with the
    example classifier's evidence whatever the router's weight for it, for tuning that weight."""
    out: list[Signals | None] = []
    for i, example in enumerate(examples, 1):
        crisis = router.crisis(example.text) is not None
        out.append(None if crisis else router.signals(example.text, with_classes=True))
        if progress:
            progress(i, len(examples))
    return out


def evaluate(
    router: Router,
    examples: Sequence[Example],
    *,
    params: RoutingParams | None = None,
    signals: Sequence[Signals | None] | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> EvalReport:
    params = params or router.params
    started = time.monotonic()
    if signals is None:
        signals = collect_signals(router, examples, progress)
    predictions = []
    for example, signal in zip(examples, signals, strict=True):
        predicted, best, confidence = _predict(router, example.text, signal, params)
        predictions.append(Prediction(example, predicted, best, confidence))
    return EvalReport(predictions, _label_order(router), time.monotonic() - started, params.__dict__.copy())


DEFAULT_GRID: dict[str, Iterable[Any]] = {
    "temperature": (0.01, 0.015, 0.02, 0.03),
    "top_k": (1, 2, 3),
    "keyword_weight": (0.5, 1.0, 1.5, 2.5),
    "weak_weight": (0.2, 0.4),
    # the owning teams of matching documents always get a say (0.0 tied on the dev set)
    "knowledge_weight": (0.5, 1.0, 2.0),
    "no_document_weight": (0.0, 0.5, 1.0, 2.0),
    "threshold": (0.3, 0.35, 0.4, 0.45, 0.5, 0.55, 0.6),
    # Fixed rather than searched: accuracy on the dev set's decided messages alone prefers 0.5,
    # which sends more everyday requests to a team. Chosen on the answers dev split's 188
    # out-of-scope messages, the share sent to a team with the rest tuned per weight: 0: 0.133,
    # 0.5: 0.106, 1: 0.080, 2: 0.080 (accuracy on decided 0.959), 4: 0.053 (0.939).
    "classifier_weight": (1.0,),
}


def _matrices(router: Router, signals: Sequence[Signals | None], top_ks: Iterable[int]) -> dict[str, Any]:
    """The signals as arrays (messages x labels) so a parameter grid is cheap to search."""
    import numpy as np

    from knowledge.example_classifier import LOG_FLOOR

    labels = _label_order(router)
    index = {label: i for i, label in enumerate(labels)}
    n, m = len(signals), len(labels)
    sims = {k: np.zeros((n, m)) for k in top_ks}
    strong, weak, votes = np.zeros((n, m)), np.zeros((n, m)), np.zeros((n, m))
    classes = np.full((n, m), LOG_FLOOR)
    no_document = np.zeros(n)
    for row, signal in enumerate(signals):
        if signal is None:
            continue
        for label, value in signal.classes.items():
            classes[row, index[label]] = value
        for k in sims:
            for label, value in router.examples.label_scores(signal.sims, k).items():
                sims[k][row, index[label]] = value
        for label, value in keyword_scores(signal.keywords, cap=1e9, weak_weight=0.0).items():
            strong[row, index[label]] = value
        for label, value in keyword_scores(signal.keywords, cap=1e9, weak_weight=1.0).items():
            weak[row, index[label]] = value - strong[row, index[label]]
        for label, value in signal.votes.items():
            if label in index:
                votes[row, index[label]] = value
        no_document[row] = float(router.search is not None and not signal.relevant)
    return {
        "labels": labels,
        "sims": sims,
        "strong": strong,
        "weak": weak,
        "votes": votes,
        "classes": classes,
        "no_document": no_document,
    }


def tune(
    router: Router,
    examples: Sequence[Example],
    *,
    grid: dict[str, Iterable[Any]] | None = None,
    max_triage: float = 0.08,
    progress: Callable[[int, int], None] | None = None,
) -> tuple[RoutingParams, EvalReport]:
    """Grid search on a development set: the best accuracy on decided messages whose triage
    share stays <= max_triage (ties: less triage). The winner is re-evaluated with the
    router itself, so the report is exactly what `evaluate` gives."""
    import numpy as np

    grid = {key: list(values) for key, values in (grid or DEFAULT_GRID).items()}
    signals = collect_signals(router, examples, progress)
    top_ks = grid.get("top_k", [router.params.top_k])
    data = _matrices(router, signals, top_ks)
    labels = data["labels"]
    gold = np.array([labels.index(e.label) for e in examples])
    crisis_rows = np.array([s is None for s in signals])
    crisis_col, null_col = labels.index(CRISIS), labels.index(OUT_OF_SCOPE)
    keys = list(grid)
    best: tuple[tuple[float, float], RoutingParams] | None = None
    for values in itertools.product(*(grid[k] for k in keys)):
        params = replace(router.params, **dict(zip(keys, values, strict=True)))
        keywords = np.minimum(data["strong"] + params.weak_weight * data["weak"], params.keyword_cap)
        logits = (
            data["sims"][params.top_k] / params.temperature
            + params.keyword_weight * keywords
            + params.knowledge_weight * data["votes"]
            + params.classifier_weight * data["classes"]
        )
        logits[:, null_col] += params.no_document_weight * data["no_document"]
        logits -= logits.max(axis=1, keepdims=True)
        probabilities = np.exp(logits)
        probabilities /= probabilities.sum(axis=1, keepdims=True)
        predicted = probabilities.argmax(axis=1)
        confidence = probabilities.max(axis=1)
        predicted[crisis_rows] = crisis_col
        triage = (confidence < params.threshold) & ~crisis_rows
        share = triage.mean()
        if share > max_triage:
            continue
        decided = ~triage
        accuracy = float((predicted[decided] == gold[decided]).mean()) if decided.any() else 0.0
        key = (round(accuracy, 4), -round(float(share), 4))
        if best is None or key > best[0]:
            best = (key, params)
    if best is None:
        raise RuntimeError(f"no parameters keep triage at or below {max_triage:.0%}")
    return best[1], evaluate(router, examples, params=best[1], signals=signals)
