"""The escalation state machine on SQLite and PostgreSQL: one active escalation per
conversation, who may move it, and who handles the conversation as a result."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from api.services.conversations import ConversationStore, UnknownConversation
from api.services.database import EscalationRow, create_schema, make_engine, make_sessionmaker
from api.services.escalations import ConflictError, EscalationWorkflow
from api.services.moderation import ModerationService
from api.services.users import User
from tests.api.services.conftest import make_user


@pytest.fixture
def store(sessions: sessionmaker[Session]) -> ConversationStore:
    return ConversationStore(sessions=sessions)


def ask_for_person(workflow: EscalationWorkflow, conversation: str, **kwargs: object) -> int:
    return workflow.escalate(
        conversation_id=conversation,
        reason="requested_human",
        summary="Ik wil een mens",
        **kwargs,  # type: ignore[arg-type]
    ).id


def queued_ids(moderation: ModerationService, conversation: str, viewer: User) -> list[int]:
    """This conversation's escalations in the moderators' queue (the PostgreSQL database is shared)."""
    queue = moderation.queue(viewer=viewer)
    return [item.escalation.id for item in queue if item.escalation.conversation_id == conversation]


def test_a_second_request_after_hand_back_reaches_the_queue(
    sessions: sessionmaker[Session],
    store: ConversationStore,
    workflow: EscalationWorkflow,
    moderation: ModerationService,
) -> None:
    """Regression: the second request reused the returned escalation and never showed up."""
    conversation = store.start(language="nl")
    first = ask_for_person(workflow, conversation)
    anna = make_user(sessions, "Anna", "moderator")
    moderation.claim(first, moderator=anna)
    moderation.reply(first, moderator=anna, text="Ik help u.")
    moderation.hand_back(first, moderator=anna)
    assert store.handled_by(conversation) == "bot"

    second = ask_for_person(workflow, conversation)

    assert second != first
    assert queued_ids(moderation, conversation, anna) == [second]
    assert workflow.get(first).status == "returned"


def test_a_request_after_resolve_opens_a_new_escalation(
    sessions: sessionmaker[Session],
    store: ConversationStore,
    workflow: EscalationWorkflow,
    moderation: ModerationService,
) -> None:
    conversation = store.start(language="nl")
    first = ask_for_person(workflow, conversation)
    anna = make_user(sessions, "Anna", "moderator")
    moderation.claim(first, moderator=anna)
    moderation.resolve(first, moderator=anna)
    assert ask_for_person(workflow, conversation) != first


def test_a_new_request_joins_the_claimed_escalation_and_the_holder_keeps_it(
    sessions: sessionmaker[Session],
    store: ConversationStore,
    workflow: EscalationWorkflow,
    moderation: ModerationService,
) -> None:
    """Regression: a second escalation on the same conversation, closed by another moderator,
    handed the whole conversation back to the bot while its holder was still talking."""
    conversation = store.start(language="nl")
    first = ask_for_person(workflow, conversation)
    anna, bob = make_user(sessions, "Anna", "moderator"), make_user(sessions, "Bob", "moderator")
    moderation.claim(first, moderator=anna)

    joined = workflow.escalate(
        conversation_id=conversation, reason="crisis", summary="…", priority="high", team="crisis"
    )

    assert joined.id == first and joined.priority == "high" and joined.status == "claimed"
    assert joined.reason == "crisis"  # the queue shows the most demanding request
    assert [e.id for e in workflow.escalations(conversation_id=conversation)] == [first]
    with pytest.raises(ConflictError):
        moderation.claim(first, moderator=bob)
    with pytest.raises(ConflictError):
        moderation.resolve(first, moderator=bob)
    with pytest.raises(ConflictError):
        moderation.reply(first, moderator=bob, text="Ik neem het over.")
    assert store.handled_by(conversation) == "human"
    moderation.resolve(first, moderator=anna)
    assert store.handled_by(conversation) == "bot"


def test_the_database_refuses_a_second_active_escalation(
    sessions: sessionmaker[Session], store: ConversationStore, workflow: EscalationWorkflow
) -> None:
    conversation = store.start(language="nl")
    ask_for_person(workflow, conversation)
    with pytest.raises(IntegrityError), sessions.begin() as session:
        session.add(EscalationRow(conversation_id=conversation, reason="requested_human", summary="again"))


def test_joining_fills_in_the_team_and_the_completed_form(
    store: ConversationStore, workflow: EscalationWorkflow
) -> None:
    conversation = store.start(language="nl")
    paused = {"form": "public_space_report", "complete": False, "what": "lamp kapot"}
    first = ask_for_person(workflow, conversation, form_data=paused)
    completed = {"form": "public_space_report", "what": "lamp kapot", "where": "Dorpsstraat 3"}
    joined = workflow.escalate(
        conversation_id=conversation,
        reason="public_space_report",
        summary="lamp kapot",
        team="openbare_ruimte",
        form_data=completed,
    )
    assert joined.id == first and joined.reason == "requested_human"
    assert joined.team == "openbare_ruimte"
    assert joined.form_data == completed
    another = {"form": "complaint", "what": "lang wachten"}
    again = workflow.escalate(conversation_id=conversation, reason="complaint", summary="…", form_data=another)
    assert again.form_data == {**completed, "more": [another]}


def test_who_may_move_an_escalation(
    sessions: sessionmaker[Session],
    store: ConversationStore,
    workflow: EscalationWorkflow,
    moderation: ModerationService,
) -> None:
    conversation = store.start(language="en")
    escalation = ask_for_person(workflow, conversation, team="afval")
    teams = ("afval", "parkeren")
    anna = make_user(sessions, "Anna", "moderator", teams=teams)
    bob = make_user(sessions, "Bob", "moderator", teams=teams)
    admin = make_user(sessions, "Root", "admin")

    with pytest.raises(ConflictError):  # nobody holds it yet
        moderation.resolve(escalation, moderator=anna)
    moderation.reassign(escalation, moderator=bob, team="parkeren")  # open: anyone may
    moderation.claim(escalation, moderator=anna)
    with pytest.raises(ConflictError):
        moderation.reassign(escalation, moderator=bob, team="afval")
    reassigned = moderation.reassign(escalation, moderator=anna, team="afval")
    assert reassigned.status == "open" and store.handled_by(conversation) == "bot"
    moderation.claim(escalation, moderator=bob)
    closed = moderation.hand_back(escalation, moderator=admin)  # an admin may close anyone's
    assert closed.status == "returned"
    with pytest.raises(ConflictError):
        moderation.reassign(escalation, moderator=admin, team="parkeren")
    with pytest.raises(ConflictError):
        moderation.claim(escalation, moderator=anna)


def test_unknown_conversation_and_priority_are_refused(store: ConversationStore, workflow: EscalationWorkflow) -> None:
    with pytest.raises(UnknownConversation):
        ask_for_person(workflow, "nope")
    with pytest.raises(ValueError):
        ask_for_person(workflow, store.start(language="nl"), priority="urgent!!")


def test_simultaneous_requests_open_one_escalation(postgres_url: str) -> None:
    engine = make_engine(postgres_url)
    create_schema(engine)
    sessions = make_sessionmaker(engine)
    store, workflow = ConversationStore(sessions=sessions), EscalationWorkflow(sessions=sessions)
    for _round in range(5):
        conversation = store.start(language="nl")
        barrier = threading.Barrier(6)
        ids: list[int] = []

        def request(
            conversation: str = conversation, barrier: threading.Barrier = barrier, ids: list[int] = ids
        ) -> None:
            barrier.wait()
            ids.append(ask_for_person(workflow, conversation))

        threads = [threading.Thread(target=request) for _ in range(6)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert len(ids) == 6 and len(set(ids)) == 1
        assert len(workflow.escalations(conversation_id=conversation)) == 1
    engine.dispose()
