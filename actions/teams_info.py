"""What the citizen is told about a team: its name and how long it usually takes."""

from __future__ import annotations

from typing import Any

from actions.dialogue_config import dialogue_config, teams_data

_UNITS = {
    "days": {"nl": ("werkdag", "werkdagen"), "en": ("working day", "working days")},
    "hours": {"nl": ("uur", "uur"), "en": ("hour", "hours")},
    "minutes": {"nl": ("minuut", "minuten"), "en": ("minute", "minutes")},
}


def team_name(team: str | None, language: str) -> str:
    info = teams_data().get(team or "") or {}
    names = info.get("name") or {}
    if isinstance(names, dict):
        return str(names.get(language) or names.get("nl") or team or "")
    return str(names or team or "")


def _format(value: Any, language: str) -> str | None:
    """`response_time` as {days|hours|minutes: n}, or a number of hours (teams.yml's format)."""
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, (int, float)):
        value = {"hours": value}
    if not isinstance(value, dict):
        return str(value)
    for unit, names in _UNITS.items():
        if unit in value:
            amount = float(value[unit])
            shown = f"{amount:g}"
            return f"{shown} {names[language][0 if amount == 1 else 1]}"
    return None


def response_time(team: str | None, language: str) -> str:
    """How long `team` usually takes, from teams.yml, else the dialogue config's fallback."""
    info = teams_data().get(team or "") or {}
    fallback = dialogue_config().response_time_fallback
    for value in (info.get("response_time"), fallback.get(team or ""), fallback.get("default")):
        text = _format(value, language)
        if text:
            return text
    return "5 werkdagen" if language == "nl" else "5 working days"
