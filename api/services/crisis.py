"""Crisis signals in a citizen's message, checked by the gateway before the NLU.

A match makes the gateway send Rasa the `/crisis` intent itself, so the help
lines are shown deterministically, whatever the model would have predicted.
The phrases are data (data/crisis/signals.yml), not code.
"""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path

import yaml

from api.settings import PROJECT_ROOT

SIGNALS_PATH = PROJECT_ROOT / "data" / "crisis" / "signals.yml"
CRISIS_INTENT = "/crisis"


@lru_cache(maxsize=4)
def _patterns(path: Path = SIGNALS_PATH) -> tuple[re.Pattern[str], ...]:
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    return tuple(
        re.compile(pattern, re.IGNORECASE) for phrases in data.values() for pattern in (phrases or [])
    )


def crisis_signal(text: str, *, path: Path = SIGNALS_PATH) -> str | None:
    """The phrase in `text` that signals a crisis, or None."""
    lowered = " ".join(text.lower().split())
    for pattern in _patterns(path):
        match = pattern.search(lowered)
        if match:
            return match.group(0)
    return None
