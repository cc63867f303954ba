"""Liveness and readiness for operators and the `loket run` supervisor."""

from __future__ import annotations

from fastapi import APIRouter, Request

router = APIRouter(tags=["health"])


@router.get("/health")
def health(request: Request) -> dict[str, object]:
    documents = request.app.state.documents
    return {"status": "ok", "documents": documents.count()}
