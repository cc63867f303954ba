"""Erasure, access and retention on the real thing: a conversation through the real api and Rasa (SQLite
and PostgreSQL, Rasa's own tracker store), with a case and a moderator's note, exported, then erased
by an admin, by the citizen, or by the retention run; afterwards no store holds a row of it (Rasa's
`events` included), no file or log holds its text, and the citizen's endpoints answer 404."""

from __future__ import annotations

import os
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator

import httpx
import pytest
from sqlalchemy import create_engine, text

from tests.integration.conftest import RunningLoket, everything_stored

pytestmark = pytest.mark.integration

PASSWORD = "correct horse battery staple"


def marker() -> str:
    """A word of its own to find the conversation's text by: plain letters, which nothing redacts."""
    return "kwestie" + "".join(chr(ord("a") + int(c, 16) % 26) for c in uuid.uuid4().hex[:10])


def tracker_url(loket: RunningLoket) -> str:
    return loket.settings.tracker_store_url


def count(url: str, query: str, **values: object) -> int:
    engine = create_engine(url)
    with engine.connect() as connection:
        number = int(connection.execute(text(query), values).scalar_one())
    engine.dispose()
    return number


def rows_of(loket: RunningLoket, conversation: str, case: int | None = None) -> dict[str, int]:
    api = loket.settings.sqlalchemy_url
    counts = {
        "conversations": count(api, "SELECT count(*) FROM conversations WHERE id = :c", c=conversation),
        "messages": count(api, "SELECT count(*) FROM messages WHERE conversation_id = :c", c=conversation),
        "escalations": count(api, "SELECT count(*) FROM escalations WHERE conversation_id = :c", c=conversation),
        "events": count(tracker_url(loket), "SELECT count(*) FROM events WHERE sender_id = :c", c=conversation),
    }
    if case is not None:
        counts["notes"] = count(api, "SELECT count(*) FROM escalation_notes WHERE escalation_id = :e", e=case)
    return counts


def staff_client(loket: RunningLoket, *roles: str) -> httpx.Client:
    """A logged-in session of a new user with these roles (created with the operators' CLI)."""
    username = f"u{uuid.uuid4().hex[:8]}"
    loket.create_user(username, PASSWORD, *roles)
    client = httpx.Client(base_url=loket.settings.api_url, timeout=60)
    client.post("/api/auth/login", json={"username": username, "password": PASSWORD}).raise_for_status()
    return client


@pytest.fixture(params=["loket", "loket_postgres"])
def stack(request: pytest.FixtureRequest) -> RunningLoket:
    return request.getfixturevalue(request.param)  # type: ignore[no-any-return]


@pytest.fixture
def admin(stack: RunningLoket) -> Iterator[httpx.Client]:
    client = staff_client(stack, "admin", "moderator")
    yield client
    client.close()


def conversation_with_a_case(loket: RunningLoket, admin: httpx.Client, word: str) -> tuple[str, int]:
    """A question, a request for a person (a case, its summary from Rasa's tracker), claimed and noted."""
    conversation = loket.new_conversation()
    loket.say(conversation, f"Wat kost een paspoort? Het gaat om mijn {word}")
    loket.say(conversation, f"Ik wil een medewerker spreken over mijn {word}")
    [case] = [e for e in admin.get("/api/moderator/escalations").json() if e["conversation_id"] == conversation]
    admin.post(f"/api/moderator/escalations/{case['id']}/claim").raise_for_status()
    admin.post(f"/api/moderator/escalations/{case['id']}/notes", json={"text": f"Teruggebeld over {word}"})
    return conversation, int(case["id"])


