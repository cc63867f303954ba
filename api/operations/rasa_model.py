"""Training the Rasa model only when its inputs changed.

The model file is named after a hash of everything that shapes it (config,
domain, training data, the custom NLU components, the Rasa environment lock), so an unchanged project
reuses the model it already has, and switching branches back and forth does
not retrain either.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
from collections.abc import Callable
from pathlib import Path

from api.settings import PROJECT_ROOT, Settings

TRAINING_DATA = ("data/nlu", "data/rules", "data/stories")
# bot/nlu holds the custom NLU components: their code shapes the features the model learns, and
# they embed with the knowledge package's embedder, so that code shapes the features too.
SHARED_EMBEDDING_CODE = ("knowledge/embedding.py", "knowledge/query_vectors.py", "knowledge/openmp.py")
MODEL_INPUTS = (
    "config.yml",
    "domain.yml",
    *TRAINING_DATA,
    "bot/nlu",
    *SHARED_EMBEDDING_CODE,
    "bot/requirements-rasa.lock",
)


def _files(root: Path, relative: str) -> list[Path]:
    path = root / relative
    if path.is_dir():
        return sorted(p for p in path.rglob("*") if p.is_file() and p.suffix in (".yml", ".yaml", ".py"))
    return [path] if path.exists() else []


def model_fingerprint(root: Path = PROJECT_ROOT) -> str:
    digest = hashlib.sha256()
    for relative in MODEL_INPUTS:
        for file in _files(root, relative):
            digest.update(file.relative_to(root).as_posix().encode())
            digest.update(b"\0")
            digest.update(file.read_bytes())
            digest.update(b"\0")
    return digest.hexdigest()[:16]


def model_path(settings: Settings, root: Path = PROJECT_ROOT) -> Path:
    return settings.models_dir / f"loket-{model_fingerprint(root)}.tar.gz"


def rasa_env(settings: Settings) -> dict[str, str]:
    """Environment for Rasa subprocesses: quiet TensorFlow, no telemetry."""
    env = dict(os.environ)
    env.update(
        {
            "TF_CPP_MIN_LOG_LEVEL": "2",
            "SQLALCHEMY_SILENCE_UBER_WARNING": "1",
            "RASA_TELEMETRY_ENABLED": "false",
            "PYTHONWARNINGS": "ignore",
        }
    )
    return env


def ensure_model(settings: Settings, *, echo: Callable[[str], None] = print, root: Path = PROJECT_ROOT) -> Path:
    """The trained model for the current inputs, training it first when missing."""
    target = model_path(settings, root)
    if target.exists():
        echo(f"Rasa model is up to date ({target.name}).")
        return target
    if not settings.rasa_executable.exists():
        raise RuntimeError(f"Rasa is not installed at {settings.rasa_venv}: run `make rasa-env` (or `make run`).")
    echo("Training the Rasa model (the inputs changed; this takes a few minutes) ...")
    settings.models_dir.mkdir(parents=True, exist_ok=True)
    command = [
        str(settings.rasa_executable), "train",
        "--config", "config.yml", "--domain", "domain.yml",
        "--data", *TRAINING_DATA,
        "--out", str(settings.models_dir),
        "--fixed-model-name", target.name.removesuffix(".tar.gz"),
    ]  # fmt: skip
    completed = subprocess.run(command, cwd=root, env=rasa_env(settings), check=False)
    if completed.returncode != 0 or not target.exists():
        raise RuntimeError(f"Rasa training failed (exit code {completed.returncode}).")
    echo(f"Trained {target.name}.")
    return target
