"""Liveness and readiness for operators, the load balancer and the `loket run` supervisor."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response, status

from api.deps import DependencyHealthDep, DocumentsDep

router = APIRouter(tags=["health"])


@router.get("/health")
async def health(documents: DocumentsDep, dependencies: DependencyHealthDep) -> dict[str, object]:
    """200 whenever this api process serves: the balancer keeps it while Rasa is down, because
    it still serves staff, moderators, the crisis help lines and a localised "not reachable"
    (docs/deployment.md). Rasa's and the database's state are in the body, for monitoring."""
    states = await dependencies.states()
    everything_up = states.rasa == "up" and states.database == "up"
    return {
        "status": "ok" if everything_up else "degraded",
        "documents": documents.count(),
        "rasa": states.rasa,
        "database": states.database,
    }


@router.get("/ready")
async def ready(request: Request, response: Response) -> dict[str, object]:
    """503 until the start-up warm-up (language detector, router, answer engine) is done: the first
    citizen turn after a start would otherwise wait for it, past Rasa's wait for an action. The
    balancer and `loket run` send traffic only once this says 200; /health stays the liveness check."""
    warm_up = getattr(request.app.state, "warm_up", None)
    warming = warm_up is not None and warm_up.is_alive()
    if warming:
        response.status_code = status.HTTP_503_SERVICE_UNAVAILABLE
    return {"status": "warming up" if warming else "ready"}
