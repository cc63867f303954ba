"""Liveness and readiness for operators and the `loket run` supervisor."""

from __future__ import annotations

from fastapi import APIRouter

from api.deps import DocumentsDep

router = APIRouter(tags=["health"])


@router.get("/health")
def health(documents: DocumentsDep) -> dict[str, object]:
    return {"status": "ok", "documents": documents.count()}
