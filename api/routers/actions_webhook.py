"""Rasa's action-server protocol (POST /webhook), served by the api.

Rasa sends the shared token from endpoints.yml as the `token` query parameter;
anything without it is refused before an action runs.
"""

from __future__ import annotations

import secrets
from typing import Any

from fastapi import APIRouter, Depends, HTTPException, Query, Request, status
from fastapi.responses import JSONResponse
from rasa_sdk.interfaces import (
    ActionExecutionRejection,
    ActionMissingDomainException,
    ActionNotFoundException,
)

from api.deps import ActionRunnerDep, SettingsDep


async def require_action_token(settings: SettingsDep, token: str | None = Query(None)) -> None:
    expected = settings.action_token.get_secret_value()
    if token is None or not secrets.compare_digest(token.encode(), expected.encode()):
        raise HTTPException(status.HTTP_401_UNAUTHORIZED, "Missing or wrong action token.")


router = APIRouter(tags=["rasa"], dependencies=[Depends(require_action_token)])


@router.post("/webhook")
async def run_action(request: Request, runner: ActionRunnerDep) -> Any:
    try:
        action_call = await request.json()
    except ValueError:
        raise HTTPException(status.HTTP_400_BAD_REQUEST, "Body must be a JSON action call.") from None
    if not isinstance(action_call, dict) or "next_action" not in action_call:
        raise HTTPException(status.HTTP_400_BAD_REQUEST, "Body must be a JSON action call.")
    try:
        return await runner.run(action_call)
    except ActionExecutionRejection as error:
        return JSONResponse({"error": error.message, "action_name": error.action_name}, 400)
    except ActionNotFoundException as error:
        return JSONResponse({"error": error.message, "action_name": error.action_name}, 404)
    except ActionMissingDomainException as error:
        # Rasa's protocol: 449 makes Rasa resend the call with the domain included.
        return JSONResponse({"error": error.message, "action_name": error.action_name}, 449)
