"""Citizen side: the chat page and the chat gateway API. No login: anonymous by design."""

from __future__ import annotations

from functools import partial
from typing import Annotated, Literal

from anyio import to_thread
from fastapi import APIRouter, Header, HTTPException, Query, Response, status
from fastapi.responses import FileResponse, HTMLResponse
from pydantic import BaseModel, Field

from api.deps import (
    ChatLimitsDep,
    ChatSwitchesDep,
    ClientAddress,
    DocumentsDep,
    ErasureDep,
    GatewayDep,
    SettingsDep,
    StoreDep,
)
from api.schemas import UNPROCESSABLE, ConversationId, MessageCursor, MessageOut, PageLimit, Unprocessable
from api.services.admission import Busy
from api.services.chat import ChatGateway, ConversationFull, NotAskingForContact
from api.services.chat_switches import ChatSwitchedOff
from api.services.contact_details import Contact, InvalidContact
from api.services.conversations import UnknownConversation
from api.services.rasa_client import RasaUnavailable
from api.services.rate_limits import RateLimited
from api.services.redaction import ContactStep
from api.settings import Settings

router = APIRouter(tags=["citizen"])


class NewConversation(BaseModel):
    language: Literal["nl", "en"] = "nl"


class ConversationOut(BaseModel):
    conversation_id: str


class CitizenMessageIn(BaseModel):
    text: str = Field(min_length=1, description="What the citizen typed")
    # The page's language switch; unset means "detect from the text".
    language: Literal["nl", "en"] | None = None


class ExpectsOut(BaseModel):
    """What the bot's last reply asks for, where the page shows a step of its own for it."""

    kind: Literal["contact"]  # a form's contact: the page shows its contact form
    optional: bool  # the citizen may stay anonymous instead

    @classmethod
    def of(cls, step: ContactStep | None) -> ExpectsOut | None:
        return None if step is None else cls(kind="contact", optional=step.optional)


class TurnOut(BaseModel):
    conversation_id: str
    language: str
    handled_by: str
    messages: list[MessageOut]
    # Unset for a plain text reply.
    expects: ExpectsOut | None = None


class ContactIn(BaseModel):
    """The page's contact step: an e-mail address, a phone number, or both."""

    email: str | None = Field(default=None, max_length=1000)
    phone: str | None = Field(default=None, max_length=1000)
    language: Literal["nl", "en"] | None = None


@router.get("/", response_class=HTMLResponse, include_in_schema=False)
def chat_page(settings: SettingsDep) -> FileResponse:
    return FileResponse(settings.web_dir / "chat.html", media_type="text/html")


# On a 429 past a rate limit, unlike a busy one: the page shows `detail`, keeps the message in the
# box and lets the citizen send it again after Retry-After, instead of retrying by itself.
RATE_LIMITED_HEADER = "Loket-Rate-Limited"


async def rate_limited(
    gateway: ChatGateway,
    limited: RateLimited,
    *,
    conversation_id: str,
    language: Literal["nl", "en"] | None,
    text: str = "",
) -> HTTPException:
    # A refused message with crisis words still gets the help lines, in the notice (nothing is processed).
    notice = await gateway.notice("rate_limited", conversation_id=conversation_id, language=language, refused_text=text)
    headers = {"Retry-After": str(limited.retry_after_s), RATE_LIMITED_HEADER: "true"}
    return HTTPException(status.HTTP_429_TOO_MANY_REQUESTS, notice, headers=headers)


@router.post(
    "/api/chat/conversations",
    status_code=status.HTTP_201_CREATED,
    responses={429: {"description": f"Too many new conversations from this client ({RATE_LIMITED_HEADER})."}},
)
async def open_conversation(
    gateway: GatewayDep, limits: ChatLimitsDep, client: ClientAddress, body: NewConversation | None = None
) -> ConversationOut:
    language = (body or NewConversation()).language
    try:
        await limits.open_conversation(client=client)
    except RateLimited as limited:
        raise await rate_limited(gateway, limited, conversation_id="", language=language) from None
    return ConversationOut(conversation_id=await to_thread.run_sync(partial(gateway.open, language=language)))


# On a 503 whose message was refused because an admin switched the chat off (nothing was stored; a
# retry is refused the same way): the page then shows `detail` instead of the message box.
SWITCHED_OFF_HEADER = "Loket-Switched-Off"
# On a 409 that says the conversation reached its maximum length (the page offers a new one then).
CONVERSATION_FULL_HEADER = "Loket-Conversation-Full"


class ChatStatusOut(BaseModel):
    chat: bool  # the whole chat
    answers: bool  # answers from the website's pages
    forms: bool  # reports and complaints
    # Whether this page may send messages: the chat is on, or a person holds this conversation.
    open: bool
    # While the chat is off: what the page shows instead of the message box (the contact route and
    # the crisis help lines), in the language asked for.
    message: str | None = None


