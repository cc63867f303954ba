"""Team facts the console needs (names, expected response time) from data/routing/teams.yml."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

DEFAULT_RESPONSE_MINUTES = 5 * 8 * 60  # five working days, when a team states none


@dataclass(frozen=True)
class Team:
    id: str
    kind: str
    names: dict[str, str]
    response_minutes: int

    def name(self, language: str) -> str:
        return self.names.get(language) or self.names.get("nl") or self.id


def _response_minutes(value: Any) -> int:
    """`response_time` as {minutes|hours|days: n, ...} or a number of hours."""
    if isinstance(value, (int, float)):
        return int(value * 60)
    if isinstance(value, dict):
        for unit, factor in (("minutes", 1), ("hours", 60), ("days", 8 * 60)):  # working days
            if unit in value:
                return int(float(value[unit]) * factor)
    return DEFAULT_RESPONSE_MINUTES


def load_teams(path: Path) -> dict[str, Team]:
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    teams: dict[str, Team] = {}
    for team_id, info in (data.get("teams") or {}).items():
        info = info or {}
        names = info.get("name") or {}
        teams[team_id] = Team(
            id=team_id,
            kind=str(info.get("kind", "team")),
            names=names if isinstance(names, dict) else {"nl": str(names)},
            response_minutes=_response_minutes(info.get("response_time")),
        )
    return teams
