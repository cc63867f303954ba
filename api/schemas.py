"""Response models shared by several routers (one audience's router never imports another's)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import Path, Query
from pydantic import AfterValidator, BaseModel

from api.services.conversations import MAX_PAGE, Message
from api.services.message_html import message_html

# The largest id the id columns hold on every database (INTEGER is 32 bits on PostgreSQL, 64 on
# SQLite): a larger number in a path or query is the caller's mistake (422), not a database
# overflow (500).
MAX_DATABASE_ID = 2**31 - 1
# A row id in a path (`/escalations/{escalation_id}`).
RowId = Annotated[int, Path(ge=1, le=MAX_DATABASE_ID)]
# A conversation id in a path: the api issues 32 hex digits; Rasa's sender ids (and the column) allow
# up to 64 characters. Anything else is the caller's mistake (422), never a lookup.
ConversationId = Annotated[str, Path(pattern=r"^[A-Za-z0-9_-]{1,64}$")]
# Paging a transcript (ConversationStore.read_page): a message id to read after or before, and how
# many messages at most.
MessageCursor = Annotated[int | None, Query(ge=0, le=MAX_DATABASE_ID)]
PageLimit = Annotated[int, Query(ge=1, le=MAX_PAGE)]


def _with_offset(moment: datetime) -> datetime:
    """SQLite returns the stored UTC times without their zone (PostgreSQL keeps it)."""
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


# A moment in a response: always with its UTC offset, as the schema's "date-time" (RFC 3339) says,
# on every database.
Timestamp = Annotated[datetime, AfterValidator(_with_offset)]


class FieldProblem(BaseModel):
    """One invalid part of a request, as api/validation_errors.py reports it (never the input)."""

    loc: list[str]
    msg: str
    type: str | None


class Refused(BaseModel):
    """A refusal the api explains itself (api/refusals.py): `detail` in English, `code` for a page to
    word in its reader's language."""

    detail: str
    code: str


class Unprocessable(BaseModel):
    """A 422: the invalid parts of the request, or a sentence saying what is wrong with it (with its
    `code` where the route gives one)."""

    detail: list[FieldProblem] | str
    code: str | None = None


# `responses=` of a route that refuses some valid-looking input itself, with a sentence (422).
UNPROCESSABLE: dict[int | str, dict[str, Any]] = {
    422: {"model": Unprocessable, "description": "Invalid input; `detail` lists the fields or says why."}
}


class MessageOut(BaseModel):
    id: int
    author: str
    text: str
    # The bot's Markdown as safe HTML (lists, bold, links); None for what a person typed.
    html: str | None = None
    language: str | None
    sources: list[dict[str, Any]]
    created_at: Timestamp | None

    @classmethod
    def of(cls, message: Message) -> MessageOut:
        return cls(
            id=message.id,
            author=message.author,
            text=message.text,
            html=message_html(message.author, message.text),
            language=message.language,
            sources=message.sources,
            created_at=message.created_at,
        )
