"""Routing API: which team (or external organisation) a citizen's message belongs to.

For moderators, staff and admins (and integrations with an API token of scope "route"); citizens'
messages are routed inside the conversation, never through this endpoint. The message and the
earlier turns are routed with their personal data redacted (`route_redacted`); nothing of a
request is stored.
"""

from __future__ import annotations

from typing import Any, Literal

from fastapi import APIRouter, Depends
from pydantic import BaseModel, Field, field_validator

from api.deps import RouterDep, require_role
from api.services.routing_service import route_redacted

router = APIRouter(
    prefix="/api",
    tags=["routing"],
    dependencies=[Depends(require_role("moderator", "staff", "admin", token_scope="route"))],
)


class Turn(BaseModel):
    role: Literal["user", "bot", "moderator"] = "user"
    text: str = Field(max_length=4000)


class RouteRequest(BaseModel):
    text: str = Field(min_length=1, max_length=2000, description="The citizen's message")
    conversation: list[Turn] = Field(default_factory=list, max_length=50, description="Earlier turns, oldest first")
    intent: str | None = Field(default=None, description="Rasa's intent for the message, if known")
    intent_confidence: float | None = Field(default=None, ge=0.0, le=1.0)
    language: Literal["nl", "en"] = "nl"

    @field_validator("text")
    @classmethod
    def _not_blank(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("text is empty")
        return value


class RouteResponse(BaseModel):
    team: str | None = Field(description="team id; null when out of scope or unsure")
    status: Literal["routed", "out_of_scope", "unsure", "crisis"]
    confidence: float
    unsure: bool
    triage: bool = Field(description="true when the case goes to moderator triage")
    best_guess: str | None
    kind: str | None
    runners_up: list[str]
    explanation: str
    scores: dict[str, float]
    evidence: dict[str, Any]


@router.post("/route", response_model=RouteResponse)
def route(body: RouteRequest, routing: RouterDep) -> RouteResponse:
    decision = route_redacted(
        routing,
        body.text,
        conversation=[turn.model_dump() for turn in body.conversation],
        intent=body.intent,
        intent_confidence=body.intent_confidence,
        language=body.language,
    )
    return RouteResponse(**decision.to_dict())
