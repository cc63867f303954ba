"""`loket eval nlu`: the trained NLU's intents on a labelled set, held out by default.

The set is Rasa NLU YAML (data/eval/nlu_test.yml): intent blocks whose `metadata.language` (or an
example's own) says which language the gateway sends with the message. Rasa's own loader reads it
and the trained model parses every example in the Rasa environment, the way the REST channel does
(the text plus `metadata.language`), so the whole NLU pipeline is measured, `FallbackClassifier`
included: a message it is unsure about (`nlu_fallback`) counts as wrong.

Measured: macro intent F1 (over the intents the set holds), per language, and precision, recall
and F1 per intent, with scikit-learn's classification_report.
"""

from __future__ import annotations

import json
import subprocess
import tempfile
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from api.operations.rasa_model import rasa_env
from api.settings import PROJECT_ROOT, Settings
from knowledge.languages import SUPPORTED_LANGUAGES

TEST_SET = PROJECT_ROOT / "data" / "eval" / "nlu_test.yml"  # held out: measured, never trained or tuned on
DOMAIN = PROJECT_ROOT / "domain.yml"
TARGET_MACRO_F1 = 0.92  # overall and per language (the NLU's claimed figure, docs/dialogue.md)
UNSURE = "nlu_fallback"
CRISIS = "crisis"
# Intents a pipeline component gives instead of a trained one, measured as that one: an unsure crisis
# reading (bot/nlu/unsure_crisis.py) gets the help lines outside a form too, unless the documents
# answer it (actions/crisis.py).
DERIVED_INTENTS = {"crisis_unsure": CRISIS}
# At most one ordinary message in a hundred may be read as a crisis (the split holds questions that
# share words with crisis phrases: "ik rij zelf niet meer", "mijn man is overleden"). Not zero: a crisis
# missed costs far more than a false alarm, so the crisis examples are not thinned out to reach it.
TARGET_FALSE_CRISIS_RATE = 0.01

# Runs in the Rasa environment: reads the set with Rasa's loader, loads the model with Rasa's Agent
# and prints one JSON line per example (`EXAMPLES n` first, for progress).
PARSE_SET = """
import asyncio, json, sys
from rasa.core.agent import Agent
from rasa.core.channels.channel import UserMessage
from rasa.shared.nlu.training_data.loading import load_data


def language_of(message):
    metadata = message.get("metadata") or {}
    for level in ("example", "intent"):
        value = metadata.get(level)
        if isinstance(value, dict) and value.get("language"):
            return value["language"]
    return None


async def main(model, path):
    examples = [(m.get("text"), m.get("intent"), language_of(m)) for m in load_data(path).intent_examples]
    print("EXAMPLES " + str(len(examples)), flush=True)
    agent = Agent.load(model)
    for text, intent, language in examples:
        metadata = {"language": language} if language else None
        parsed = await agent.processor.parse_message(UserMessage(text, metadata=metadata))
        ranking = [r for r in parsed.get("intent_ranking") or [] if r.get("name") != "nlu_fallback"]
        print("PARSED " + json.dumps({
            "text": text, "intent": intent, "language": language,
            "predicted": parsed["intent"]["name"], "confidence": parsed["intent"].get("confidence"),
            "best": ranking[0]["name"] if ranking else None,
            "language_entity": [e["value"] for e in parsed.get("entities") or [] if e.get("entity") == "language"],
        }), flush=True)


asyncio.run(main(sys.argv[1], sys.argv[2]))
"""


class NluSetError(ValueError):
    """The set cannot be measured: what is wrong, in one line or a short list."""


@dataclass(frozen=True)
class Prediction:
    """One example of the set and what the trained NLU made of it."""

    text: str
    intent: str  # the label
    language: str  # what the gateway sends with it as metadata.language
    predicted: str  # the NLU's intent; nlu_fallback when it is unsure
    confidence: float | None = None
    best: str | None = None  # the best intent behind an nlu_fallback
    language_entity: tuple[str, ...] = ()  # the `language` entity the model set from the metadata

    @property
    def correct(self) -> bool:
        return self.predicted == self.intent


@dataclass(frozen=True)
class IntentScore:
    precision: float
    recall: float
    f1: float
    support: int


