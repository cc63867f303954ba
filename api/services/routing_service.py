"""The api's view of the routing package: the router built from the settings, and the route API's
request routed on its redacted text."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from api.services.crisis import SafetySignals
from api.services.personal_data import redact
from api.settings import Settings

if TYPE_CHECKING:
    from knowledge.types import Searcher
    from routing.router import Router, RoutingDecision
    from routing.teams import TeamDirectory


def open_router(
    settings: Settings,
    *,
    search: Searcher | None = None,
    teams: TeamDirectory | None = None,
    cached_queries: bool = False,
) -> Router:
    """The configured embedder (the search's when it has one), the example vectors cached under
    the data dir, the crisis phrases the chat gateway checks too. teams: the app's directory
    (else the router reads data/routing/teams.yml itself). cached_queries: see router_for."""
    from knowledge.embedding import DEFAULT_EMBEDDER
    from routing.router import router_for

    return router_for(
        embedder_name=settings.embedder or DEFAULT_EMBEDDER,
        crisis=SafetySignals.from_dir(settings.crisis_dir).crisis,
        search=search,
        cache_dir=settings.data_dir / "routing",
        teams=teams,
        cached_queries=cached_queries,
    )


def route_redacted(
    router: Router,
    text: str,
    *,
    conversation: Sequence[Mapping[str, Any]] = (),
    intent: str | None = None,
    intent_confidence: float | None = None,
    language: str = "nl",
) -> RoutingDecision:
    """The route API's decision, made on the message and the earlier turns with their personal data
    replaced by placeholders, as the chat gateway hands a citizen's message on: an integration may
    send a citizen's words as they were typed, and nothing past this point (the router, its query
    cache, a log line) gets the original. The decision is what the conversation would get."""
    return router.route(
        redact(text).text,
        conversation=[{**turn, "text": redact(str(turn.get("text", ""))).text} for turn in conversation],
        intent=intent,
        intent_confidence=intent_confidence,
        language=language,
    )
