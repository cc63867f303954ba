"""Crisis and threat signals in a citizen's message, checked by the gateway before the NLU.

A crisis match makes the gateway send Rasa the `/crisis` intent itself, so the help lines are
shown deterministically, whatever the model would have predicted; a threat match sends
`/threat` (a calm answer, no form, a flagged escalation). The phrases are data
(data/crisis/signals.yml, data/crisis/threats.yml), not code.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import yaml

from api.settings import Settings

# The shipped phrase files (the default of settings.crisis_dir); the app reads the
# configured ones through SafetySignals.
SIGNALS_PATH = Settings.model_fields["crisis_dir"].default / "signals.yml"
THREATS_PATH = Settings.model_fields["crisis_dir"].default / "threats.yml"
CRISIS_INTENT = "/crisis"
THREAT_INTENT = "/threat"


@lru_cache(maxsize=4)
def _patterns(path: Path = SIGNALS_PATH) -> tuple[re.Pattern[str], ...]:
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    return tuple(re.compile(pattern, re.IGNORECASE) for phrases in data.values() for pattern in (phrases or []))


def crisis_signal(text: str, *, path: Path = SIGNALS_PATH) -> str | None:
    """The phrase in `text` that signals a crisis, or None."""
    return _first_match(text, path)


def threat_signal(text: str, *, path: Path = THREATS_PATH) -> str | None:
    """The phrase in `text` that threatens staff or buildings, or None."""
    return _first_match(text, path)


def _first_match(text: str, path: Path) -> str | None:
    lowered = " ".join(text.lower().split())
    for pattern in _patterns(path):
        match = pattern.search(lowered)
        if match:
            return match.group(0)
    return None


@dataclass(frozen=True)
class SafetySignals:
    """The crisis and threat checks on the configured phrase files (settings.crisis_dir)."""

    signals_path: Path = SIGNALS_PATH
    threats_path: Path = THREATS_PATH

    @classmethod
    def from_dir(cls, crisis_dir: Path) -> SafetySignals:
        return cls(signals_path=crisis_dir / "signals.yml", threats_path=crisis_dir / "threats.yml")

    def crisis(self, text: str) -> str | None:
        return crisis_signal(text, path=self.signals_path)

    def threat(self, text: str) -> str | None:
        return threat_signal(text, path=self.threats_path)
