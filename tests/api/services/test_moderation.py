"""Moderation on SQLite and PostgreSQL: claim, live reply, notes, reassign, close, audit."""

from __future__ import annotations

import threading
from datetime import UTC, timedelta

import pytest
from sqlalchemy import update
from sqlalchemy.orm import Session, sessionmaker

from api.services.audit import AuditLog
from api.services.conversations import ConversationStore
from api.services.database import AuditRow, EscalationNoteRow, create_schema, make_engine, make_sessionmaker
from api.services.escalations import ConflictError, EscalationNotFound, EscalationWorkflow
from api.services.moderation import PACKET_READ, PACKET_READ_WINDOW, ModerationService, NeedToKnow
from api.services.users import User
from api.settings import PROJECT_ROOT
from routing.teams import TeamDirectory
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
    anna = make_user(sessions, "Anna", "moderator", teams=("afval",))

    claimed = moderation.claim(escalation, moderator=anna)
    assert claimed.status == "claimed"
    assert store.handled_by(conversation) == "human"
    moderation.reply(escalation, moderator=anna, text="Goedemiddag, ik help u verder.")
    moderation.add_note(escalation, moderator=anna, text="Inwoner belt vaker over dit adres.")

    packet = moderation.packet(escalation, viewer=anna)
    assert [m.author for m in packet.transcript] == ["citizen", "system", "moderator"]
    assert "Anna" in packet.transcript[1].text
    assert packet.notes[0].text.startswith("Inwoner belt")
    assert packet.claimed_by_name == "Anna"
    # Internal notes never reach the citizen's transcript.
    assert all("belt vaker" not in m.text for m in store.messages(conversation))

    moderation.hand_back(escalation, moderator=anna)
    assert store.handled_by(conversation) == "bot"
    assert store.messages(conversation)[-1].author == "system"

    # The PostgreSQL database is shared by the session's tests: only this escalation's entries (a
    # user or conversation of another test may have the same id; tests of the audit log itself write
    # on a target type of their own). Every entry on the escalation counts: an unexpected one fails.
    entries = AuditLog(sessions=sessions).entries()
    actions = [e.action for e in entries if (e.target_type, e.target_id) == ("escalation", str(escalation))]
    assert actions == [
        "escalation.hand_back", "escalation.packet_read", "escalation.note", "escalation.reply", "escalation.claim"
    ]  # fmt: skip


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
    anna = make_user(sessions, "Anna", "moderator", teams=("klantcontact",))
    admin = make_user(sessions, "Root", "admin")
    moderation.claim(escalation, moderator=anna)
    moved = moderation.reassign(escalation, moderator=anna, team="belastingen")
    assert (moved.team, moved.status) == ("belastingen", "open")
    # (The PostgreSQL database is shared by the session's tests: look for this escalation only.)
    assert escalation in [i.escalation.id for i in moderation.queue(viewer=admin, team="belastingen")]
    assert escalation not in [i.escalation.id for i in moderation.queue(viewer=admin, team="klantcontact")]
    assert "Belastingen" in store.messages(conversation)[-1].text
    # Anna is not in Belastingen: the escalation left her view with the reassign.
    assert escalation not in [i.escalation.id for i in moderation.queue(viewer=anna)]
    with pytest.raises(EscalationNotFound):
        moderation.packet(escalation, viewer=anna)
    with pytest.raises(EscalationNotFound):
        moderation.claim(escalation, moderator=anna)
    with pytest.raises(ValueError):
        moderation.reassign(escalation, moderator=admin, team="nonsense")


def test_queue_puts_high_priority_first_and_flags_overdue(
    sessions: sessionmaker[Session], moderation: ModerationService
) -> None:
    _, _, normal = escalate(sessions, team="afval")
    _, _, urgent = escalate(sessions, priority="high", team="klantcontact")
    from datetime import datetime

    later = datetime.now(UTC) + timedelta(days=30)
    admin = make_user(sessions, "Root", "admin")
    items = moderation.queue(viewer=admin, now=later)
    # The PostgreSQL database is shared by the session's tests: look at this test's escalations,
    # and check that no normal one comes before a high one.
    assert [i.escalation.id for i in items if i.escalation.id in (urgent, normal)] == [urgent, normal]
    priorities = [i.escalation.priority for i in items]
    assert priorities == sorted(priorities, key=lambda p: p != "high")
    assert all(i.overdue for i in items)
    high = moderation.queue(viewer=admin, priority="high")
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
        assert moderation.packet(escalation, viewer=moderators[0]).claimed_by_name == winners[0].split("-")[0]
        joined = [m for m in ConversationStore(sessions=sessions).messages(conversation) if m.author == "system"]
        assert len(joined) == 1
    engine.dispose()


# --- need to know ------------------------------------------------------------------------------


