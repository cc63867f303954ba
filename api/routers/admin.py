"""Admin side: the audit log (readable and exportable, never writable), a citizen's rights on one
conversation: erasure (AVG art. 17) and access (art. 15), by conversation id or case number, and the
citizen chat's kill switches; and the admin page (/admin) over this API and the accounts API."""

from __future__ import annotations

import csv
import io
from functools import partial
from typing import Any

from anyio import to_thread
from fastapi import APIRouter, Depends, HTTPException, Query, status
from fastapi.responses import FileResponse, JSONResponse, Response
from pydantic import BaseModel, Field, model_validator

from api.deps import (
    AuditDep,
    ChatSwitchesDep,
    CurrentUser,
    ErasureDep,
    EscalationsDep,
    ExportDep,
    GatewayDep,
    SettingsDep,
    require_role,
)
from api.schemas import ConversationId, RowId, Timestamp
from api.services.admission import Busy
from api.services.chat_switches import MAX_REASON_CHARS, SWITCHES, Switch
from api.services.conversations import UnknownConversation
from api.services.escalations import EscalationNotFound, EscalationWorkflow

router = APIRouter(prefix="/api/admin", tags=["admin"], dependencies=[Depends(require_role("admin"))])
page_router = APIRouter(tags=["admin"])


@page_router.get("/admin", include_in_schema=False)
def admin_page(settings: SettingsDep) -> FileResponse:
    # Static, for anyone: its script sends visitors without a session to /login and shows a 403 as
    # "no access"; the data comes only from the admin API above, which checks the role.
    return FileResponse(settings.web_dir / "admin.html", media_type="text/html")


class AuditEntryOut(BaseModel):
    id: int
    at: Timestamp
    actor: str
    action: str
    target_type: str
    target_id: str
    details: dict[str, Any]


@router.get("/audit")
def audit_log(
    audit: AuditDep, action: str | None = None, limit: int = Query(1000, ge=1, le=10_000)
) -> list[AuditEntryOut]:
    return [AuditEntryOut(**entry.__dict__) for entry in audit.entries(action=action, limit=limit)]


@router.get("/audit.csv")
def audit_csv(audit: AuditDep, action: str | None = None) -> Response:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(["id", "at", "actor", "action", "target_type", "target_id", "details"])
    for e in audit.entries(action=action, limit=100_000):
        writer.writerow([e.id, e.at.isoformat(), e.actor, e.action, e.target_type, e.target_id, e.details])
    return Response(
        buffer.getvalue(), media_type="text/csv",
        headers={"Content-Disposition": 'attachment; filename="loket-audit.csv"'},
    )  # fmt: skip


class ErasureOut(BaseModel):
    conversation_id: str
    # Per store: conversations, messages, escalations, notes, forms, tracker_events.
    removed: dict[str, int]


NOT_FOUND: dict[int | str, dict[str, Any]] = {
    404: {"description": "No store holds anything of this conversation or case."}
}


def _conversation_of_case(escalations: EscalationWorkflow, case_number: int) -> str:
    try:
        return escalations.get(case_number).conversation_id
    except EscalationNotFound:
        raise HTTPException(status.HTTP_404_NOT_FOUND, "Unknown case.") from None


async def _erase(conversation_id: str, *, user: CurrentUser, gateway: GatewayDep, erasure: ErasureDep) -> ErasureOut:
    """Under the conversation's turn lock, so no turn of it is halfway (api/services/erasure.py)."""
    try:
        async with gateway.exclusive(conversation_id):
            removed = await to_thread.run_sync(
                partial(erasure.erase, conversation_id, by="admin", actor=user.username, actor_id=user.id)
            )
    except UnknownConversation:
        raise HTTPException(status.HTTP_404_NOT_FOUND, "Unknown conversation.") from None
    except Busy as busy:
        raise HTTPException(
            status.HTTP_429_TOO_MANY_REQUESTS, "A turn of this conversation is running; try again.",
            headers={"Retry-After": str(busy.retry_after_s)},
        ) from None  # fmt: skip
    return ErasureOut(conversation_id=conversation_id, removed=removed.as_dict())


