"""The team directory: the one reading of data/routing/teams.yml."""

from __future__ import annotations

from datetime import time
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from api.services.office_hours import OfficeHours
from routing.config import ROUTING_DIR, load_routing_config
from routing.teams import DEFAULT_RESPONSE_TIME, ResponseTime, TeamDirectory
from tests.routing import DESIGN_IDS

TEAMS = ROUTING_DIR / "teams.yml"


@pytest.fixture(scope="module")
def teams() -> TeamDirectory:
    return TeamDirectory.load(TEAMS)


def write(tmp_path: Path, text: str) -> TeamDirectory:
    path = tmp_path / "teams.yml"
    path.write_text(text, encoding="utf-8")
    return TeamDirectory.load(path)


def test_teams_yml_has_every_design_id_with_its_facts(teams: TeamDirectory) -> None:
    assert list(teams) == DESIGN_IDS
    for team in teams.values():
        assert team.names.get("nl") and team.names.get("en"), team.id
        assert team.scope.get("nl") and team.scope.get("en"), team.id
        assert team.contact and team.opening_hours, team.id
        assert team.response_time and team.response_time.text.get("nl") and team.response_time.text.get("en"), team.id
        languages = {lang for lang, _ in team.examples}
        assert languages == {"nl", "en"} and len(team.examples) >= 10, team.id
        if team.kind == "external":
            assert team.referral and team.referral["website"].startswith("https://"), team.id
    assert teams["belastingdienst"].referral["phone"] == "0800-0543"  # type: ignore[index]
    assert teams["crisis"].referral["phone"] == "0800-0113"  # type: ignore[index]


def test_the_router_reads_the_same_directory(teams: TeamDirectory) -> None:
    assert list(load_routing_config("hashing").teams) == list(teams)
    assert load_routing_config("hashing", teams=teams).teams is teams


def test_response_times_are_parsed_once(teams: TeamDirectory) -> None:
    burgerzaken = teams["burgerzaken"].response_time
    assert burgerzaken == ResponseTime(2, "days", {"nl": "binnen 2 werkdagen", "en": "within 2 working days"})
    assert teams.response_minutes("burgerzaken") == 2 * 8 * 60  # working days of 8 hours
    assert teams.response_time("crisis") == ResponseTime(15, "minutes", teams["crisis"].expected_response.text)
    assert teams.response_minutes("crisis") == 15
    assert teams.response_minutes("belastingdienst") == 0  # referred at once


def test_the_default_applies_when_a_team_states_none(tmp_path: Path) -> None:
    directory = write(
        tmp_path,
        "teams:\n"
        "  afval: {kind: team, name: {nl: Afval, en: Waste}}\n"
        "  wonen: {name: Wonen, response_time: {text: {nl: snel}}}\n"
        "  crisis: {response_time: 1}\n",
    )
    assert ResponseTime(5, "days") == DEFAULT_RESPONSE_TIME and DEFAULT_RESPONSE_TIME.minutes == 5 * 8 * 60
    assert directory["afval"].response_time is None
    assert directory.response_time("afval") == DEFAULT_RESPONSE_TIME
    assert directory.response_time("wonen") == DEFAULT_RESPONSE_TIME  # a text but no amount
    assert directory.response_minutes("unknown") == 5 * 8 * 60
    assert directory.response_minutes(None) == 5 * 8 * 60
    assert directory.response_time("crisis") == ResponseTime(1, "hours")  # a number means hours
    assert directory.name("afval", "en") == "Waste" and directory.name("wonen", "en") == "Wonen"
    assert directory.name("unknown", "nl") == "unknown" and directory.name(None, "nl") == ""
    assert directory["afval"].kind == "team" and directory["wonen"].kind == "team"


def test_an_ambiguous_response_time_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="more than one unit"):
        write(tmp_path, "teams:\n  afval: {response_time: {days: 1, hours: 2}}\n")


def test_office_hours_come_from_the_directory(teams: TeamDirectory) -> None:
    hours = OfficeHours.from_teams(teams)
    nine, five = time(9), time(17)
    assert hours == OfficeHours(
        timezone=ZoneInfo("Europe/Amsterdam"),
        hours={0: (nine, five), 1: (nine, five), 2: (nine, five), 3: (nine, time(20)), 4: (nine, five)},
    )


def test_chat_hours_default_to_closed_in_amsterdam(tmp_path: Path) -> None:
    directory = write(tmp_path, "chat_hours:\n  sat: '10:00-12:00'\n")
    assert len(directory) == 0
    assert OfficeHours.from_teams(directory) == OfficeHours(
        timezone=ZoneInfo("Europe/Amsterdam"), hours={5: (time(10), time(12))}
    )
