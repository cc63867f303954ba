from __future__ import annotations

from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from api.services.office_hours import OfficeHours
from api.settings import PROJECT_ROOT
from routing.teams import TeamDirectory

AMS = ZoneInfo("Europe/Amsterdam")
HOURS = OfficeHours.from_teams(TeamDirectory.load(PROJECT_ROOT / "data" / "routing" / "teams.yml"))


def test_open_on_a_weekday_morning_and_thursday_evening() -> None:
    assert HOURS.is_open(datetime(2026, 11, 23, 10, 0, tzinfo=AMS))  # Monday
    assert HOURS.is_open(datetime(2026, 11, 26, 19, 30, tzinfo=AMS))  # Thursday late opening
    assert not HOURS.is_open(datetime(2026, 11, 23, 19, 30, tzinfo=AMS))


def test_next_opening_after_friday_evening_is_monday_morning() -> None:
    friday_evening = datetime(2026, 11, 27, 18, 0, tzinfo=AMS)
    assert HOURS.next_opening(friday_evening) == datetime(2026, 11, 30, 9, 0, tzinfo=AMS)


def test_hours_come_from_the_yaml(tmp_path: Path) -> None:
    config = tmp_path / "teams.yml"
    config.write_text("timezone: Europe/Amsterdam\nchat_hours:\n  sat: '10:00-12:00'\n")
    hours = OfficeHours.from_teams(TeamDirectory.load(config))
    assert hours.is_open(datetime(2026, 11, 28, 11, 0, tzinfo=AMS))
    assert not hours.is_open(datetime(2026, 11, 23, 11, 0, tzinfo=AMS))
