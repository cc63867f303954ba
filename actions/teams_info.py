"""What the citizen is told about a team: its name and how long it usually takes."""

from __future__ import annotations

from typing import TYPE_CHECKING

from actions.dialogue_config import wording

if TYPE_CHECKING:
    from routing.teams import ResponseTime, TeamDirectory


def team_name(teams: TeamDirectory, team: str | None, language: str) -> str:
    return teams.name(team, language)


def describe(expected: ResponseTime, language: str) -> str:
    """The amount with its unit: "2 werkdagen", "1 hour", ..."""
    names = wording(language).units[expected.unit]
    return f"{expected.amount:g} {names[0 if expected.amount == 1 else 1]}"


def response_time(teams: TeamDirectory, team: str | None, language: str) -> str:
    """How long `team` usually takes (teams.yml; its default when it states none)."""
    return describe(teams.response_time(team), language)