@router.get("/api/chat/status")
async def chat_status(
    switches: ChatSwitchesDep,
    gateway: GatewayDep,
    store: StoreDep,
    language: Literal["nl", "en"] = "nl",
    conversation_id: Annotated[str | None, Query(pattern=r"^[A-Za-z0-9_-]{1,64}$")] = None,
) -> ChatStatusOut:
    """Which parts of the chat an admin has on; the page asks before the citizen types, and again
    now and then. A conversation a person holds goes on while the chat is off."""
    state = await to_thread.run_sync(switches.state)
    held = False
    if not state.chat and conversation_id:
        try:
            held = await to_thread.run_sync(store.handled_by, conversation_id) != "bot"
        except UnknownConversation:
            held = False
    message = None if state.chat else await gateway.notice("chat_off", conversation_id="", language=language)
    return ChatStatusOut(
        chat=state.chat, answers=state.answers, forms=state.forms, open=state.chat or held, message=message
    )


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
        **UNPROCESSABLE,
        409: {"description": f"With {CONVERSATION_FULL_HEADER}: the conversation is full, nothing was stored."},
        429: {
            "description": "Busy: nothing was processed; retry after Retry-After seconds with the same key. "
            f"With the header {RATE_LIMITED_HEADER}: past a rate limit; nothing was processed or stored."
        },
        503: {
            "description": "The assistant did not answer; the message is kept and answered on a retry. With "
            f"the header {SWITCHED_OFF_HEADER}: chat, the chat is switched off and nothing was stored."
        },
    },
)
async def send_message(
    conversation_id: str,
    body: CitizenMessageIn,
    gateway: GatewayDep,
    settings: SettingsDep,
    limits: ChatLimitsDep,
    client: ClientAddress,
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
        await limits.message(client=client, conversation_id=conversation_id)
    except RateLimited as limited:
        raise await rate_limited(
            gateway, limited, conversation_id=conversation_id, language=body.language, text=text
        ) from None
    return await _turn(
        gateway, settings, conversation_id=conversation_id, text=text, language=body.language, key=idempotency_key
    )


@router.post(
    "/api/chat/conversations/{conversation_id}/contact",
    responses={
        409: {"description": "The assistant is not asking for contact details now: nothing was stored."},
        422: {
            "model": Unprocessable,
            "description": "No valid e-mail address or phone number: nothing was stored; `detail` says why.",
        },
    },
)
async def give_contact(
    conversation_id: str,
    body: ContactIn,
    gateway: GatewayDep,
    settings: SettingsDep,
    limits: ChatLimitsDep,
    client: ClientAddress,
    idempotency_key: IdempotencyKey = None,
) -> TurnOut:
    """The form's contact step: the contact goes into the contact vault, encrypted and for the case only,
    and the form goes on with its placeholders ("[e-mail] [telefoon]") as the citizen's answer, so
    the contact itself is in no message, no Rasa event and no form data. Otherwise like a message."""
    try:
        contact = Contact.parse(email=body.email, phone=body.phone)
    except InvalidContact as invalid:
        notice = await gateway.notice(invalid.problem, conversation_id=conversation_id, language=body.language)
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, notice) from None
    try:
        await limits.message(client=client, conversation_id=conversation_id)
    except RateLimited as limited:
        raise await rate_limited(gateway, limited, conversation_id=conversation_id, language=body.language) from None
    return await _turn(
        gateway, settings, conversation_id=conversation_id, text=contact.placeholders, language=body.language,
        key=idempotency_key, contact=contact,
    )  # fmt: skip


async def _turn(
    gateway: ChatGateway,
    settings: Settings,
    *,
    conversation_id: str,
    text: str,
    language: Literal["nl", "en"] | None,
    key: str | None,
    contact: Contact | None = None,
) -> TurnOut:
    """One turn through the gateway, its refusals as HTTP answers."""
    try:
        turn = await gateway.handle(
            conversation_id=conversation_id, text=text, language=language, client_message_id=key, contact=contact
        )
    except NotAskingForContact:
        notice = await gateway.notice("contact_not_asked", conversation_id=conversation_id, language=language)
        raise HTTPException(status.HTTP_409_CONFLICT, notice) from None
    except UnknownConversation:
        raise HTTPException(status.HTTP_404_NOT_FOUND, "Unknown conversation.") from None
    except ConversationFull as full:
        raise HTTPException(status.HTTP_409_CONFLICT, full.notice, headers={CONVERSATION_FULL_HEADER: "true"}) from None
    except ChatSwitchedOff as off:
        raise HTTPException(
            status.HTTP_503_SERVICE_UNAVAILABLE, off.notice, headers={SWITCHED_OFF_HEADER: "chat"}
        ) from None
    except Busy as busy:
        notice = await gateway.notice("busy", conversation_id=conversation_id, language=language)
        raise HTTPException(
            status.HTTP_429_TOO_MANY_REQUESTS, notice, headers={"Retry-After": str(busy.retry_after_s)}
        ) from None
    except RasaUnavailable:
        notice = await gateway.notice("unavailable", conversation_id=conversation_id, language=language)
        raise HTTPException(
            status.HTTP_503_SERVICE_UNAVAILABLE, notice, headers={"Retry-After": str(settings.busy_retry_after_s)}
        ) from None
    return TurnOut(
        conversation_id=turn.conversation_id,
        language=turn.language,
        handled_by=turn.handled_by,
        messages=[MessageOut.of(m) for m in ([turn.citizen_message] if turn.citizen_message else []) + turn.replies],
        expects=ExpectsOut.of(turn.expects),
    )


@router.get("/api/chat/conversations/{conversation_id}/messages")
def list_messages(
    conversation_id: str,
    store: StoreDep,
    after: MessageCursor = None,
    before: MessageCursor = None,
    limit: PageLimit = 100,
) -> list[MessageOut]:
    """At most `limit` messages, oldest first. With `after`: the first ones after that id (the page
    polls this for a moderator's replies, and asks again from the last id while a full page comes
    back). Without: the latest ones, before id `before` if given (the page opens with the latest
    and loads older history with `before` = the first id it shows)."""
    if not store.exists(conversation_id):
        raise HTTPException(status.HTTP_404_NOT_FOUND, "Unknown conversation.")
    return [MessageOut.of(m) for m in store.page(conversation_id, after_id=after, before_id=before, limit=limit)]


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
