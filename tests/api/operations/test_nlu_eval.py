"""The NLU gate: macro intent F1 of the trained model on the held-out split data/eval/nlu_test.yml,
overall and per language, at the target (integration: the model in var/, parsed in the Rasa
environment as `loket eval nlu` does); and the measurement itself on small made-up predictions."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest
import yaml

from api.operations.cli import main
from api.operations.nlu_eval import (
    CRISIS,
    TARGET_FALSE_CRISIS_RATE,
    TARGET_MACRO_F1,
    TEST_SET,
    UNSURE,
    NluReport,
    Prediction,
    _prediction,
    check_predictions,
    domain_intents,
    evaluate_set,
    score,
)
from api.services.personal_data import PLACEHOLDERS
from api.settings import Settings
from knowledge.languages import SUPPORTED_LANGUAGES
from tests.held_figures import held_params, hold

# The intents a citizen's free text mostly lands in: more examples, so their F1 means something.
MAIN_INTENTS = ("ask_question", "out_of_scope", "report_problem", "file_complaint")


def split_examples(path: Path = TEST_SET) -> list[tuple[str, str, str]]:
    """(text, intent, language) of every example, read as plain YAML (Rasa reads it in the gate)."""
    found = []
    for block in yaml.safe_load(path.read_text(encoding="utf-8"))["nlu"]:
        language = (block.get("metadata") or {}).get("language")
        lines = [line.strip()[2:] for line in block["examples"].splitlines() if line.strip().startswith("- ")]
        found += [(text, block["intent"], language) for text in lines]
    return found


def p(intent: str, predicted: str, language: str = "nl", text: str = "") -> Prediction:
    return Prediction(text or f"{intent}->{predicted}", intent, language, predicted, 0.9, None, (language,))


# --- the split -----------------------------------------------------------------------------------


def test_the_split_covers_every_intent_in_both_languages_with_enough_examples() -> None:
    counts = Counter((intent, language) for _, intent, language in split_examples())
    assert {language for _, language in counts} == set(SUPPORTED_LANGUAGES)
    for intent in domain_intents():
        dutch, english = (40, 12) if intent in MAIN_INTENTS else (15, 5)
        assert counts[(intent, "nl")] >= dutch and counts[(intent, "en")] >= english, (intent, counts)
    assert {intent for intent, _ in counts} == set(domain_intents())


def test_the_split_has_no_duplicate_within_a_language() -> None:
    examples = [(text.lower(), language) for text, _, language in split_examples()]
    assert [item for item, n in Counter(examples).items() if n > 1] == []


def test_form_answers_include_the_placeholders_the_gateway_sends_to_rasa() -> None:
    """A contact typed into a form reaches Rasa as "[e-mail]" / "[telefoon]" (the redaction)."""
    informs = " ".join(text for text, intent, _ in split_examples() if intent == "inform")
    assert PLACEHOLDERS["email"] in informs and PLACEHOLDERS["phone"] in informs


# --- the measurement -----------------------------------------------------------------------------


def test_precision_recall_and_macro_f1_per_intent_and_language() -> None:
    predictions = [
        p("greet", "greet"), p("greet", "greet"), p("greet", "goodbye"),  # greet: P 1, R 2/3
        p("goodbye", "goodbye"),  # goodbye: P 1/2, R 1
        p("greet", "greet", "en"), p("goodbye", UNSURE, "en"),  # unsure counts as a miss
    ]  # fmt: skip
    report = score(predictions, name="toy")
    greet, goodbye = report.scores["all"]["greet"], report.scores["all"]["goodbye"]
    assert (greet.precision, greet.recall, greet.support) == (1.0, 0.75, 4)
    assert (goodbye.precision, goodbye.recall, goodbye.support) == (0.5, 0.5, 2)
    assert report.macro_f1["all"] == pytest.approx((2 * 0.75 / 1.75 + 0.5) / 2)
    # per language: over the intents that language holds
    assert report.scores["nl"]["greet"].recall == pytest.approx(2 / 3)
    assert report.macro_f1["nl"] == pytest.approx((0.8 + 2 / 3) / 2)
    assert report.macro_f1["en"] == pytest.approx((1.0 + 0.0) / 2)
    assert report.scopes == ["all", "nl", "en"] and UNSURE not in report.scores["all"]
    assert [m.predicted for m in report.misses()] == ["goodbye", UNSURE]
    assert [m.predicted for m in report.misses("en")] == [UNSURE]


def test_a_language_without_examples_is_left_out() -> None:
    report = score([p("greet", "greet"), p("deny", "deny")], name="toy")
    assert report.scopes == ["all", "nl"] and report.macro_f1 == {"all": 1.0, "nl": 1.0}


def test_the_targets_hold_for_every_scope_and_need_the_language_entity() -> None:
    perfect = [p("greet", "greet"), p("deny", "deny"), p("greet", "greet", "en"), p("deny", "deny", "en")]
    assert score(perfect, name="toy").meets_targets()
    weak_english = [*perfect, p("deny", "greet", "en"), p("deny", "greet", "en")]
    report = score(weak_english, name="toy")
    assert report.macro_f1["nl"] == 1.0 and report.macro_f1["en"] < TARGET_MACRO_F1
    assert [f.split(" <")[0] for f in report.failures()] == [
        f"macro F1 all {report.macro_f1['all']:.3f}", f"macro F1 en {report.macro_f1['en']:.3f}",
    ]  # fmt: skip
    lost = Prediction("hallo", "greet", "nl", "greet", 0.9, None, ())
    assert score([*perfect, lost], name="toy").failures() == [
        "1 examples without the language entity from their metadata"
    ]


def test_ordinary_messages_read_as_a_crisis_are_counted_against_their_target() -> None:
    """A false crisis costs a citizen the answer and a moderator a priority escalation; a crisis
    read as something else is a miss of the crisis intent's recall, not a false crisis."""
    ordinary = [p("ask_question", "ask_question", text=f"vraag {n}") for n in range(99)]
    fine = score([p("crisis", "crisis"), p("crisis", "out_of_scope"), *ordinary], name="toy")
    assert fine.false_crises() == [] and fine.false_crisis_rate() == 0.0
    one = [*ordinary, p("ask_followup", "crisis", text="en als ik zelf niet rij?")]
    at_target = score([p("crisis", "crisis"), *one], name="toy")
    assert [f.text for f in at_target.false_crises()] == ["en als ik zelf niet rij?"]
    assert at_target.false_crisis_rate() == TARGET_FALSE_CRISIS_RATE
    assert not [f for f in at_target.failures() if f.startswith("false crises")]
    assert (
        f"false crises: 1 of 100 other messages, 0.010   (target <= {TARGET_FALSE_CRISIS_RATE})" in at_target.format()
    )
    over = score([*one, p("report_problem", "crisis", text="mijn moeder is bijna gevallen")], name="toy")
    assert f"false crises 0.020 > {TARGET_FALSE_CRISIS_RATE}" in over.failures()
    assert over.summary()["false_crises"] == 2 and over.summary()["false_crisis_rate"] == round(2 / 101, 4)


