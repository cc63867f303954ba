"""The dialogue's one call into routing: `route_case`, swappable through the action context."""

from __future__ import annotations

from typing import Any

from actions import context
from actions.dialogue_config import FormConfig


def knowledge_vote(text: str) -> dict[str, Any]:
    """The first routing signal: the owning team of the best matching public documents.

    Used until the api installs the routing service as `context.route` (cheap: one
    knowledge search, no model of its own to warm up in the middle of a turn).
    """
    from knowledge.types import Reader

    result = context.current().search.search(text, reader=Reader.public(), k=5)
    teams = [hit.team for hit in result.hits if hit.team] if result.relevant else []
    if not teams:
        return {"team": None, "confidence": 0.0, "explanation": "No relevant public document with a team."}
    best = teams[0]
    share = teams.count(best) / len(teams)
    return {
        "team": best,
        "confidence": round(share, 2),
        "explanation": f"{teams.count(best)} of {len(teams)} best matching public documents are {best}'s.",
        "runners_up": [team for team in dict.fromkeys(teams) if team != best],
    }


def route_case(text: str) -> dict[str, Any]:
    """Routing's decision for `text` as a plain dict (team, confidence, explanation, ...)."""
    route = context.current().route
    return route(text) if route is not None else knowledge_vote(text)


def choose_team(form: FormConfig, decision: dict[str, Any]) -> str:
    """The form's own team unless routing is confident about another team it may go to."""
    team = decision.get("team")
    confidence = float(decision.get("confidence") or 0.0)
    if team in form.routable_teams and confidence >= form.min_routing_confidence:
        return str(team)
    return form.default_team
