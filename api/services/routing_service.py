"""The api's view of the routing package: the router built from the settings."""

from __future__ import annotations

from typing import TYPE_CHECKING

from api.services.crisis import SafetySignals
from api.settings import Settings

if TYPE_CHECKING:
    from knowledge.types import Searcher
    from routing.router import Router
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
