"""Every response exists in Dutch (default) and English; every intent is trained in both languages."""

from __future__ import annotations

from pathlib import Path

import yaml

from api.operations.nlu_eval import DERIVED_INTENTS
from api.settings import PROJECT_ROOT

DOMAIN = yaml.safe_load((PROJECT_ROOT / "domain.yml").read_text(encoding="utf-8"))
ENGLISH = [{"type": "slot", "name": "language", "value": "en"}]


def test_every_response_has_a_dutch_default_and_an_english_variation() -> None:
    for name, variations in DOMAIN["responses"].items():
        defaults = [v for v in variations if not v.get("condition")]
        english = [v for v in variations if v.get("condition") == ENGLISH]
        assert len(defaults) == 1 and len(english) == 1, name


def _intents(folder: Path) -> set[str]:
    found: set[str] = set()
    for path in folder.glob("*.yml"):
        for block in yaml.safe_load(path.read_text(encoding="utf-8")).get("nlu") or []:
            if "intent" in block:
                found.add(block["intent"])
    return found


def test_every_intent_is_trained_in_both_languages() -> None:
    # Not the intents a pipeline component gives instead of a trained one (crisis_unsure).
    intents = set(DOMAIN["intents"]) - set(DERIVED_INTENTS)
    for language in ("nl", "en"):
        assert _intents(PROJECT_ROOT / "data" / "nlu" / language) == intents, language
