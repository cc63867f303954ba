"""A first routing signal: the owning team of the best matching public document.

Deliberately thin: the routing service proper (intent, team examples,
calibration, triage) builds on this decision type.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from actions.context import Searcher


@dataclass(frozen=True)
class RoutingDecision:
    team: str | None
    confidence: float
    explanation: str
    runners_up: list[str] = field(default_factory=list)


def route_by_knowledge(message: str, *, search: Searcher) -> RoutingDecision:
    from knowledge.types import Reader

    result = search.search(message, reader=Reader.public(), k=5)
    if not result.relevant or not result.hits:
        return RoutingDecision(None, 0.0, "No document is relevant enough to this message.")
    teams = [hit.team for hit in result.hits if hit.team]
    if not teams:
        return RoutingDecision(None, 0.0, "The matching documents have no owning team.")
    best = teams[0]
    share = teams.count(best) / len(teams)
    runners_up = [team for team in dict.fromkeys(teams) if team != best]
    top = result.hits[0]
    return RoutingDecision(
        team=best,
        confidence=round(share, 2),
        explanation=f'Best matching document "{top.title}" ({top.section}) belongs to {best}; '
        f"{teams.count(best)} of {len(teams)} top documents agree.",
        runners_up=runners_up,
    )