def test_an_admin_exports_then_erases_a_conversation_from_every_store(stack: RunningLoket, admin: httpx.Client) -> None:
    word = marker()
    conversation, case = conversation_with_a_case(stack, admin, word)
    before = rows_of(stack, conversation, case)
    assert before["messages"] >= 4 and before["escalations"] == 1 and before["notes"] == 1 and before["events"] > 5

    # Access: everything of the conversation, Rasa's events included.
    exported = admin.get(f"/api/admin/conversations/{conversation}/export").json()
    assert any(word in m["text"] for m in exported["messages"] if m["author"] == "citizen")
    assert word in exported["escalations"][0]["summary"] and word in exported["escalations"][0]["notes"][0]["text"]
    user_texts = [e["text"] for e in exported["tracker_events"] if e["event"] == "user"]
    assert len(user_texts) == 2 and all(word in t for t in user_texts)
    assert len(exported["tracker_events"]) == before["events"]

    erased = admin.delete(f"/api/admin/cases/{case}")
    assert erased.status_code == 200, erased.text
    assert erased.json()["removed"]["tracker_events"] == before["events"]

    assert set(rows_of(stack, conversation, case).values()) == {0}
    path = f"/api/chat/conversations/{conversation}"
    assert stack.client.get(f"{path}/messages").status_code == 404
    assert stack.client.post(f"{path}/messages", json={"text": f"nog een vraag over {word}"}).status_code == 404
    assert stack.client.delete(path).status_code == 404
    assert rows_of(stack, conversation)["events"] == 0  # nothing reached Rasa: no copy of it came back
    assert word not in everything_stored(stack)  # nor in a file, a write-ahead log or a log


def test_the_citizen_deletes_a_conversation_and_the_next_one_starts_clean(stack: RunningLoket) -> None:
    word = marker()
    conversation = stack.new_conversation()
    stack.say(conversation, f"Wat kost een paspoort? Vraag over {word}")
    assert rows_of(stack, conversation)["events"] > 0

    assert stack.client.delete(f"/api/chat/conversations/{conversation}").status_code == 204

    assert set(rows_of(stack, conversation).values()) == {0}
    assert stack.client.get(f"/api/chat/conversations/{conversation}/messages").status_code == 404
    fresh = stack.new_conversation()
    replies = stack.bot_replies(fresh, "Wat kost een paspoort?")
    assert replies and word not in str(replies)
    assert word not in everything_stored(stack)


def loket_cli(loket: RunningLoket, *args: str) -> subprocess.CompletedProcess[str]:
    """The operators' CLI on the stack's data dir and database, as an operator would run it."""
    env = {**os.environ, "LOKET_DATA_DIR": str(loket.settings.data_dir)}
    if loket.settings.database_url:
        env["LOKET_DATABASE_URL"] = loket.settings.database_url
    command = [sys.executable, "-m", "api.operations.cli", *args]
    for _attempt in range(5):  # the api's own run may hold the lock for a moment
        result = subprocess.run(command, env=env, capture_output=True, text=True, timeout=120)
        if "another retention run is in progress" not in result.stderr:
            return result
        time.sleep(1)
    return result


def test_retention_removes_an_expired_chat_and_erase_by_cli_the_rest(stack: RunningLoket) -> None:
    expired_word, kept_word = marker(), marker()
    expired = stack.new_conversation()
    stack.say(expired, f"Wat kost een paspoort? Vraag over {expired_word}")
    kept = stack.new_conversation()
    stack.say(kept, f"Wat kost een paspoort? Vraag over {kept_word}")
    # Its last message 31 days ago: past the chat period (30 days).
    engine = create_engine(stack.settings.sqlalchemy_url)
    with engine.begin() as connection:
        connection.execute(
            text("UPDATE conversations SET updated_at = :at, created_at = :at WHERE id = :c"),
            {"at": "2020-01-01 00:00:00", "c": expired},
        )
    engine.dispose()

    dry = loket_cli(stack, "retention", "run", "--dry-run")
    assert dry.returncode == 0, dry.stderr
    assert rows_of(stack, expired)["events"] > 0  # a dry run changes nothing
    result = loket_cli(stack, "retention", "run")
    assert result.returncode == 0, result.stderr
    assert "conversations without a case, idle over 30 days: 1" in result.stdout
    assert expired_word not in result.stdout
    assert set(rows_of(stack, expired).values()) == {0}
    assert rows_of(stack, kept)["messages"] == 2 and rows_of(stack, kept)["events"] > 0

    erased = loket_cli(stack, "erase", "--conversation", kept)
    assert erased.returncode == 0, erased.stderr
    assert f"Erased conversation {kept}: conversations 1, messages 2" in erased.stdout
    assert set(rows_of(stack, kept).values()) == {0}
    stored = everything_stored(stack)
    assert expired_word not in stored and kept_word not in stored
