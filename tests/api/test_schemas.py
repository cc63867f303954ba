"""MessageOut: a stored message as every audience's API shows it; the shared response types."""

from __future__ import annotations

from datetime import UTC, datetime

from api.schemas import MessageOut, Unprocessable
from api.services.conversations import Message

AT = datetime(2026, 3, 1, 9, 30, tzinfo=UTC)
SOURCE = {"title": "Paspoort aanvragen", "url": "/documents/paspoort#kosten"}


def test_a_bot_message_carries_safe_html_and_its_sources() -> None:
    message = Message(id=7, conversation_id="c", author="bot", text="Het kost **€ 84,20**. <b>x</b>", language="nl",
                      sources=[SOURCE], created_at=AT)  # fmt: skip
    out = MessageOut.of(message)
    assert (out.id, out.author, out.language, out.sources, out.created_at) == (7, "bot", "nl", [SOURCE], AT)
    assert out.text == message.text  # the raw text stays available
    assert out.html is not None and "<strong>€ 84,20</strong>" in out.html
    assert "<b>" not in out.html and "&lt;b&gt;" in out.html


def test_what_a_person_typed_has_no_html() -> None:
    for author in ("citizen", "moderator"):
        out = MessageOut.of(Message(id=1, conversation_id="c", author=author, text="**hoi**", language=None))
        assert out.html is None and out.text == "**hoi**" and out.sources == [] and out.created_at is None


def test_the_json_has_the_fields_the_pages_read() -> None:
    message = Message(id=3, conversation_id="c", author="system", text="Anna neemt het over.", language="nl")
    body = MessageOut.of(message).model_dump(mode="json")
    assert set(body) == {"id", "author", "text", "html", "language", "sources", "created_at"}


def test_a_time_from_sqlite_gets_its_utc_offset_in_the_json() -> None:
    """SQLite returns stored UTC times without a zone; the schema's date-time needs the offset."""
    naive = Message(id=1, conversation_id="c", author="citizen", text="hoi", language="nl",
                    created_at=AT.replace(tzinfo=None))  # fmt: skip
    assert MessageOut.of(naive).model_dump(mode="json")["created_at"] == "2026-03-01T09:30:00Z"
    aware = Message(id=1, conversation_id="c", author="citizen", text="hoi", language="nl", created_at=AT)
    assert MessageOut.of(aware).created_at == AT


def test_a_422_is_a_list_of_fields_or_a_sentence() -> None:
    fields = {"detail": [{"loc": ["body", "text"], "msg": "Field required", "type": "missing"}]}
    assert Unprocessable.model_validate(fields).detail[0].loc == ["body", "text"]  # type: ignore[union-attr]
    assert Unprocessable.model_validate({"detail": "The message is empty."}).detail == "The message is empty."