@router.delete("/conversations/{conversation_id}", responses=NOT_FOUND)
async def erase_conversation(
    conversation_id: ConversationId, user: CurrentUser, gateway: GatewayDep, erasure: ErasureDep
) -> ErasureOut:
    """Erase the conversation from every store; the audit log records who, when and the counts."""
    return await _erase(conversation_id, user=user, gateway=gateway, erasure=erasure)


@router.delete("/cases/{case_number}", responses=NOT_FOUND)
async def erase_case(
    case_number: RowId, user: CurrentUser, gateway: GatewayDep, erasure: ErasureDep, escalations: EscalationsDep
) -> ErasureOut:
    """Erase the conversation of a case (the number the citizen was given), with all its cases."""
    conversation_id = await to_thread.run_sync(_conversation_of_case, escalations, case_number)
    return await _erase(conversation_id, user=user, gateway=gateway, erasure=erasure)


def _export(conversation_id: str, *, user: CurrentUser, export: ExportDep, filename: str) -> JSONResponse:
    try:
        content = export.export(conversation_id, actor=user.username, actor_id=user.id)
    except UnknownConversation:
        raise HTTPException(status.HTTP_404_NOT_FOUND, "Unknown conversation.") from None
    # Personal data: a download, never kept in a cache on the way.
    headers = {"Content-Disposition": f'attachment; filename="{filename}"', "Cache-Control": "no-store"}
    return JSONResponse(content, headers=headers)


@router.get("/conversations/{conversation_id}/export", responses=NOT_FOUND)
def export_conversation(conversation_id: ConversationId, user: CurrentUser, export: ExportDep) -> JSONResponse:
    """Everything held of the conversation as JSON, for a citizen's request for access (review it first:
    docs/privacy.md). The export is recorded in the audit log."""
    return _export(conversation_id, user=user, export=export, filename=f"loket-conversation-{conversation_id}.json")


@router.get("/cases/{case_number}/export", responses=NOT_FOUND)
def export_case(case_number: RowId, user: CurrentUser, export: ExportDep, escalations: EscalationsDep) -> JSONResponse:
    """The export of the conversation a case belongs to."""
    conversation_id = _conversation_of_case(escalations, case_number)
    return _export(conversation_id, user=user, export=export, filename=f"loket-case-{case_number}.json")


# --- the citizen chat's kill switches -------------------------------------------------------------


class SwitchOut(BaseModel):
    name: Switch
    on: bool
    reason: str
    changed_by: str | None
    changed_at: Timestamp | None


class SwitchesIn(BaseModel):
    """The switches to set (the others stay as they are), and why: the reason goes into the audit log."""

    chat: bool | None = None
    answers: bool | None = None
    forms: bool | None = None
    reason: str = Field(default="", max_length=MAX_REASON_CHARS)

    @model_validator(mode="after")
    def _names_a_switch(self) -> SwitchesIn:
        if all(getattr(self, name) is None for name in SWITCHES):
            raise ValueError(f"name at least one switch: {', '.join(SWITCHES)}")
        return self


@router.get("/switches")
def chat_switches(switches: ChatSwitchesDep) -> list[SwitchOut]:
    """The chat, the knowledge answers and the forms: on or off, with who changed each last, when and why."""
    return [SwitchOut(**setting.__dict__) for setting in switches.settings()]


@router.put("/switches")
def set_chat_switches(body: SwitchesIn, user: CurrentUser, switches: ChatSwitchesDep) -> list[SwitchOut]:
    """Switch parts of the citizen chat off or on: at once in this process, within `chat_switch_ttl_s`
    in every replica. Each switch named gets an audit entry (who, which, on/off, the reason).
    Crisis help is never switched off (docs/deployment.md, "Kill switches")."""
    for name in SWITCHES:
        on = getattr(body, name)
        if on is not None:
            switches.set(name, on=on, actor=user.username, actor_id=user.id, reason=body.reason)
    return chat_switches(switches)
