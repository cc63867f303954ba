"""Response models shared by several routers (one audience's router never imports another's)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel

from api.services.conversations import Message
from api.services.message_html import message_html


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
