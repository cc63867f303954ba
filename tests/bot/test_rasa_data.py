"""Rasa's own checks on the training data and the test conversations, run with the real Rasa."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from api.operations.rasa_model import TRAINING_DATA, rasa_env
from api.settings import PROJECT_ROOT, Settings

pytestmark = pytest.mark.integration


def rasa(settings: Settings, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(settings.rasa_executable), *args],
        cwd=PROJECT_ROOT, env=rasa_env(settings), capture_output=True, text=True, timeout=900,
    )  # fmt: skip


def test_rasa_data_validate_passes() -> None:
    result = rasa(
        Settings(), "data", "validate", "--domain", "domain.yml", "--config", "config.yml",
        "--data", *TRAINING_DATA,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-4000:]


def test_conversation_stories_pass(trained_model: Path, tmp_path: Path) -> None:
    """Every test story in tests/conversations, NLU and dialogue, without a prediction error."""
    result = rasa(
        Settings(), "test", "core", "--model", str(trained_model), "--stories", "tests/conversations",
        "--out", str(tmp_path / "results"), "--fail-on-prediction-errors", "--no-plot",
    )  # fmt: skip
    failed = tmp_path / "results" / "failed_test_stories.yml"
    report = failed.read_text() if failed.exists() else ""
    assert result.returncode == 0, report + result.stdout[-3000:] + result.stderr[-3000:]