def test_the_report_lists_intents_worst_first_and_the_misses_on_request() -> None:
    predictions = [
        p("greet", "greet"), p("greet", "goodbye", text="hoi hoi"), p("goodbye", "goodbye"),
        Prediction("doei dan", "goodbye", "en", UNSURE, 0.35, "greet", ("en",)),
    ]  # fmt: skip
    report = score(predictions, name="toy.yml", model="loket-x.tar.gz")
    text = report.format()
    assert "toy.yml (4 examples: nl 3, en 1), model loket-x.tar.gz" in text
    assert f"macro F1: all {report.macro_f1['all']:.3f}  nl {report.macro_f1['nl']:.3f}" in text
    rows = [line.split()[0] for line in text.splitlines() if line.startswith(("greet ", "goodbye "))]
    assert rows == sorted(rows, key=lambda intent: report.scores["all"][intent].f1)
    assert f"misclassified: 2 (of which unsure, {UNSURE}: 1)" in text and "hoi hoi" not in text
    shown = report.format(show_misses=True)
    assert "  [nl] greet -> goodbye 0.90: 'hoi hoi'" in shown
    assert f"  [en] goodbye -> {UNSURE} 0.35, best greet: 'doei dan'" in shown
    assert shown.endswith("targets missed: " + "; ".join(report.failures()))
    summary = report.summary()
    assert summary["examples"] == {"nl": 3, "en": 1} and summary["unsure"] == 1 and summary["misses"] == 2


