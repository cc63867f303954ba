"""Moderator console API: queue, handoff packet, claim, live reply, notes, reassign, close.

Need to know (ModerationService): a moderator reaches only their own teams' escalations and the
triage and crisis queues, an admin all; any other escalation answers 404, as an unknown one does."""

from __future__ import annotations

from typing import Any, Literal

from fastapi import APIRouter, Depends, HTTPException, Query, status
from fastapi.responses import FileResponse
from pydantic import BaseModel, Field

from api.deps import ContactsDep, CurrentUser, ModerationDep, SettingsDep, require_role
from api.refusals import Refusal
from api.schemas import UNPROCESSABLE, MessageCursor, MessageOut, PageLimit, RowId, Timestamp
from api.services.contact_details import NotForThisTeam
from api.services.escalations import ConflictError, Escalation, EscalationNotFound
from api.services.moderation import Note, Reply, UnknownTeam

router = APIRouter(
    prefix="/api/moderator", tags=["moderator"], dependencies=[Depends(require_role("moderator", "admin"))]
)
page_router = APIRouter(tags=["moderator"])


@page_router.get("/moderator", include_in_schema=False)
def console_page(settings: SettingsDep) -> FileResponse:
    # The page is static; its script asks /api/auth/me and sends visitors without a session to /login.
    return FileResponse(settings.web_dir / "moderator.html", media_type="text/html")


class EscalationOut(BaseModel):
    id: int
    conversation_id: str
    reason: str
    status: str
    priority: str
    team: str | None
    summary: str
    language: str
    created_at: Timestamp
    routing: dict[str, Any]
    form_data: dict[str, Any]

    @classmethod
    def of(cls, e: Escalation) -> EscalationOut:
        return cls(
            id=e.id, conversation_id=e.conversation_id, reason=e.reason, status=e.status, priority=e.priority,
            team=e.team, summary=e.summary, language=e.language, created_at=e.created_at, routing=e.routing,
            form_data=e.form_data,
        )  # fmt: skip


class QueueItemOut(EscalationOut):
    waiting_minutes: int
    expected_minutes: int
    overdue: bool
    claimed_by: str | None


class NoteOut(BaseModel):
    id: int
    author: str
    text: str
    created_at: Timestamp


class PacketOut(BaseModel):
    escalation: EscalationOut
    claimed_by: str | None
    transcript: list[MessageOut]
    sources_shown: list[dict[str, Any]]
    notes: list[NoteOut]


class TextIn(BaseModel):
    text: str = Field(min_length=1, max_length=4000)
    language: Literal["nl", "en"] = Field(default="nl", description="the console's language, for the notice")


class NoticeOut(BaseModel):
    notice: str | None = Field(
        default=None, description="what was left out of the text before it was stored, in the console's language"
    )


class ReplyOut(MessageOut, NoticeOut):
    pass


class NoteWrittenOut(NoteOut, NoticeOut):
    pass


class ReassignIn(BaseModel):
    team: str = Field(min_length=1)


def _not_found() -> HTTPException:
    return Refusal(status.HTTP_404_NOT_FOUND, "No such escalation.", code="escalation_not_found")


@router.get("/escalations")
def queue(
    moderation: ModerationDep,
    user: CurrentUser,
    team: str | None = None,
    status_: Literal["open", "claimed", "resolved", "returned"] | None = Query(None, alias="status"),
    priority: Literal["high", "normal"] | None = None,
    min_waiting_minutes: int | None = Query(None, ge=0),
) -> list[QueueItemOut]:
    return [
        QueueItemOut(
            **EscalationOut.of(item.escalation).model_dump(),
            waiting_minutes=item.waiting_minutes,
            expected_minutes=item.expected_minutes,
            overdue=item.overdue,
            claimed_by=item.claimed_by_name,
        )  # fmt: skip
        for item in moderation.queue(
            viewer=user, team=team, status=status_, priority=priority, min_waiting_minutes=min_waiting_minutes
        )
    ]


@router.get("/escalations/{escalation_id}")
def packet(
    escalation_id: RowId,
    moderation: ModerationDep,
    user: CurrentUser,
    after: MessageCursor = None,
    before: MessageCursor = None,
    limit: PageLimit = 200,
) -> PacketOut:
    """The handoff packet; `transcript` is the latest `limit` messages (before id `before`), or with
    `after` the first ones after that id: the console polls with the last id it has."""
    try:
        p = moderation.packet(escalation_id, viewer=user, after_id=after, before_id=before, limit=limit)
    except EscalationNotFound:
        raise _not_found() from None
    return PacketOut(
        escalation=EscalationOut.of(p.escalation),
        claimed_by=p.claimed_by_name,
        transcript=[MessageOut.of(m) for m in p.transcript],
        sources_shown=p.sources_shown,
        notes=[NoteOut(id=n.id, author=n.author, text=n.text, created_at=n.created_at) for n in p.notes],
    )


