"""Team names and expected response times, as the citizen is told them, from the team directory."""

from __future__ import annotations

from pathlib import Path

import pytest

from actions.teams_info import describe, response_time, team_name
from routing.config import ROUTING_DIR
from routing.teams import ResponseTime, TeamDirectory, Unit


def directory(tmp_path: Path, teams: str) -> TeamDirectory:
    path = tmp_path / "teams.yml"
    path.write_text(f"teams:\n{teams}", encoding="utf-8")
    return TeamDirectory.load(path)


def test_response_time_from_teams_yml(tmp_path: Path) -> None:
    teams = directory(tmp_path, "  afval: {name: {nl: Afval, en: Waste}, response_time: {days: 2}}\n")
    assert response_time(teams, "afval", "nl") == "2 werkdagen"
    assert response_time(teams, "afval", "en") == "2 working days"
    assert team_name(teams, "afval", "en") == "Waste"


def test_a_number_means_hours(tmp_path: Path) -> None:
    teams = directory(tmp_path, "  crisis: {response_time: 1}\n")
    assert response_time(teams, "crisis", "en") == "1 hour"


def test_the_default_when_a_team_states_none(tmp_path: Path) -> None:
    teams = directory(tmp_path, "  afval: {name: Afval}\n")
    assert response_time(teams, "afval", "nl") == "5 werkdagen"
    assert response_time(teams, "unknown", "en") == "5 working days"
    assert team_name(teams, "unknown", "nl") == "unknown"


def test_the_shipped_teams() -> None:
    teams = TeamDirectory.load(ROUTING_DIR / "teams.yml")
    assert (team_name(teams, "openbare_ruimte", "nl"), response_time(teams, "openbare_ruimte", "nl")) == (
        "Openbare ruimte", "3 werkdagen"
    )  # fmt: skip
    assert response_time(teams, "crisis", "en") == "15 minutes"
    assert response_time(teams, "klachten_bezwaar", "en") == "5 working days"


@pytest.mark.parametrize(
    "amount, unit, language, expected",
    [
        (1, "days", "nl", "1 werkdag"),
        (1, "days", "en", "1 working day"),
        (2, "hours", "nl", "2 uur"),
        (1, "minutes", "nl", "1 minuut"),
        (30, "minutes", "en", "30 minutes"),
        (1.5, "hours", "en", "1.5 hours"),
        (0, "days", "en", "0 working days"),
    ],
)
def test_describe_names_the_amount_with_its_unit(amount: float, unit: Unit, language: str, expected: str) -> None:
    assert describe(ResponseTime(amount, unit), language) == expected


def test_describe_in_a_language_without_wording_is_an_error() -> None:
    with pytest.raises(KeyError):
        describe(ResponseTime(2, "days"), "de")