def test_the_need_to_know_rule() -> None:
    rule = NeedToKnow.of(TeamDirectory.load(PROJECT_ROOT / "data" / "routing" / "teams.yml"))

    def user(*roles: str, teams: tuple[str, ...] = ()) -> User:
        return User(id=1, username="u", display_name="U", roles=frozenset(roles), teams=frozenset(teams))

    def sees(viewer: User, team: str | None, reason: str = "requested_human") -> bool:
        return rule.may_see(viewer, team=team, reason=reason)

    afval = user("moderator", teams=("afval",))
    assert [sees(afval, team) for team in ("afval", None, "crisis", "belastingen")] == [True, True, True, False]
    nobody = user("moderator")
    assert [sees(nobody, team) for team in (None, "crisis", "afval", "klantcontact")] == [True, True, False, False]
    # No municipal team owns an external organisation's case: every moderator refers it.
    assert sees(nobody, "uwv") and sees(afval, "belastingdienst")
    # A crisis that joined another team's escalation is everyone's too.
    assert sees(nobody, "belastingen", "crisis") and not sees(nobody, "klantcontact", "threat")
    admin = user("admin")
    assert rule.hidden_teams(admin) == set() and rule.where(admin) is None
    assert sees(admin, "belastingen") and sees(admin, None)
    assert rule.hidden_teams(afval) == rule.hidden_teams(nobody) - {"afval"} and "uwv" not in rule.hidden_teams(nobody)


def test_a_moderator_reaches_only_their_teams_and_the_shared_queues(
    sessions: sessionmaker[Session], moderation: ModerationService
) -> None:
    _, _, theirs = escalate(sessions, team="afval")
    _, _, other = escalate(sessions, team="belastingen")
    _, _, triage = escalate(sessions)
    _, _, crisis = escalate(sessions, team="crisis", priority="high")
    _, _, external = escalate(sessions, team="uwv")  # routing sent it to the UWV: a moderator refers it
    other_store, other_conversation, _ = escalate(sessions, team="wonen")
    joined = EscalationWorkflow(sessions=sessions).escalate(
        conversation_id=other_conversation, reason="crisis", summary="…", priority="high", team="crisis"
    )  # a crisis in the Wonen team's conversation: still Wonen's escalation, now everyone's to see
    anna = make_user(sessions, "Anna", "moderator", teams=("afval",))
    bram = make_user(sessions, "Bram", "moderator")  # no teams: triage and crisis only
    admin = make_user(sessions, "Root", "admin")

    def queued(viewer: User) -> set[int]:
        # The PostgreSQL database is shared by the session's tests: this test's escalations only.
        return {i.escalation.id for i in moderation.queue(viewer=viewer)} & mine

    mine = {theirs, other, triage, crisis, external, joined.id}
    assert joined.team == "wonen"
    assert queued(anna) == {theirs, triage, crisis, external, joined.id}
    assert queued(bram) == {triage, crisis, external, joined.id}
    assert queued(admin) == mine
    assert moderation.queue(viewer=anna, team="belastingen") == []  # a filter does not widen the view

    # Another team's escalation is unknown to her, for reading and for every action; nothing changes.
    for attempt in (
        lambda: moderation.packet(other, viewer=anna),
        lambda: moderation.claim(other, moderator=anna),
        lambda: moderation.reply(other, moderator=anna, text="hallo"),
        lambda: moderation.add_note(other, moderator=anna, text="notitie"),
        lambda: moderation.reassign(other, moderator=anna, team="afval"),
        lambda: moderation.resolve(other, moderator=anna),
        lambda: moderation.hand_back(other, moderator=anna),
    ):
        with pytest.raises(EscalationNotFound):
            attempt()
    assert not [e for e in AuditLog(sessions=sessions).entries() if e.actor == anna.username]
    untouched = moderation.packet(other, viewer=admin)
    assert untouched.escalation.status == "open" and untouched.escalation.team == "belastingen"
    assert untouched.notes == [] and [m.author for m in untouched.transcript] == ["citizen"]

    # The shared queues are everyone's: Bram claims the crisis, an admin resolves another team's.
    assert moderation.claim(crisis, moderator=bram).status == "claimed"
    moderation.packet(triage, viewer=bram)
    moderation.claim(other, moderator=admin)
    assert moderation.resolve(other, moderator=admin).status == "resolved"


def test_the_packet_holds_a_page_of_the_transcript(
    sessions: sessionmaker[Session], moderation: ModerationService
) -> None:
    store, conversation, escalation = escalate(sessions, team="afval")
    for n in range(9):
        store.add_message(
            conversation_id=conversation, author="bot", text=f"antwoord {n}", language="nl",
            sources=[{"title": f"Pagina {n % 2}", "url": f"/documents/pagina-{n % 2}"}],
        )  # fmt: skip
    admin = make_user(sessions, "Root", "admin")
    latest = moderation.packet(escalation, viewer=admin, limit=4)
    assert [m.text for m in latest.transcript] == ["antwoord 5", "antwoord 6", "antwoord 7", "antwoord 8"]
    assert [s["url"] for s in latest.sources_shown] == ["/documents/pagina-1", "/documents/pagina-0"]
    # The console polls for what is new since the last message it shows.
    assert moderation.packet(escalation, viewer=admin, after_id=latest.transcript[-1].id).transcript == []
    earlier = moderation.packet(escalation, viewer=admin, before_id=latest.transcript[0].id, limit=100)
    assert [m.text for m in earlier.transcript] == ["Ik wil een mens"] + [f"antwoord {n}" for n in range(5)]


