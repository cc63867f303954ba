"""Staff workspace API: search public, internal (own team) and statutory text; API tokens.

The search and the documents accept API tokens with the scope "search"; the token management
accepts logged-in people only, so a token can never make another token."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query, Response, status
from fastapi.responses import FileResponse
from pydantic import BaseModel, Field, field_validator

from api.deps import CurrentUser, SettingsDep, StaffAnswersDep, StaffSearchDep, TeamsDep, UsersDep, require_role
from api.refusals import Refusal
from api.schemas import UNPROCESSABLE, Refused, RowId, Timestamp
from api.services.database import utcnow
from api.services.personal_data import redact
from api.services.staff_answers import MAX_HISTORY, Citation, StaffAnswer
from api.services.staff_search import DocumentResult, Filters
from api.services.users import ApiToken
from knowledge.languages import SUPPORTED_LANGUAGES

router = APIRouter(
    prefix="/api/staff", tags=["staff"], dependencies=[Depends(require_role("staff", "admin", token_scope="search"))]
)
tokens_router = APIRouter(
    prefix="/api/staff/tokens", tags=["staff"], dependencies=[Depends(require_role("staff", "admin"))]
)
page_router = APIRouter(tags=["staff"])
NOT_FOUND: dict[int | str, dict[str, Any]] = {
    404: {"model": Refused, "description": "Not there, or not this person's to see (`code` says which kind)."}
}


@page_router.get("/staff", include_in_schema=False)
def workspace_page(settings: SettingsDep) -> FileResponse:
    # Static page; its script sends visitors without a session to /login.
    return FileResponse(settings.web_dir / "staff.html", media_type="text/html")


class PassageOut(BaseModel):
    """Why the passage was found is in its figures: the query's words it contains (`matched_terms`,
    as lemmas) with their BM25 score, and the similarity in meaning (`dense_score`); a page words
    them in its reader's language."""

    section: str
    html: str
    score: float
    bm25_score: float = Field(description="the word match (BM25); 0 when none of the query's words occur")
    dense_score: float = Field(description="the similarity in meaning (cosine of the embeddings)")
    matched_terms: list[str] = Field(description="the query's words (lemmas) the passage contains")
    why: str = Field(deprecated=True, description="the same figures as one English sentence")


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
    title: str = Field(description="plain text (escape it where it goes into HTML)")
    url: str | None
    team: str | None
    audience: str
    effective_date: date | None
    version: str | None
    html: str


class TokenIn(BaseModel):
    name: str = Field(min_length=1, max_length=100)
    scopes: list[Literal["search", "route"]] = Field(
        default=["search"], min_length=1, max_length=2,
        description="search: staff search and documents; route: the routing API",
    )  # fmt: skip


class TokenOut(BaseModel):
    id: int
    name: str
    scopes: list[str]
    created_at: Timestamp
    expires_at: Timestamp
    revoked: bool
    expired: bool

    @classmethod
    def of(cls, token: ApiToken) -> TokenOut:
        return cls(
            id=token.id, name=token.name, scopes=sorted(token.scopes), created_at=token.created_at,
            expires_at=token.expires_at, revoked=token.revoked, expired=token.expires_at <= utcnow(),
        )  # fmt: skip


class TokenCreated(TokenOut):
    token: str = Field(description="shown once; only a hash is stored")


# The kinds of personal data left out of a query before it was searched and audited
# (api/services/personal_data.py): the page says so, in its own words.
REMOVED_HEADER = "Loket-Removed"


