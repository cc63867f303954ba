"""When a person can take over a chat: the team directory's `chat_hours` (data/routing/teams.yml)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time, timedelta
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

if TYPE_CHECKING:
    from routing.teams import TeamDirectory


@dataclass(frozen=True)
class OfficeHours:
    timezone: ZoneInfo
    hours: dict[int, tuple[time, time]]  # weekday (0 = Monday) -> (open, close)

    @classmethod
    def from_teams(cls, teams: TeamDirectory) -> OfficeHours:
        return cls(timezone=teams.timezone, hours=dict(teams.chat_hours))

    def is_open(self, moment: datetime) -> bool:
        local = moment.astimezone(self.timezone)
        span = self.hours.get(local.weekday())
        return span is not None and span[0] <= local.time() < span[1]

    def next_opening(self, moment: datetime) -> datetime | None:
        """The next moment a person is available (None if no hours are configured)."""
        local = moment.astimezone(self.timezone)
        for offset in range(8):
            day = local.date() + timedelta(days=offset)
            span = self.hours.get(day.weekday())
            if span is None:
                continue
            opening = datetime.combine(day, span[0], tzinfo=self.timezone)
            if opening > local:
                return opening
        return None
