"""Admin side: the audit log, readable and exportable, never writable."""

from __future__ import annotations

import csv
import io
from datetime import datetime
from typing import Any

from fastapi import APIRouter, Depends, Query
from fastapi.responses import Response
from pydantic import BaseModel

from api.deps import AuditDep, require_role

router = APIRouter(prefix="/api/admin", tags=["admin"], dependencies=[Depends(require_role("admin"))])


class AuditEntryOut(BaseModel):
    id: int
    at: datetime
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
