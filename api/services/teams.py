"""Team facts the console needs (names, expected response time) from data/routing/teams.yml."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

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
    """The console's view of the teams, from the routing service's reading of teams.yml."""
    from api.services.routing_config import load_teams as load_profiles

    return {
        team_id: Team(
            id=team_id,
            kind=profile.kind,
            names=profile.names,
            response_minutes=_response_minutes(profile.response_time or None),
        )
        for team_id, profile in load_profiles(path).items()
    }
