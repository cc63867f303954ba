"""The Rasa model is named after its inputs and trained only when that name is missing.
Training runs a stand-in `rasa` executable (the edge: the real one lives in another environment)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from api.operations.rasa_model import TRAINING_DATA, ensure_model, model_fingerprint, model_path, rasa_env
from api.settings import PROJECT_ROOT, Settings


def project(root: Path) -> Path:
    """The model's inputs, copied from the project, in a folder of the test's own."""
    root.mkdir(parents=True, exist_ok=True)
    for name in ("config.yml", "domain.yml"):
        (root / name).write_text((PROJECT_ROOT / name).read_text())
    (root / "data" / "nlu").mkdir(parents=True)
    (root / "data" / "nlu" / "a.yml").write_text("nlu: []\n")
    return root


def fake_rasa(venv: Path, script: str) -> None:
    """A `rasa` that records how it was called and then runs `script` (bash)."""
    executable = venv / "bin" / "rasa"
    executable.parent.mkdir(parents=True)
    executable.write_text(
        "#!/bin/bash\n"
        'printf "%s\\n" "$@" > "$(dirname "$0")/args"\n'
        'pwd > "$(dirname "$0")/cwd"\n'
        'echo "$RASA_TELEMETRY_ENABLED" > "$(dirname "$0")/telemetry"\n' + script
    )
    executable.chmod(0o755)


# The stand-in's training: write the file Rasa would write (--out DIR --fixed-model-name NAME).
WRITE_MODEL = """
while [ $# -gt 0 ]; do
  case "$1" in --out) out="$2"; shift;; --fixed-model-name) name="$2"; shift;; esac; shift
done
touch "$out/$name.tar.gz"
"""


def test_model_fingerprint_changes_with_training_data(tmp_path: Path) -> None:
    root = project(tmp_path)
    before = model_fingerprint(root)
    assert model_fingerprint(root) == before
    (root / "data" / "nlu" / "a.yml").write_text("nlu: [{intent: greet, examples: '- hoi'}]\n")
    assert model_fingerprint(root) != before


def test_model_fingerprint_ignores_files_that_shape_no_model(tmp_path: Path) -> None:
    root = project(tmp_path)
    before = model_fingerprint(root)
    (root / "data" / "nlu" / "README.md").write_text("notes\n")
    (root / "data" / "policies").mkdir()
    (root / "data" / "policies" / "x.yml").write_text("not a model input\n")
    assert model_fingerprint(root) == before


def test_model_fingerprint_changes_with_a_renamed_file(tmp_path: Path) -> None:
    root = project(tmp_path)
    before = model_fingerprint(root)
    (root / "data" / "nlu" / "a.yml").rename(root / "data" / "nlu" / "b.yml")
    assert model_fingerprint(root) != before


def test_model_fingerprint_changes_with_the_custom_nlu_components(tmp_path: Path) -> None:
    (tmp_path / "config.yml").write_text((PROJECT_ROOT / "config.yml").read_text())
    component = tmp_path / "bot" / "nlu" / "featurizer.py"
    component.parent.mkdir(parents=True)
    component.write_text("DIM = 384\n")
    before = model_fingerprint(tmp_path)
    component.write_text("DIM = 768\n")
    assert model_fingerprint(tmp_path) != before


def test_model_fingerprint_changes_with_the_shared_embedding_code(tmp_path: Path) -> None:
    """bot/nlu embeds with knowledge/embedding.py: changing it must retrain the model."""
    (tmp_path / "config.yml").write_text((PROJECT_ROOT / "config.yml").read_text())
    embedding = tmp_path / "knowledge" / "embedding.py"
    embedding.parent.mkdir(parents=True)
    embedding.write_text("PREFIX = 'query: '\n")
    before = model_fingerprint(tmp_path)
    embedding.write_text("PREFIX = ''\n")
    assert model_fingerprint(tmp_path) != before


def test_model_fingerprint_changes_with_the_rasa_environment_lock(tmp_path: Path) -> None:
    root = project(tmp_path)
    lock = root / "bot" / "requirements-rasa.lock"
    lock.parent.mkdir()
    lock.write_text("rasa==3.6.20\n")
    before = model_fingerprint(root)
    lock.write_text("rasa==3.6.21\n")
    assert model_fingerprint(root) != before


def test_the_model_file_is_named_after_the_fingerprint(tmp_path: Path) -> None:
    root = project(tmp_path / "project")
    settings = Settings(data_dir=tmp_path / "var")
    assert model_path(settings, root) == tmp_path / "var" / "models" / f"loket-{model_fingerprint(root)}.tar.gz"


def test_an_up_to_date_model_is_reused_without_rasa(tmp_path: Path) -> None:
    root = project(tmp_path / "project")
    settings = Settings(data_dir=tmp_path / "var", rasa_venv=tmp_path / "no-rasa-here")
    existing = model_path(settings, root)
    existing.parent.mkdir(parents=True)
    existing.touch()
    lines: list[str] = []
    assert ensure_model(settings, echo=lines.append, root=root) == existing
    assert lines == [f"Rasa model is up to date ({existing.name})."]


def test_without_rasa_installed_the_error_says_how_to_install_it(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path / "var", rasa_venv=tmp_path / "no-rasa-here")
    with pytest.raises(RuntimeError, match="make rasa-env"):
        ensure_model(settings, echo=lambda _line: None, root=project(tmp_path / "project"))


def test_a_missing_model_is_trained_under_its_name(tmp_path: Path) -> None:
    root = project(tmp_path / "project")
    venv = tmp_path / "rasa-env"
    fake_rasa(venv, WRITE_MODEL)
    settings = Settings(data_dir=tmp_path / "var", rasa_venv=venv)
    trained = ensure_model(settings, echo=lambda _line: None, root=root)
    assert trained == model_path(settings, root) and trained.is_file()
    args = (venv / "bin" / "args").read_text().split("\n")
    assert args[:5] == ["train", "--config", "config.yml", "--domain", "domain.yml"]
    assert args[args.index("--data") + 1 : args.index("--data") + 1 + len(TRAINING_DATA)] == list(TRAINING_DATA)
    assert args[args.index("--fixed-model-name") + 1] == trained.name.removesuffix(".tar.gz")
    assert Path((venv / "bin" / "cwd").read_text().strip()) == root
    assert (venv / "bin" / "telemetry").read_text().strip() == "false"


@pytest.mark.parametrize(("script", "code"), [("exit 1", 1), ("exit 0", 0)])
def test_failed_training_is_an_error(tmp_path: Path, script: str, code: int) -> None:
    """A failing exit code, or a zero one without the model file, both fail."""
    venv = tmp_path / "rasa-env"
    fake_rasa(venv, script)
    settings = Settings(data_dir=tmp_path / "var", rasa_venv=venv)
    with pytest.raises(RuntimeError, match=f"exit code {code}"):
        ensure_model(settings, echo=lambda _line: None, root=project(tmp_path / "project"))


def test_rasas_environment_is_quiet_and_keeps_the_callers(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("LOKET_SOMETHING", "kept")
    env = rasa_env(Settings(data_dir=tmp_path))
    assert env["RASA_TELEMETRY_ENABLED"] == "false" and env["TF_CPP_MIN_LOG_LEVEL"] == "2"
    assert env["LOKET_SOMETHING"] == "kept" and env["PATH"] == os.environ["PATH"]
