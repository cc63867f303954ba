"""Conversation store: what citizens wrote and what they were shown.

The one writer of conversation and message rows. Escalations (and so who handles a
conversation) belong to api/services/escalations.py.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from api.services.database import ConversationRow, MessageRow, as_utc, utcnow

# The most messages one read returns (a page of the transcript): what a poll or a console costs
# stays bounded however long the conversation grows.
MAX_PAGE = 500


class UnknownConversation(LookupError):
    pass


@dataclass(frozen=True)
class Message:
    id: int
    conversation_id: str
    author: str
    text: str
    language: str | None
    sources: list[dict[str, Any]] = field(default_factory=list)
    created_at: datetime | None = None
    answered: bool = False  # a citizen message whose turn is done

    @classmethod
    def from_row(cls, row: MessageRow) -> Message:
        return cls(
            id=row.id,
            conversation_id=row.conversation_id,
            author=row.author,
            text=row.text,
            language=row.language,
            sources=list(row.sources or []),
            created_at=as_utc(row.created_at) if row.created_at else None,
            answered=row.answered_at is not None,
        )


@dataclass(frozen=True)
class ConversationState:
    handled_by: str  # "bot" or "human"
    language: str  # the language opened with, then that of the latest citizen message
    citizen_messages: int = 0  # how many messages the citizen sent so far (the length cap counts these)


class ConversationStore:
    """SQL-backed store; one instance per process, thread-safe via short sessions."""

    def __init__(self, *, sessions: sessionmaker[Session]) -> None:
        self._sessions = sessions

    def start(self, *, language: str) -> str:
        conversation_id = uuid.uuid4().hex
        with self._sessions.begin() as session:
            session.add(ConversationRow(id=conversation_id, language=language))
        return conversation_id

    def exists(self, conversation_id: str) -> bool:
        with self._sessions() as session:
            return session.get(ConversationRow, conversation_id) is not None

    def ensure(self, conversation_id: str, *, language: str) -> None:
        """Create the conversation if Rasa knows a sender the api has not seen yet."""
        with self._sessions.begin() as session:
            if session.get(ConversationRow, conversation_id) is None:
                session.add(ConversationRow(id=conversation_id, language=language))

    def state(self, conversation_id: str) -> ConversationState:
        """Who answers the conversation now, the language of its latest citizen message, and how
        many messages the citizen sent (counted on an index: cheap for any length)."""
        with self._sessions() as session:
            row = session.get(ConversationRow, conversation_id)
            if row is None:
                raise UnknownConversation(conversation_id)
            sent = session.scalar(
                select(func.count())
                .select_from(MessageRow)
                .where(MessageRow.conversation_id == conversation_id, MessageRow.author == "citizen")
            )
            return ConversationState(handled_by=row.handled_by, language=row.language, citizen_messages=sent or 0)

    def handled_by(self, conversation_id: str) -> str:
        with self._sessions() as session:
            row = session.get(ConversationRow, conversation_id)
            if row is None:
                raise UnknownConversation(conversation_id)
            return row.handled_by

    def add_message(
        self,
        *,
        conversation_id: str,
        author: str,
        text: str,
        language: str | None,
        sources: list[dict[str, Any]] | None = None,
        client_message_id: str | None = None,
    ) -> Message:
        with self._sessions.begin() as session:
            return self.append(
                session,
                conversation_id=conversation_id,
                author=author,
                text=text,
                language=language,
                sources=sources,
                client_message_id=client_message_id,
            )

    def by_client_id(self, conversation_id: str, client_message_id: str) -> Message | None:
        """The citizen message a client sent earlier under this key (a retry), if any."""
        with self._sessions() as session:
            row = session.scalars(
                select(MessageRow).where(
                    MessageRow.conversation_id == conversation_id, MessageRow.client_message_id == client_message_id
                )
            ).first()
            return Message.from_row(row) if row else None

    def answer(
        self,
        citizen_message: Message,
        replies: list[tuple[str, list[dict[str, Any]]]],
        *,
        language: str | None,
        notices: Sequence[str] = (),
    ) -> list[Message]:
        """Store the gateway's notices and the bot's replies (text, sources) to a citizen message, and
        mark its turn done, at once. Notices come first, as the gateway's own ("system") messages."""
        with self._sessions.begin() as session:
            stored = [
                self.append(
                    session,
                    conversation_id=citizen_message.conversation_id,
                    author="system",
                    text=text,
                    language=language,
                    reply_to=citizen_message.id,
                )
                for text in notices
            ]
            stored += [
                self.append(
                    session,
                    conversation_id=citizen_message.conversation_id,
                    author="bot",
                    text=text,
                    language=language,
                    sources=sources,
                    reply_to=citizen_message.id,
                )
                for text, sources in replies
            ]
            row = session.get(MessageRow, citizen_message.id)
            if row is not None:
                row.answered_at = utcnow()
            return stored

    def last_bot_text(self, conversation_id: str) -> str | None:
        """The text of the bot's latest message in the conversation, if any."""
        with self._sessions() as session:
            return session.scalars(
                select(MessageRow.text)
                .where(MessageRow.conversation_id == conversation_id, MessageRow.author == "bot")
                .order_by(MessageRow.id.desc())
                .limit(1)
            ).first()

    def replies_to(self, message_id: int) -> list[Message]:
        with self._sessions() as session:
            rows = session.scalars(select(MessageRow).where(MessageRow.reply_to == message_id).order_by(MessageRow.id))
            return [Message.from_row(row) for row in rows]

    @staticmethod
    def append(
        session: Session,
        *,
        conversation_id: str,
        author: str,
        text: str,
        language: str | None,
        sources: list[dict[str, Any]] | None = None,
        client_message_id: str | None = None,
        reply_to: int | None = None,
    ) -> Message:
        """Add a message inside the caller's transaction (e.g. a moderator's reply with its audit record)."""
        conversation = session.get(ConversationRow, conversation_id)
        if conversation is None:
            raise UnknownConversation(conversation_id)
        row = MessageRow(
            conversation_id=conversation_id,
            author=author,
            text=text,
            language=language,
            sources=sources or [],
            client_message_id=client_message_id,
            reply_to=reply_to,
        )
        session.add(row)
        conversation.updated_at = utcnow()
        if language and author == "citizen":
            conversation.language = language
        session.flush()
        return Message.from_row(row)

    def page(
        self, conversation_id: str, *, after_id: int | None = None, before_id: int | None = None, limit: int = 100
    ) -> list[Message]:
        """At most `limit` messages, oldest first (see `read_page`)."""
        with self._sessions() as session:
            return self.read_page(session, conversation_id, after_id=after_id, before_id=before_id, limit=limit)

    @staticmethod
    def read_page(
        session: Session,
        conversation_id: str,
        *,
        after_id: int | None = None,
        before_id: int | None = None,
        limit: int = 100,
    ) -> list[Message]:
        """At most `limit` (1..MAX_PAGE) messages, oldest first: with `after_id`, the first ones after it
        (a poll for what is new, continued from the last id it got); without, the latest ones before
        `before_id` (or the latest of all: the page opens with those, then reads back through the
        history with `before_id`). One range scan of the (conversation, id) index either way."""
        if not 1 <= limit <= MAX_PAGE:
            raise ValueError(f"A page holds 1 to {MAX_PAGE} messages (got {limit}).")
        query = select(MessageRow).where(MessageRow.conversation_id == conversation_id)
        if before_id is not None:
            query = query.where(MessageRow.id < before_id)
        if after_id is not None:
            rows = list(session.scalars(query.where(MessageRow.id > after_id).order_by(MessageRow.id).limit(limit)))
        else:
            rows = list(session.scalars(query.order_by(MessageRow.id.desc()).limit(limit)))[::-1]
        return [Message.from_row(row) for row in rows]

    def messages(self, conversation_id: str, *, after_id: int = 0) -> list[Message]:
        """The whole conversation after `after_id` (tests, exports); requests read a `page`."""
        with self._sessions() as session:
            rows = session.scalars(
                select(MessageRow)
                .where(MessageRow.conversation_id == conversation_id, MessageRow.id > after_id)
                .order_by(MessageRow.id)
            )
            return [Message.from_row(row) for row in rows]
