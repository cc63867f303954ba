"""Response models shared by several routers (one audience's router never imports another's)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import Path
from pydantic import BaseModel

from api.services.conversations import Message
from api.services.message_html import message_html

# The largest id a 64-bit database integer holds: a larger number in a path or query is the
# caller's mistake (422), not a database overflow (500).
MAX_DATABASE_ID = 2**63 - 1
# A row id in a path (`/escalations/{escalation_id}`).
RowId = Annotated[int, Path(ge=1, le=MAX_DATABASE_ID)]
# A conversation id in a path: the api issues 32 hex digits; Rasa's sender ids (and the column) allow
# up to 64 characters. Anything else is the caller's mistake (422), never a lookup.
ConversationId = Annotated[str, Path(pattern=r"^[A-Za-z0-9_-]{1,64}$")]


class MessageOut(BaseModel):
    id: int
    author: str
    text: str
    # The bot's Markdown as safe HTML (lists, bold, links); None for what a person typed.
    html: str | None = None
    language: str | None
    sources: list[dict[str, Any]]
    created_at: datetime | None

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
