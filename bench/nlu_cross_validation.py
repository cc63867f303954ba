"""NLU 5-fold cross-validation per language, with Rasa's own `rasa test nlu --cross-validation`.

    .venv/bin/python bench/nlu_cross_validation.py [--folds 5] [--languages nl en]

Runs Rasa's cross-validation on data/nlu/<language> with the project's config.yml (the
whole NLU pipeline, FallbackClassifier included: a message it is unsure about counts as
wrong) and prints the macro-averaged intent F1 of the test folds, per language and per
intent. Always passes explicit paths (a bare `rasa test` crashes in this Rasa).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from api.operations.rasa_model import rasa_env  # noqa: E402
from api.settings import Settings  # noqa: E402


def cross_validate(language: str, folds: int, out: Path) -> dict:
    settings = Settings()
    command = [
        str(settings.rasa_executable), "test", "nlu", "--nlu", f"data/nlu/{language}",
        "--config", "config.yml", "--cross-validation", "--folds", str(folds),
        "--out", str(out), "--no-plot",
    ]  # fmt: skip
    started = time.monotonic()
    result = subprocess.run(command, cwd=ROOT, env=rasa_env(settings), capture_output=True, text=True)
    if result.returncode != 0:
        raise SystemExit(f"rasa test nlu failed for {language}:\n{result.stderr[-3000:]}")
    report = json.loads((out / "intent_report.json").read_text())
    return {"report": report, "seconds": time.monotonic() - started}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--languages", nargs="+", default=["nl", "en"])
    args = parser.parse_args()
    for language in args.languages:
        with tempfile.TemporaryDirectory() as tmp:
            outcome = cross_validate(language, args.folds, Path(tmp))
        report = outcome["report"]
        macro = report["macro avg"]
        print(
            f"{language}: macro intent F1 {macro['f1-score']:.3f} (precision {macro['precision']:.3f}, "
            f"recall {macro['recall']:.3f}), accuracy {report['accuracy']:.3f}, "
            f"{int(macro['support'])} examples, {args.folds} folds, {outcome['seconds']:.0f} s"
        )
        for intent, scores in sorted(report.items()):
            if isinstance(scores, dict) and intent not in ("macro avg", "weighted avg", "micro avg"):
                print(f"    {intent:16s} F1 {scores['f1-score']:.3f}  (n={int(scores['support'])})")


if __name__ == "__main__":
    main()
