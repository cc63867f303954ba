"""The municipality's contact route as one sentence: phone with opening hours, address, website.

The citizen gets it when a part of the chat is switched off (api/services/chat_switches.py). The facts
are those of the general contact team in data/routing/teams.yml (`klantcontact`), the wording that of
the gateway's catalogue (data/handoff_messages.yml: `contact_route`, `opening_hours`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import time
from pathlib import Path
from typing import Any

import yaml

from routing.teams import DAYS, TeamDirectory

CONTACT_TEAM = "klantcontact"
CONTACT_FIELDS = ("phone", "address", "website")


def _span(value: str) -> tuple[time, time]:
    """teams.yml's "09:00-17:00"."""
    opens, closes = (time.fromisoformat(part.strip()) for part in str(value).split("-"))
    return opens, closes


@dataclass(frozen=True)
class HoursWording:
    """How one language writes opening hours: a stretch of days, a day's hours, a time."""

    days: str  # "{first} t/m {last}"
    hours: str  # "{days} {open}-{close} uur"
    time: str  # strftime format: "%H.%M"


@dataclass(frozen=True)
class ContactRoute:
    contact: dict[str, str]  # phone, address, website
    opening_hours: tuple[tuple[int, time, time], ...]  # (weekday, open, close), Monday first
    sentences: dict[str, str]  # language -> "Bel {phone} ({hours}), ..."
    wording: dict[str, HoursWording]
    weekdays: dict[str, Sequence[str]]  # language -> day names, Monday first

    @classmethod
    def of(
        cls,
        teams: TeamDirectory,
        *,
        catalogue: Mapping[str, Any],
        weekdays: Mapping[str, Sequence[str]],
        team: str = CONTACT_TEAM,
    ) -> ContactRoute:
        """ValueError when the team lacks a phone, address or website, or the catalogue a language."""
        if team not in teams:
            raise ValueError(f"teams.yml has no team {team!r} for the contact route")
        details = teams[team]
        missing = [key for key in CONTACT_FIELDS if not details.contact.get(key)]
        if missing:
            raise ValueError(f"teams.yml: {team} has no contact {', '.join(missing)} for the contact route")
        hours = sorted((DAYS.index(day), *_span(span)) for day, span in details.opening_hours.items())
        sentences = {str(lang): str(text) for lang, text in catalogue["contact_route"].items()}
        wording = {str(lang): HoursWording(**spec) for lang, spec in catalogue["opening_hours"].items()}
        if set(sentences) != set(wording) or not set(sentences) <= set(weekdays):
            raise ValueError("contact_route, opening_hours and the day names must cover the same languages")
        return cls(
            contact={key: str(details.contact[key]) for key in CONTACT_FIELDS},
            opening_hours=tuple(hours),
            sentences=sentences,
            wording=wording,
            weekdays={lang: tuple(names) for lang, names in weekdays.items()},
        )

    @classmethod
    def load(cls, teams: TeamDirectory, *, messages_file: Path, weekdays: Mapping[str, Sequence[str]]) -> ContactRoute:
        """With the wording of the gateway's catalogue (data/handoff_messages.yml)."""
        catalogue = yaml.safe_load(messages_file.read_text(encoding="utf-8"))
        return cls.of(teams, catalogue=catalogue, weekdays=weekdays)

    def hours(self, language: str) -> str:
        """The opening hours in `language`, days in a row with the same hours as one stretch:
        "maandag t/m woensdag 09.00-17.00 uur, donderdag 09.00-20.00 uur, ..."."""
        wording, names = self.wording[language], self.weekdays[language]
        stretches: list[list[tuple[int, time, time]]] = []
        for day in self.opening_hours:
            last = stretches[-1][-1] if stretches else None
            if last is not None and last[0] + 1 == day[0] and last[1:] == day[1:]:
                stretches[-1].append(day)
            else:
                stretches.append([day])
        parts = []
        for stretch in stretches:
            first, final = names[stretch[0][0]], names[stretch[-1][0]]
            days = first if len(stretch) == 1 else wording.days.format(first=first, last=final)
            opens, closes = (moment.strftime(wording.time) for moment in stretch[0][1:])
            parts.append(wording.hours.format(days=days, open=opens, close=closes))
        return ", ".join(parts)

    def text(self, language: str) -> str:
        """The sentence in `language` (the first language of the catalogue for one it lacks)."""
        if language not in self.sentences:
            language = next(iter(self.sentences))
        return self.sentences[language].format(hours=self.hours(language), **self.contact)
