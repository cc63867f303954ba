"""The dialogue's one call into routing: `route_case`, swappable through the action context."""

from __future__ import annotations

from typing import Any

from actions import context
from actions.dialogue_config import FormConfig


def route_case(text: str) -> dict[str, Any]:
    """Routing's decision for `text` as a plain dict (team, confidence, explanation, ...)."""
    return context.current().route(text)


def choose_team(form: FormConfig, decision: dict[str, Any]) -> str:
    """The form's own team unless routing is confident about another team it may go to."""
    team = decision.get("team")
    confidence = float(decision.get("confidence") or 0.0)
    if team in form.routable_teams and confidence >= form.min_routing_confidence:
        return str(team)
    return form.default_team
