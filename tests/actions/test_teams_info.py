"""Team names and expected response times: teams.yml first, the dialogue config's fallback after."""

from __future__ import annotations

import pytest

from actions import dialogue_config as config_module
from actions.teams_info import response_time, team_name


@pytest.fixture
def teams(monkeypatch: pytest.MonkeyPatch):
    def use(data: dict) -> None:
        monkeypatch.setattr(config_module, "teams_data", lambda: data)
        monkeypatch.setattr("actions.teams_info.teams_data", lambda: data)

    return use


def test_response_time_from_teams_yml_wins(teams) -> None:
    teams({"afval": {"name": {"nl": "Afval", "en": "Waste"}, "response_time": {"days": 2}}})
    assert response_time("afval", "nl") == "2 werkdagen"
    assert response_time("afval", "en") == "2 working days"
    assert team_name("afval", "en") == "Waste"


def test_a_number_means_hours(teams) -> None:
    teams({"crisis": {"response_time": 1}})
    assert response_time("crisis", "en") == "1 hour"


def test_fallback_from_the_dialogue_config(teams) -> None:
    teams({})
    assert response_time("openbare_ruimte", "nl") == "3 werkdagen"
    assert response_time("unknown", "en") == "5 working days"
    assert team_name("unknown", "nl") == "unknown"


def test_the_shipped_config_parses() -> None:
    config = config_module.dialogue_config()
    assert config.forms["report"].default_team == "openbare_ruimte"
    assert config.forms["complaint"].confirm_slot == "complaint_confirmed"