def _act(action: Any) -> Any:
    try:
        return action()
    except EscalationNotFound:
        raise _not_found() from None
    except ConflictError as error:
        raise Refusal(status.HTTP_409_CONFLICT, str(error), code=error.code) from None
    except UnknownTeam as error:
        raise Refusal(status.HTTP_422_UNPROCESSABLE_CONTENT, str(error), code="unknown_team") from None


@router.post("/escalations/{escalation_id}/claim", responses=UNPROCESSABLE)
def claim(escalation_id: RowId, moderation: ModerationDep, user: CurrentUser) -> EscalationOut:
    return EscalationOut.of(_act(lambda: moderation.claim(escalation_id, moderator=user)))


@router.post("/escalations/{escalation_id}/messages", status_code=status.HTTP_201_CREATED, responses=UNPROCESSABLE)
def reply(escalation_id: RowId, body: TextIn, moderation: ModerationDep, user: CurrentUser) -> ReplyOut:
    """The reply as the citizen sees it: personal data the moderator typed is replaced by its
    placeholder before it is stored and shown (`notice` says what was left out)."""
    text = body.text.strip()
    if not text:
        raise Refusal(status.HTTP_422_UNPROCESSABLE_CONTENT, "The message is empty.", code="text_empty")
    written: Reply = _act(lambda: moderation.reply(escalation_id, moderator=user, text=text))
    notice = moderation.removal_notice("reply", written.removed, language=body.language)
    return ReplyOut(**MessageOut.of(written.message).model_dump(), notice=notice)


@router.post("/escalations/{escalation_id}/notes", status_code=status.HTTP_201_CREATED, responses=UNPROCESSABLE)
def add_note(escalation_id: RowId, body: TextIn, moderation: ModerationDep, user: CurrentUser) -> NoteWrittenOut:
    """The note as stored: personal data is left out before it is stored (`notice` says what)."""
    text = body.text.strip()
    if not text:
        raise Refusal(status.HTTP_422_UNPROCESSABLE_CONTENT, "The note is empty.", code="text_empty")
    note: Note = _act(lambda: moderation.add_note(escalation_id, moderator=user, text=text))
    notice = moderation.removal_notice("note", note.removed, language=body.language)
    return NoteWrittenOut(id=note.id, author=note.author, text=note.text, created_at=note.created_at, notice=notice)


@router.post("/escalations/{escalation_id}/reassign", responses=UNPROCESSABLE)
def reassign(escalation_id: RowId, body: ReassignIn, moderation: ModerationDep, user: CurrentUser) -> EscalationOut:
    return EscalationOut.of(_act(lambda: moderation.reassign(escalation_id, moderator=user, team=body.team)))


@router.post("/escalations/{escalation_id}/resolve", responses=UNPROCESSABLE)
def resolve(escalation_id: RowId, moderation: ModerationDep, user: CurrentUser) -> EscalationOut:
    return EscalationOut.of(_act(lambda: moderation.resolve(escalation_id, moderator=user)))


@router.post("/escalations/{escalation_id}/hand-back", responses=UNPROCESSABLE)
def hand_back(escalation_id: RowId, moderation: ModerationDep, user: CurrentUser) -> EscalationOut:
    return EscalationOut.of(_act(lambda: moderation.hand_back(escalation_id, moderator=user)))


class ContactDetailOut(BaseModel):
    kind: Literal["email", "phone"]
    value: str
    given_at: Timestamp


@router.post(
    "/escalations/{escalation_id}/contact/reveal",
    responses={403: {"description": "Only members of the team the case is assigned to see its contact details."}},
)
def reveal_contact(
    escalation_id: RowId, contacts: ContactsDep, moderation: ModerationDep, user: CurrentUser
) -> list[ContactDetailOut]:
    """The contact details the case's form asked for, decrypted, for a member of the case's team; each
    reveal is in the audit log (never the values). A POST: it is an act, not a page to poll."""
    try:
        details = contacts.reveal(escalation_id, viewer=user)
    except EscalationNotFound:
        raise _not_found() from None
    except NotForThisTeam as refused:
        if not moderation.may_see(user, team=refused.team, reason=refused.reason):
            raise _not_found() from None  # as unknown as any escalation outside the moderator's teams
        raise Refusal(
            status.HTTP_403_FORBIDDEN,
            "Only the team this case is assigned to sees its contact details.",
            code="contact_team_only",
        ) from None
    return [ContactDetailOut(kind=d.kind, value=d.value, given_at=d.given_at) for d in details]


@router.get("/teams")
def teams(moderation: ModerationDep, language: Literal["nl", "en"] = "nl") -> list[dict[str, str]]:
    return moderation.team_choices(language=language)