@router.get("/search", responses=UNPROCESSABLE)
def search(
    response: Response,
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
        raise Refusal(status.HTTP_422_UNPROCESSABLE_CONTENT, "The question is empty.", code="question_empty")
    filters = Filters(team=team, doc_type=doc_type, effective_from=effective_from, effective_until=effective_until)
    removed = redact(q).kinds
    if removed:
        response.headers[REMOVED_HEADER] = ",".join(removed)
    return [DocumentResultOut.of(r) for r in staff_search.search(q, user=user, filters=filters, k=k)]


Question = Annotated[str, Field(max_length=1000)]


class AskIn(BaseModel):
    question: Question = Field(min_length=1)
    # The page keeps the conversation: its earlier questions, oldest first, give a follow-up its topic.
    history: list[Question] = Field(default_factory=list, max_length=MAX_HISTORY)
    language: Literal["nl", "en"] = "nl"

    @field_validator("question")
    @classmethod
    def _not_blank(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("the question is empty")
        return value.strip()

    @field_validator("history")
    @classmethod
    def _without_blanks(cls, value: list[str]) -> list[str]:
        return [question.strip() for question in value if question.strip()]


class CitationOut(BaseModel):
    doc_id: str
    title: str
    section: str
    heading: str
    url: str = Field(description="the public page, or the workspace's document view, at the section")
    doc_type: str
    team: str | None
    language: str
    version: str | None
    effective_date: date | None
    official_url: str | None


class AnswerOut(BaseModel):
    answered: bool = Field(description="false: the documents this person may read do not answer it")
    html: str | None = Field(description="the answering sentences as safe HTML")
    citation: CitationOut | None
    alternatives: list[CitationOut]
    follow_up: bool
    score: float
    removed: list[str] = Field(
        default_factory=list, description="kinds of personal data left out of the question before it was answered"
    )

    @classmethod
    def of(cls, answer: StaffAnswer) -> AnswerOut:
        def out(citation: Citation) -> CitationOut:
            return CitationOut(**citation.__dict__)

        return cls(
            answered=answer.answered, html=answer.html, citation=out(answer.citation) if answer.citation else None,
            alternatives=[out(c) for c in answer.alternatives], follow_up=answer.follow_up, score=answer.score,
            removed=list(answer.removed),
        )  # fmt: skip


@router.post("/ask")
def ask(body: AskIn, user: CurrentUser, staff_answers: StaffAnswersDep) -> AnswerOut:
    """The answer engine over what this person may read; internal documents shown are audited."""
    return AnswerOut.of(staff_answers.ask(body.question, user=user, history=body.history, language=body.language))


class TeamOut(BaseModel):
    id: str
    names: dict[str, str]  # language -> the team's name, as the page shows it


@router.get("/teams")
def teams(directory: TeamsDep) -> list[TeamOut]:
    """The municipality's own teams, which documents belong to, with their names in every language:
    the page shows a name, never an id."""
    return [
        TeamOut(id=team.id, names={language: team.name(language) for language in SUPPORTED_LANGUAGES})
        for team in (directory[team_id] for team_id in directory)
        if team.kind == "team"
    ]


@router.get("/documents/{doc_id}", responses=NOT_FOUND)
def document(doc_id: str, user: CurrentUser, staff_search: StaffSearchDep) -> DocumentOut:
    opened = staff_search.open_document(doc_id, user=user)
    if opened is None:
        # The same answer for "does not exist" and "not yours": nothing leaks.
        raise Refusal(status.HTTP_404_NOT_FOUND, "No document with this id.", code="document_not_found")
    doc, body = opened
    return DocumentOut(
        doc_id=doc.id, title=doc.title, url=doc.url, team=doc.team, audience=doc.audience,
        effective_date=doc.effective_date, version=doc.version, html=body,
    )  # fmt: skip


@tokens_router.post("", status_code=status.HTTP_201_CREATED, responses=UNPROCESSABLE)
def create_token(body: TokenIn, user: CurrentUser, users: UsersDep) -> TokenCreated:
    """A token that expires after api_token_ttl_days; creation is audited (never the value)."""
    name = body.name.strip()
    if not name:
        raise Refusal(status.HTTP_422_UNPROCESSABLE_CONTENT, "The name is empty.", code="token_name_empty")
    created, token = users.create_token(user, name=name, scopes=body.scopes)
    return TokenCreated(**TokenOut.of(created).model_dump(), token=token)


@tokens_router.get("")
def list_tokens(user: CurrentUser, users: UsersDep) -> list[TokenOut]:
    return [TokenOut.of(token) for token in users.tokens(user)]


@tokens_router.delete("/{token_id}", status_code=status.HTTP_204_NO_CONTENT, responses=NOT_FOUND)
def revoke_token(token_id: RowId, user: CurrentUser, users: UsersDep) -> None:
    if not users.revoke_token(user, token_id):
        raise Refusal(status.HTTP_404_NOT_FOUND, "No such token.", code="token_not_found")
