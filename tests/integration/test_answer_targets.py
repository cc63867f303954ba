"""The answers gate: the held-out test split of the answers set, through the real chat path
(api + Rasa + actions + answer engine, as `loket eval answers` runs it), at the targets.

Figures that do not reach their target yet are strict expected failures, with the figure last
measured: the gate then fails as soon as one reaches its target (remove the mark) and keeps
failing for every figure that does not. The misses and the figures: docs/answers.md.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from api.operations.answer_eval import TARGETS, TEST_SET, AnswerReport, load_cases, meets_target, run_answer_eval
from api.settings import Settings

# metric -> the test-split figure last measured (`loket eval answers`), for the ones below target.
BELOW_TARGET = {
    "right_page": 0.684,
    "right_section": 0.475,
    "covered_refused": 0.232,
    "uncovered_declined": 0.800,
}


@pytest.fixture(scope="module")
def report(project_settings: Settings, trained_model: Path, built_index: Path) -> AnswerReport:
    result = run_answer_eval(load_cases(TEST_SET), settings=project_settings, name=TEST_SET.name, echo=lambda _: None)
    assert result.errors == 0, "turns failed in the chat path; see the stack's logs"
    return result


@pytest.mark.parametrize(
    "metric",
    [
        pytest.param(
            metric,
            marks=[pytest.mark.xfail(strict=True, reason=f"below target: {BELOW_TARGET[metric]} last measured")]
            if metric in BELOW_TARGET
            else [],
        )
        for metric in TARGETS
    ],
)
def test_the_test_split_reaches_the_target(report: AnswerReport, metric: str) -> None:
    figure = report.figures["all"][metric]
    assert figure.n > 0
    assert meets_target(metric, figure.rate or 0.0), f"{metric} {figure.rate:.3f} ({figure.hits}/{figure.n})"
