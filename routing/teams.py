"""The team directory: the one reader of data/routing/teams.yml.

Teams and external organisations (ids as in DESIGN.md), their names, scope, contact details,
expected response time, keywords and example messages, and the hours in which a person can
take over a chat. The api loads it once and hands it to everything that needs team facts.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import time
from pathlib import Path
from typing import Any, Literal
from zoneinfo import ZoneInfo

import yaml

Unit = Literal["days", "hours", "minutes"]
# A day is a working day of 8 hours.
MINUTES_PER: dict[Unit, int] = {"days": 8 * 60, "hours": 60, "minutes": 1}
DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
DEFAULT_TIMEZONE = "Europe/Amsterdam"


@dataclass(frozen=True)
class ResponseTime:
    """How long a team usually takes until a person answers."""

    amount: float
    unit: Unit
    text: dict[str, str] = field(default_factory=dict)  # nl/en description, when teams.yml gives one

    @property
    def minutes(self) -> int:
        return int(self.amount * MINUTES_PER[self.unit])

    @classmethod
    def parse(cls, value: Any, *, team: str = "?") -> ResponseTime | None:
        """teams.yml's `response_time`: {days|hours|minutes: n, text: {nl, en}} or a number of
        hours. None when it states no amount (then the default applies)."""
        if value is None:
            return None
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return cls(float(value), "hours")
        if not isinstance(value, dict):
            raise ValueError(f"teams.yml: response_time of {team} is neither a mapping nor a number: {value!r}")
        units = [unit for unit in MINUTES_PER if unit in value]
        if len(units) > 1:
            raise ValueError(f"teams.yml: response_time of {team} gives more than one unit: {', '.join(units)}")
        text = value.get("text") or {}
        texts = {str(k): str(v) for k, v in text.items()} if isinstance(text, dict) else {"nl": str(text)}
        return cls(float(value[units[0]]), units[0], texts) if units else None


DEFAULT_RESPONSE_TIME = ResponseTime(5, "days")  # five working days, when a team states none


@dataclass(frozen=True)
class Team:
    id: str
    kind: str  # team | external | special
    names: dict[str, str]
    scope: dict[str, str] = field(default_factory=dict)
    contact: dict[str, Any] = field(default_factory=dict)
    opening_hours: dict[str, str] = field(default_factory=dict)
    response_time: ResponseTime | None = None  # None: DEFAULT_RESPONSE_TIME
    referral: dict[str, Any] | None = None
    keywords: tuple[str, ...] = ()
    weak_keywords: tuple[str, ...] = ()
    examples: tuple[tuple[str, str], ...] = ()  # (language, text)

    def name(self, language: str = "nl") -> str:
        return self.names.get(language) or self.names.get("nl") or self.id

    @property
    def expected_response(self) -> ResponseTime:
        return self.response_time or DEFAULT_RESPONSE_TIME

    @property
    def response_minutes(self) -> int:
        return self.expected_response.minutes


def by_language(value: Any) -> tuple[tuple[str, str], ...]:
    """Example messages as {language: [text, ...]} or a plain list (Dutch)."""
    if isinstance(value, dict):
        return tuple((str(lang), str(text)) for lang, texts in value.items() for text in texts or [])
    return tuple(("nl", str(text)) for text in value or [])


def _team(team_id: str, info: dict[str, Any]) -> Team:
    names = info.get("name") or {}
    return Team(
        id=team_id,
        kind=str(info.get("kind", "team")),
        names=names if isinstance(names, dict) else {"nl": str(names)},
        scope=dict(info.get("scope") or {}),
        contact=dict(info.get("contact") or {}),
        opening_hours=dict(info.get("opening_hours") or {}),
        response_time=ResponseTime.parse(info.get("response_time"), team=team_id),
        referral=info.get("referral"),
        keywords=tuple(str(k) for k in info.get("keywords") or []),
        weak_keywords=tuple(str(k) for k in info.get("weak_keywords") or []),
        examples=by_language(info.get("examples")),
    )


def _chat_hours(value: Any) -> dict[int, tuple[time, time]]:
    """{mon: "09:00-17:00", ...} -> weekday (0 = Monday) -> (open, close); days not listed are closed."""
    hours: dict[int, tuple[time, time]] = {}
    for day, span in (value or {}).items():
        start, end = (time.fromisoformat(part.strip()) for part in str(span).split("-"))
        hours[DAYS.index(day)] = (start, end)
    return hours


class TeamDirectory(Mapping[str, Team]):
    """Team id -> Team, in the order of teams.yml, plus the contact centre's chat hours."""

    def __init__(
        self,
        teams: Iterable[Team] = (),
        *,
        timezone: ZoneInfo | None = None,
        chat_hours: Mapping[int, tuple[time, time]] | None = None,
    ) -> None:
        self._teams = {team.id: team for team in teams}
        self.timezone = timezone or ZoneInfo(DEFAULT_TIMEZONE)
        self.chat_hours: dict[int, tuple[time, time]] = dict(chat_hours or {})

    @classmethod
    def parse(cls, data: Mapping[str, Any]) -> TeamDirectory:
        return cls(
            (_team(str(team_id), info or {}) for team_id, info in (data.get("teams") or {}).items()),
            timezone=ZoneInfo(data.get("timezone", DEFAULT_TIMEZONE)),
            chat_hours=_chat_hours(data.get("chat_hours")),
        )

    @classmethod
    def load(cls, path: Path) -> TeamDirectory:
        return cls.parse(yaml.safe_load(path.read_text(encoding="utf-8")) or {})

    def __getitem__(self, team_id: str) -> Team:
        return self._teams[team_id]

    def __iter__(self) -> Iterator[str]:
        return iter(self._teams)

    def __len__(self) -> int:
        return len(self._teams)

    def __repr__(self) -> str:
        return f"TeamDirectory({list(self._teams)})"

    def name(self, team_id: str | None, language: str) -> str:
        """The team's display name; an unknown id is shown as it is."""
        team = self._teams.get(team_id or "")
        return team.name(language) if team else team_id or ""

    def response_time(self, team_id: str | None) -> ResponseTime:
        """The team's expected response time; DEFAULT_RESPONSE_TIME when it states none or is unknown."""
        team = self._teams.get(team_id or "")
        return team.expected_response if team else DEFAULT_RESPONSE_TIME

    def response_minutes(self, team_id: str | None) -> int:
        return self.response_time(team_id).minutes
