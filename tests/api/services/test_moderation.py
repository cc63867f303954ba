"""Moderation on SQLite and PostgreSQL: claim, live reply, notes, reassign, close, audit."""

from __future__ import annotations

import threading
from datetime import UTC, timedelta

import pytest
from sqlalchemy.orm import Session, sessionmaker

from api.services.audit import AuditLog
from api.services.conversations import ConversationStore
from api.services.database import create_schema, make_engine, make_sessionmaker
from api.services.escalations import ConflictError, EscalationWorkflow
from api.services.moderation import ModerationService
from api.services.users import User
from tests.api.services.conftest import make_user, moderation_service


def escalate(sessions: sessionmaker[Session], **kwargs: object) -> tuple[ConversationStore, str, int]:
    store = ConversationStore(sessions=sessions)
    conversation = store.start(language="nl")
    store.add_message(conversation_id=conversation, author="citizen", text="Ik wil een mens", language="nl")
    escalation = EscalationWorkflow(sessions=sessions).escalate(
        conversation_id=conversation, reason="requested_human", summary="Ik wil een mens", **kwargs
    )  # type: ignore[arg-type]
    return store, conversation, escalation.id


def test_claim_reply_and_hand_back(sessions: sessionmaker[Session], moderation: ModerationService) -> None:
    store, conversation, escalation = escalate(sessions, team="afval")
    anna = make_user(sessions, "Anna", "moderator")

    claimed = moderation.claim(escalation, moderator=anna)
    assert claimed.status == "claimed"
    assert store.handled_by(conversation) == "human"
    moderation.reply(escalation, moderator=anna, text="Goedemiddag, ik help u verder.")
    moderation.add_note(escalation, moderator=anna, text="Inwoner belt vaker over dit adres.")

    packet = moderation.packet(escalation)
    assert [m.author for m in packet.transcript] == ["citizen", "system", "moderator"]
    assert "Anna" in packet.transcript[1].text
    assert packet.notes[0].text.startswith("Inwoner belt")
    assert packet.claimed_by_name == "Anna"
    # Internal notes never reach the citizen's transcript.
    assert all("belt vaker" not in m.text for m in store.messages(conversation))

    moderation.hand_back(escalation, moderator=anna)
    assert store.handled_by(conversation) == "bot"
    assert store.messages(conversation)[-1].author == "system"

    # The PostgreSQL database is shared by the session's tests: only this escalation's entries.
    actions = [e.action for e in AuditLog(sessions=sessions).entries() if e.target_id == str(escalation)]
    assert actions == ["escalation.hand_back", "escalation.note", "escalation.reply", "escalation.claim"]


def test_only_the_claimer_may_reply_or_close(sessions: sessionmaker[Session], moderation: ModerationService) -> None:
    _, _, escalation = escalate(sessions)
    anna, bram = make_user(sessions, "Anna", "moderator"), make_user(sessions, "Bram", "moderator")
    with pytest.raises(ConflictError):
        moderation.reply(escalation, moderator=anna, text="te vroeg")
    moderation.claim(escalation, moderator=anna)
    with pytest.raises(ConflictError):
        moderation.claim(escalation, moderator=bram)
    with pytest.raises(ConflictError):
        moderation.reply(escalation, moderator=bram, text="ik ook")
    with pytest.raises(ConflictError):
        moderation.resolve(escalation, moderator=bram)
    assert moderation.resolve(escalation, moderator=anna).status == "resolved"


def test_reassign_puts_it_back_in_another_teams_queue(
    sessions: sessionmaker[Session], moderation: ModerationService
) -> None:
    store, conversation, escalation = escalate(sessions, team="klantcontact")
    anna = make_user(sessions, "Anna", "moderator")
    moderation.claim(escalation, moderator=anna)
    moved = moderation.reassign(escalation, moderator=anna, team="belastingen")
    assert (moved.team, moved.status) == ("belastingen", "open")
    # (The PostgreSQL database is shared by the session's tests: look for this escalation only.)
    assert escalation in [i.escalation.id for i in moderation.queue(team="belastingen")]
    assert escalation not in [i.escalation.id for i in moderation.queue(team="klantcontact")]
    assert "Belastingen" in store.messages(conversation)[-1].text
    with pytest.raises(ValueError):
        moderation.reassign(escalation, moderator=anna, team="nonsense")


def test_queue_puts_high_priority_first_and_flags_overdue(
    sessions: sessionmaker[Session], moderation: ModerationService
) -> None:
    _, _, normal = escalate(sessions, team="afval")
    _, _, urgent = escalate(sessions, priority="high", team="klantcontact")
    from datetime import datetime

    later = datetime.now(UTC) + timedelta(days=30)
    items = moderation.queue(now=later)
    # The PostgreSQL database is shared by the session's tests: look at this test's escalations,
    # and check that no normal one comes before a high one.
    assert [i.escalation.id for i in items if i.escalation.id in (urgent, normal)] == [urgent, normal]
    priorities = [i.escalation.priority for i in items]
    assert priorities == sorted(priorities, key=lambda p: p != "high")
    assert all(i.overdue for i in items)
    high = moderation.queue(priority="high")
    assert urgent in [i.escalation.id for i in high] and all(i.escalation.priority == "high" for i in high)


def test_two_moderators_can_never_claim_the_same_escalation(postgres_url: str) -> None:
    """Many simultaneous claims against PostgreSQL: exactly one wins, every time."""
    engine = make_engine(postgres_url)
    create_schema(engine)
    sessions = make_sessionmaker(engine)
    moderation = moderation_service(sessions, EscalationWorkflow(sessions=sessions))
    moderators = [make_user(sessions, f"m{i}", "moderator") for i in range(8)]
    for _round in range(5):
        _, conversation, escalation = escalate(sessions)
        barrier = threading.Barrier(len(moderators))
        winners: list[str] = []
        losers: list[str] = []

        def attempt(
            user: User,
            escalation_id: int = escalation,
            barrier: threading.Barrier = barrier,
            winners: list[str] = winners,
            losers: list[str] = losers,
        ) -> None:
            barrier.wait()
            try:
                moderation.claim(escalation_id, moderator=user)
                winners.append(user.username)
            except ConflictError:
                losers.append(user.username)

        threads = [threading.Thread(target=attempt, args=(m,)) for m in moderators]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert len(winners) == 1 and len(losers) == len(moderators) - 1
        assert moderation.packet(escalation).claimed_by_name == winners[0].split("-")[0]
        joined = [m for m in ConversationStore(sessions=sessions).messages(conversation) if m.author == "system"]
        assert len(joined) == 1
    engine.dispose()
