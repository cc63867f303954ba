"""Citizen side: the chat page and the chat gateway API. No login: anonymous by design."""

from __future__ import annotations

from functools import partial
from typing import Annotated, Literal

from anyio import to_thread
from fastapi import APIRouter, Header, HTTPException, Query, Response, status
from fastapi.responses import FileResponse, HTMLResponse
from pydantic import BaseModel, Field

from api.deps import DocumentsDep, ErasureDep, GatewayDep, SettingsDep, StoreDep
from api.schemas import MAX_DATABASE_ID, ConversationId, MessageOut
from api.services.admission import Busy
from api.services.conversations import UnknownConversation
from api.services.rasa_client import RasaUnavailable

router = APIRouter(tags=["citizen"])


class NewConversation(BaseModel):
    language: Literal["nl", "en"] = "nl"


class ConversationOut(BaseModel):
    conversation_id: str


class CitizenMessageIn(BaseModel):
    text: str = Field(min_length=1, description="What the citizen typed")
    # The page's language switch; unset means "detect from the text".
    language: Literal["nl", "en"] | None = None


class TurnOut(BaseModel):
    conversation_id: str
    language: str
    handled_by: str
    messages: list[MessageOut]


@router.get("/", response_class=HTMLResponse, include_in_schema=False)
def chat_page(settings: SettingsDep) -> FileResponse:
    return FileResponse(settings.web_dir / "chat.html", media_type="text/html")


@router.post("/api/chat/conversations", status_code=status.HTTP_201_CREATED)
def open_conversation(gateway: GatewayDep, body: NewConversation | None = None) -> ConversationOut:
    return ConversationOut(conversation_id=gateway.open(language=(body or NewConversation()).language))


IdempotencyKey = Annotated[
    str | None,
    Header(
        alias="Idempotency-Key",
        pattern=r"^[A-Za-z0-9_-]{1,64}$",
        description="The client's id for this message: a retry under the same key is stored and answered once.",
    ),
]


@router.post(
    "/api/chat/conversations/{conversation_id}/messages",
    responses={
        429: {"description": "Busy: nothing was processed; retry after Retry-After seconds with the same key."},
        503: {"description": "The assistant did not answer; the message is kept and answered on a retry."},
    },
)
async def send_message(
    conversation_id: str,
    body: CitizenMessageIn,
    gateway: GatewayDep,
    settings: SettingsDep,
    idempotency_key: IdempotencyKey = None,
) -> TurnOut:
    text = body.text.strip()
    if not text:
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, "The message is empty.")
    if len(text) > settings.max_message_chars:
        raise HTTPException(
            status.HTTP_422_UNPROCESSABLE_CONTENT,
            f"The message is too long (at most {settings.max_message_chars} characters).",
        )
    try:
        turn = await gateway.handle(
            conversation_id=conversation_id, text=text, language=body.language, client_message_id=idempotency_key
        )
    except UnknownConversation:
        raise HTTPException(status.HTTP_404_NOT_FOUND, "Unknown conversation.") from None
    except Busy as busy:
        notice = await gateway.notice("busy", conversation_id=conversation_id, language=body.language)
        raise HTTPException(
            status.HTTP_429_TOO_MANY_REQUESTS, notice, headers={"Retry-After": str(busy.retry_after_s)}
        ) from None
    except RasaUnavailable:
        notice = await gateway.notice("unavailable", conversation_id=conversation_id, language=body.language)
        raise HTTPException(
            status.HTTP_503_SERVICE_UNAVAILABLE, notice, headers={"Retry-After": str(settings.busy_retry_after_s)}
        ) from None
    return TurnOut(
        conversation_id=turn.conversation_id,
        language=turn.language,
        handled_by=turn.handled_by,
        messages=[MessageOut.of(m) for m in ([turn.citizen_message] if turn.citizen_message else []) + turn.replies],
    )


@router.get("/api/chat/conversations/{conversation_id}/messages")
def list_messages(
    conversation_id: str, store: StoreDep, after: int = Query(0, ge=0, le=MAX_DATABASE_ID)
) -> list[MessageOut]:
    """Messages after id `after`: the page polls this for a moderator's replies."""
    if not store.exists(conversation_id):
        raise HTTPException(status.HTTP_404_NOT_FOUND, "Unknown conversation.")
    return [MessageOut.of(m) for m in store.messages(conversation_id, after_id=after)]


@router.delete(
    "/api/chat/conversations/{conversation_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    responses={
        404: {"description": "No such conversation (or it was deleted already)."},
        429: {"description": "A turn of this conversation is still running; retry after Retry-After seconds."},
    },
)
async def delete_conversation(
    conversation_id: ConversationId, gateway: GatewayDep, store: StoreDep, erasure: ErasureDep
) -> Response:
    """The citizen deletes their conversation (AVG art. 17): its messages, any case made in it, and
    Rasa's record of it, for good. As for reading it, knowing the conversation's id is the key."""
    try:
        async with gateway.exclusive(conversation_id):
            if not await to_thread.run_sync(store.exists, conversation_id):
                raise HTTPException(status.HTTP_404_NOT_FOUND, "Unknown conversation.")
            await to_thread.run_sync(partial(erasure.erase, conversation_id, by="citizen", actor="citizen"))
    except UnknownConversation:  # erased by someone else in the meantime
        raise HTTPException(status.HTTP_404_NOT_FOUND, "Unknown conversation.") from None
    except Busy as busy:
        raise HTTPException(
            status.HTTP_429_TOO_MANY_REQUESTS, "Busy.", headers={"Retry-After": str(busy.retry_after_s)}
        ) from None
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get("/documents/{doc_id}", response_class=HTMLResponse)
def public_document(doc_id: str, documents: DocumentsDep) -> HTMLResponse:
    """A public source document, the target of the links in the bot's answers."""
    html = documents.public_html(doc_id)
    if html is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, "No public document with this id.")
    return HTMLResponse(html)
