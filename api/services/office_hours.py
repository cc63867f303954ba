"""When a person can take over a chat, from data/routing/teams.yml (`chat_hours`)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import yaml

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


@dataclass(frozen=True)
class OfficeHours:
    timezone: ZoneInfo
    hours: dict[int, tuple[time, time]]  # weekday (0 = Monday) -> (open, close)

    @classmethod
    def from_yaml(cls, path: Path) -> OfficeHours:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        hours: dict[int, tuple[time, time]] = {}
        for day, span in (data.get("chat_hours") or {}).items():
            start, end = (time.fromisoformat(part.strip()) for part in str(span).split("-"))
            hours[DAYS.index(day)] = (start, end)
        return cls(timezone=ZoneInfo(data.get("timezone", "Europe/Amsterdam")), hours=hours)

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