def test_reading_a_packet_is_audited_once_per_window_without_its_content(
    sessions: sessionmaker[Session], moderation: ModerationService
) -> None:
    """The console re-reads the open packet every few seconds: one entry per reader per 15 minutes."""
    _, conversation, escalation = escalate(sessions, team="afval")
    anna, bram = make_user(sessions, "Anna", "moderator", teams=("afval",)), make_user(sessions, "Bram", "admin")

    def reads() -> list[tuple[str, str]]:
        entries = AuditLog(sessions=sessions).entries(action=PACKET_READ)
        return [(e.actor, e.target_id) for e in entries if e.target_id == str(escalation)]

    for _ in range(3):
        moderation.packet(escalation, viewer=anna)
    moderation.packet(escalation, viewer=bram)
    assert reads() == [(bram.username, str(escalation)), (anna.username, str(escalation))]
    [entry] = [e for e in AuditLog(sessions=sessions).entries(action=PACKET_READ) if e.actor == anna.username]
    assert entry.details == {"conversation_id": conversation}  # ids only: the transcript stays out

    with sessions.begin() as session:  # anna's reading was longer ago than the window
        session.execute(update(AuditRow).where(AuditRow.id == entry.id).values(at=entry.at - PACKET_READ_WINDOW))
    moderation.packet(escalation, viewer=anna)
    assert [actor for actor, _ in reads()] == [anna.username, bram.username, anna.username]


# --- what a moderator writes: redacted before it is stored ----------------------------------------


def test_a_reply_is_redacted_before_it_is_stored_and_the_citizen_sees_the_placeholder(
    sessions: sessionmaker[Session], moderation: ModerationService
) -> None:
    store, conversation, escalation = escalate(sessions, team="belastingen")
    anna = make_user(sessions, "Anna", "moderator", teams=("belastingen",))
    moderation.claim(escalation, moderator=anna)

    written = moderation.reply(
        escalation, moderator=anna,
        text="Ik zie uw BSN 111222333 en IBAN NL91ABNA0417164300. Mail het bezwaar naar belastingen@vlietstad.nl.",
    )  # fmt: skip
    expected = "Ik zie uw BSN [BSN] en IBAN [IBAN]. Mail het bezwaar naar belastingen@vlietstad.nl."
    assert written.message.text == expected and written.removed == ("bsn", "iban")
    assert store.messages(conversation)[-1].text == expected  # what the citizen's page shows
    assert moderation.packet(escalation, viewer=anna).transcript[-1].text == expected
    plain = moderation.reply(escalation, moderator=anna, text="Graag gedaan.")
    assert plain.removed == ()

    replies = [e.details for e in AuditLog(sessions=sessions).entries(action="escalation.reply")
               if e.target_id == str(escalation)]  # fmt: skip
    assert {"conversation_id": conversation, "message_id": plain.message.id} in replies  # nothing removed
    assert {
        "conversation_id": conversation, "message_id": written.message.id, "personal_data_removed": ["bsn", "iban"]
    } in replies  # fmt: skip


def test_a_note_is_redacted_before_it_is_stored(sessions: sessionmaker[Session], moderation: ModerationService) -> None:
    _, _, escalation = escalate(sessions, team="afval")
    anna = make_user(sessions, "Anna", "moderator", teams=("afval",))

    note = moderation.add_note(escalation, moderator=anna, text="Terugbellen op 06-12345678, BSN 111222333.")
    assert (note.text, note.removed) == ("Terugbellen op [telefoon], BSN [BSN].", ("phone", "bsn"))
    assert moderation.packet(escalation, viewer=anna).notes[-1].text == "Terugbellen op [telefoon], BSN [BSN]."
    with sessions() as session:
        stored = session.get(EscalationNoteRow, note.id)
        assert stored is not None and "12345678" not in stored.text and "111222333" not in stored.text
    audited = str([e.details for e in AuditLog(sessions=sessions).entries() if e.target_id == str(escalation)])
    assert "personal_data_removed" in audited and "111222333" not in audited


def test_the_moderator_is_told_what_was_left_out_in_the_consoles_language(moderation: ModerationService) -> None:
    assert moderation.removal_notice("note", ()) is None
    assert moderation.removal_notice("note", ("bsn",)) == (
        "Uit uw notitie weggelaten: BSN. Persoonsgegevens worden niet in notities opgeslagen; "
        "de contactgegevens van een melding of klacht staan versleuteld bij de zaak."
    )
    assert moderation.removal_notice("reply", ("bsn", "iban", "phone"), language="en") == (
        "Left out of your reply: citizen service number (BSN), IBAN and phone number. The citizen sees a "
        "placeholder in brackets there; personal data is not stored in the conversation."
    )
    dutch = moderation.removal_notice("reply", ("phone", "email"), language="nl")
    assert dutch is not None and dutch.startswith("Uit uw antwoord weggelaten: telefoonnummer en e-mailadres.")
    assert moderation.removal_notice("note", ("email",), language="de") == moderation.removal_notice("note", ("email",))