@dataclass
class NluReport:
    name: str
    predictions: list[Prediction]
    model: str = ""
    # scope ("all", "nl", "en") -> intent -> score; the macro F1 of a scope is over the intents it holds
    scores: dict[str, dict[str, IntentScore]] = field(default_factory=dict)
    macro_f1: dict[str, float] = field(default_factory=dict)

    @property
    def scopes(self) -> list[str]:
        return list(self.macro_f1)

    def misses(self, scope: str = "all") -> list[Prediction]:
        return [p for p in self.predictions if not p.correct and scope in ("all", p.language)]

    def without_language_entity(self) -> list[Prediction]:
        """Examples whose metadata.language did not come back as the `language` entity."""
        return [p for p in self.predictions if list(p.language_entity) != [p.language]]

    def false_crises(self) -> list[Prediction]:
        """Messages that are not a crisis but were read as one: the citizen would get the help lines
        and a moderator a priority escalation instead of an answer."""
        return [p for p in self.predictions if p.predicted == CRISIS and p.intent != CRISIS]

    def ordinary_messages(self) -> int:
        """How many examples are not a crisis: the messages a false crisis can come from."""
        return sum(p.intent != CRISIS for p in self.predictions)

    def false_crisis_rate(self) -> float:
        ordinary = self.ordinary_messages()
        return len(self.false_crises()) / ordinary if ordinary else 0.0

    def failures(self) -> list[str]:
        failed = [
            f"macro F1 {scope} {figure:.3f} < {TARGET_MACRO_F1}"
            for scope, figure in self.macro_f1.items()
            if figure < TARGET_MACRO_F1
        ]
        if (rate := self.false_crisis_rate()) > TARGET_FALSE_CRISIS_RATE:
            failed.append(f"false crises {rate:.3f} > {TARGET_FALSE_CRISIS_RATE}")
        if missing := self.without_language_entity():
            failed.append(f"{len(missing)} examples without the language entity from their metadata")
        return failed

    def meets_targets(self) -> bool:
        return not self.failures()

    def summary(self) -> dict[str, Any]:
        return {
            "set": self.name,
            "model": self.model,
            "examples": dict(Counter(p.language for p in self.predictions)),
            "macro_f1": {scope: round(figure, 4) for scope, figure in self.macro_f1.items()},
            "target_macro_f1": TARGET_MACRO_F1,
            "intents": {
                scope: {
                    intent: {
                        "precision": round(s.precision, 4),
                        "recall": round(s.recall, 4),
                        "f1": round(s.f1, 4),
                        "support": s.support,
                    }
                    for intent, s in scores.items()
                }
                for scope, scores in self.scores.items()
            },
            "unsure": sum(p.predicted == UNSURE for p in self.predictions),
            "false_crises": len(self.false_crises()),
            "false_crisis_rate": round(self.false_crisis_rate(), 4),
            "misses": len(self.misses()),
            "meets_targets": self.meets_targets(),
        }

    def format(self, *, show_misses: bool = False) -> str:
        counts = Counter(p.language for p in self.predictions)
        languages = [scope for scope in self.scopes if scope != "all"]
        sizes = ", ".join(f"{language} {counts[language]}" for language in languages)
        lines = [
            f"NLU intents on {self.name} ({len(self.predictions)} examples: {sizes})"
            + (f", model {self.model}" if self.model else ""),
            "macro F1: "
            + "  ".join(f"{scope} {figure:.3f}" for scope, figure in self.macro_f1.items())
            + f"   (target >= {TARGET_MACRO_F1} for each)",
            "",
            f"{'intent':<16}{'precision':>10}{'recall':>8}{'F1':>7}{'n':>5}"
            + "".join(f"{'F1 ' + language:>8}{'n':>4}" for language in languages),
        ]
        for intent, score in sorted(self.scores["all"].items(), key=lambda item: (item[1].f1, item[0])):
            row = f"{intent:<16}{score.precision:>10.3f}{score.recall:>8.3f}{score.f1:>7.3f}{score.support:>5}"
            for language in languages:
                own = self.scores[language].get(intent)
                row += f"{own.f1:>8.3f}{own.support:>4}" if own else f"{'-':>8}{'':>4}"
            lines.append(row)
        unsure = sum(p.predicted == UNSURE for p in self.predictions)
        lines += ["", f"misclassified: {len(self.misses())} (of which unsure, {UNSURE}: {unsure})"]
        lines.append(
            f"false crises: {len(self.false_crises())} of {self.ordinary_messages()} other messages, "
            f"{self.false_crisis_rate():.3f}"
            f"   (target <= {TARGET_FALSE_CRISIS_RATE})"
        )
        if missing := self.without_language_entity():
            lines.append(f"without the language entity from their metadata: {len(missing)}")
        if show_misses:
            for p in sorted(self.misses(), key=lambda p: (p.intent, p.language, p.predicted, p.text)):
                behind = f", best {p.best}" if p.predicted == UNSURE and p.best else ""
                confidence = f" {p.confidence:.2f}" if p.confidence is not None else ""
                lines.append(f"  [{p.language}] {p.intent} -> {p.predicted}{confidence}{behind}: {p.text!r}")
        failures = self.failures()
        lines.append("targets met" if not failures else "targets missed: " + "; ".join(failures))
        return "\n".join(lines)