def test_a_set_with_unknown_intents_or_languages_is_refused() -> None:
    intents = domain_intents()
    assert "ask_question" in intents and "inform" in intents and len(intents) == len(set(intents))
    assert check_predictions([], intents) == ["no intent examples (is it Rasa NLU YAML?)"]
    problems = check_predictions(
        [p("greet", "greet"), p("smalltalk", "greet"), p("greet", "greet", "de", "hallo")], intents
    )
    assert problems[0] == "unknown intent 'smalltalk'"
    assert problems[1].startswith("'hallo' (greet): metadata.language must be one of nl, en, not 'de'")


def test_loket_eval_nlu_refuses_a_missing_set(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["eval", "nlu", "--set", str(tmp_path / "missing.yml")]) == 2
    assert "missing.yml does not exist" in capsys.readouterr().err


# --- the gate: the trained model on the held-out split -------------------------------------------

# scope -> macro F1 last measured (`loket eval nlu`), for a scope below the target. A figure below
# the target is recorded here (a strict expected failure), never met by lowering the target.
BELOW_TARGET: dict[str, float] = {}


@pytest.fixture(scope="module")
def held_out(project_settings: Settings, trained_model: Path) -> NluReport:
    """The whole split parsed once by the model in var/ (one Rasa process)."""
    return evaluate_set(TEST_SET, model=trained_model, settings=project_settings)


@pytest.mark.integration
def test_every_example_is_parsed_with_the_language_the_gateway_sends(held_out: NluReport) -> None:
    assert len(held_out.predictions) == len(split_examples())
    assert held_out.without_language_entity() == []


@pytest.mark.integration
@pytest.mark.parametrize("scope", held_params(["all", *SUPPORTED_LANGUAGES], BELOW_TARGET))
def test_macro_intent_f1_on_the_held_out_split_reaches_the_target(held_out: NluReport, scope: str) -> None:
    """Met: passes (an xfail mark left on it fails as XPASS: remove it). Missed: MissesTarget, the
    only failure its xfail accepts, and only while the figure is the recorded one."""
    figure = held_out.macro_f1[scope]
    hold(
        f"macro F1 {scope}", figure, target=TARGET_MACRO_F1, met=figure >= TARGET_MACRO_F1,
        recorded=BELOW_TARGET.get(scope), details=held_out.format(show_misses=True),
    )  # fmt: skip


@pytest.mark.integration
def test_few_ordinary_messages_of_the_held_out_split_are_read_as_a_crisis(held_out: NluReport) -> None:
    false = [
        f"[{p.language}] {p.intent} -> crisis {p.confidence or 0:.2f}: {p.text!r}" for p in held_out.false_crises()
    ]
    assert held_out.false_crisis_rate() <= TARGET_FALSE_CRISIS_RATE, "\n".join(false)


def test_an_unsure_crisis_reading_counts_as_a_crisis_and_is_no_intent_of_the_split() -> None:
    """`crisis_unsure` (bot/nlu/unsure_crisis.py) is given by a component, not trained: it has no
    examples to hold out, and outside a form it gets the help lines like `crisis`."""
    row = {"text": "ik vind hem te hoog", "intent": "ask_question", "language": "nl", "predicted": "crisis_unsure",
           "confidence": 0.44, "best": "crisis_unsure", "language_entity": ["nl"]}  # fmt: skip
    assert _prediction(row).predicted == CRISIS
    assert score([_prediction(row)], name="x").false_crises()
    assert "crisis_unsure" not in domain_intents() and CRISIS in domain_intents()
