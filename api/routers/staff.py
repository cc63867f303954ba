"""Staff workspace API: search public, internal (own team) and statutory text; API tokens."""

from __future__ import annotations

import html
from datetime import date, datetime
from typing import Literal

from fastapi import APIRouter, Depends, HTTPException, Query, status
from fastapi.responses import FileResponse
from pydantic import BaseModel, Field

from api.deps import CurrentUser, SettingsDep, StaffSearchDep, UsersDep, require_role
from api.schemas import RowId
from api.services.staff_search import DocumentResult, Filters

router = APIRouter(prefix="/api/staff", tags=["staff"], dependencies=[Depends(require_role("staff", "admin"))])
page_router = APIRouter(tags=["staff"])


@page_router.get("/staff", include_in_schema=False)
def workspace_page(settings: SettingsDep) -> FileResponse:
    # Static page; its script sends visitors without a session to /login.
    return FileResponse(settings.web_dir / "staff.html", media_type="text/html")


class PassageOut(BaseModel):
    section: str
    html: str
    score: float
    bm25_score: float
    dense_score: float
    matched_terms: list[str]
    why: str


class DocumentResultOut(BaseModel):
    doc_id: str
    title: str
    url: str | None
    team: str | None
    audience: str
    doc_type: str
    effective_date: date | None
    version: str | None
    passages: list[PassageOut]

    @classmethod
    def of(cls, result: DocumentResult) -> DocumentResultOut:
        return cls(
            doc_id=result.doc_id, title=result.title, url=result.url, team=result.team, audience=result.audience,
            doc_type=result.doc_type, effective_date=result.effective_date, version=result.version,
            passages=[PassageOut(**p.__dict__) for p in result.passages],
        )  # fmt: skip


class DocumentOut(BaseModel):
    doc_id: str
    title: str
    url: str | None
    team: str | None
    audience: str
    effective_date: date | None
    version: str | None
    html: str


class TokenIn(BaseModel):
    name: str = Field(min_length=1, max_length=100)


class TokenCreated(BaseModel):
    id: int
    name: str
    token: str


class TokenOut(BaseModel):
    id: int
    name: str
    created_at: datetime
    revoked: bool


@router.get("/search")
def search(
    user: CurrentUser,
    staff_search: StaffSearchDep,
    q: str = Query(min_length=1, max_length=1000, description="question or search words"),
    k: int = Query(10, ge=1, le=50),
    team: str | None = None,
    doc_type: Literal["public", "internal", "statute"] | None = Query(None, alias="type"),
    effective_from: date | None = Query(None, alias="from"),
    effective_until: date | None = Query(None, alias="until"),
) -> list[DocumentResultOut]:
    if not q.strip():
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, "The question is empty.")
    filters = Filters(team=team, doc_type=doc_type, effective_from=effective_from, effective_until=effective_until)
    return [DocumentResultOut.of(r) for r in staff_search.search(q, user=user, filters=filters, k=k)]


@router.get("/documents/{doc_id}")
def document(doc_id: str, user: CurrentUser, staff_search: StaffSearchDep) -> DocumentOut:
    opened = staff_search.open_document(doc_id, user=user)
    if opened is None:
        # The same answer for "does not exist" and "not yours": nothing leaks.
        raise HTTPException(status.HTTP_404_NOT_FOUND, "No document with this id.")
    doc, body = opened
    return DocumentOut(
        doc_id=doc.id, title=html.escape(doc.title), url=doc.url, team=doc.team, audience=doc.audience,
        effective_date=doc.effective_date, version=doc.version, html=body,
    )  # fmt: skip


@router.post("/tokens", status_code=status.HTTP_201_CREATED)
def create_token(body: TokenIn, user: CurrentUser, users: UsersDep) -> TokenCreated:
    token_id, token = users.create_token(user, name=body.name.strip())
    return TokenCreated(id=token_id, name=body.name.strip(), token=token)


@router.get("/tokens")
def list_tokens(user: CurrentUser, users: UsersDep) -> list[TokenOut]:
    return [TokenOut(id=i, name=n, created_at=c, revoked=r) for i, n, c, r in users.tokens(user)]


@router.delete("/tokens/{token_id}", status_code=status.HTTP_204_NO_CONTENT)
def revoke_token(token_id: RowId, user: CurrentUser, users: UsersDep) -> None:
    if not users.revoke_token(user, token_id):
        raise HTTPException(status.HTTP_404_NOT_FOUND, "No such token.")