def domain_intents(path: Path = DOMAIN) -> list[str]:
    """The domain's trained intents (not the DERIVED_INTENTS a component gives)."""
    document = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    names = [next(iter(item)) if isinstance(item, dict) else str(item) for item in document.get("intents") or []]
    return [name for name in names if name not in DERIVED_INTENTS]


def check_predictions(predictions: Sequence[Prediction], intents: Sequence[str]) -> list[str]:
    """What makes the set unusable: labels the domain does not have, examples without a supported
    language, no examples at all."""
    if not predictions:
        return ["no intent examples (is it Rasa NLU YAML?)"]
    problems = sorted({f"unknown intent {p.intent!r}" for p in predictions if p.intent not in intents})
    problems += sorted(
        {
            f"{p.text!r} ({p.intent}): metadata.language must be one of {', '.join(SUPPORTED_LANGUAGES)}, "
            f"not {p.language!r}"
            for p in predictions
            if p.language not in SUPPORTED_LANGUAGES
        }
    )
    return problems


def intent_scores(predictions: Sequence[Prediction]) -> tuple[dict[str, IntentScore], float]:
    """Precision, recall and F1 per labelled intent, and their macro average. A prediction outside
    the labels (nlu_fallback, an intent the set does not hold) is a miss for its label's recall."""
    from sklearn.metrics import classification_report  # the app environment has it (sentence-transformers)

    labels = sorted({p.intent for p in predictions})
    report = classification_report(
        [p.intent for p in predictions],
        [p.predicted for p in predictions],
        labels=labels,
        output_dict=True,
        zero_division=0,
    )
    scores = {
        intent: IntentScore(
            float(report[intent]["precision"]),
            float(report[intent]["recall"]),
            float(report[intent]["f1-score"]),
            int(report[intent]["support"]),
        )
        for intent in labels
    }
    return scores, float(report["macro avg"]["f1-score"])


def score(predictions: Sequence[Prediction], *, name: str, model: str = "") -> NluReport:
    """The report over all examples and per language (in SUPPORTED_LANGUAGES order)."""
    report = NluReport(name=name, predictions=list(predictions), model=model)
    groups = {"all": list(predictions)}
    groups.update({language: [p for p in predictions if p.language == language] for language in SUPPORTED_LANGUAGES})
    for scope, members in groups.items():
        if members:
            report.scores[scope], report.macro_f1[scope] = intent_scores(members)
    return report


def _prediction(row: dict[str, Any]) -> Prediction:
    return Prediction(
        text=row["text"],
        intent=row["intent"],
        language=str(row["language"]),
        predicted=DERIVED_INTENTS.get(row["predicted"], row["predicted"]),
        confidence=row["confidence"],
        best=row["best"],
        language_entity=tuple(row["language_entity"]),
    )


def parse_set(
    path: Path, *, model: Path, settings: Settings, progress: Callable[[int, int], None] | None = None
) -> list[Prediction]:
    """Every example of the set, parsed by `model` in the Rasa environment (one process, the model
    loaded once)."""
    if not settings.rasa_python.exists():
        raise RuntimeError(f"Rasa is not installed at {settings.rasa_venv}: run `make rasa-env` (or `make run`).")
    predictions: list[Prediction] = []
    total = 0
    # Rasa and TensorFlow log to stderr: a file, so a full pipe never stalls the process.
    with tempfile.TemporaryFile(mode="w+") as errors:
        process = subprocess.Popen(
            [str(settings.rasa_python), "-c", PARSE_SET, str(model), str(path.resolve())],
            cwd=PROJECT_ROOT,
            env=rasa_env(settings),
            stdout=subprocess.PIPE,
            stderr=errors,
            text=True,
        )
        assert process.stdout is not None
        for line in process.stdout:
            if line.startswith("EXAMPLES "):
                total = int(line.split()[1])
            elif line.startswith("PARSED "):
                predictions.append(_prediction(json.loads(line[len("PARSED ") :])))
                if progress is not None:
                    progress(len(predictions), total)
        if process.wait() != 0 or len(predictions) != total:
            errors.seek(0)
            raise RuntimeError(
                f"parsing {path} in the Rasa environment failed (exit code {process.returncode}):\n"
                + errors.read()[-3000:]
            )
    return predictions


def evaluate_set(
    path: Path, *, model: Path, settings: Settings, progress: Callable[[int, int], None] | None = None
) -> NluReport:
    """`path` parsed by `model` and scored; NluSetError when the set cannot be measured."""
    predictions = parse_set(path, model=model, settings=settings, progress=progress)
    problems = check_predictions(predictions, domain_intents())
    if problems:
        raise NluSetError(f"{path}: " + "; ".join(problems))
    return score(predictions, name=path.name, model=model.name)
