"""The kill switches through the real chat path (api + Rasa + actions): switched off by an operator's
CLI in another process and on again by an admin over HTTP, while crisis help keeps working."""

from __future__ import annotations

import getpass
import os
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass

import httpx
import pytest

from tests.integration.conftest import RunningLoket

pytestmark = pytest.mark.integration

PASSWORD = "kill switch test password"
CRISIS = "ik wil niet meer leven"


@dataclass
class Admin:
    name: str
    client: httpx.Client  # logged in as `name`


@pytest.fixture
def admin(loket: RunningLoket) -> Iterator[Admin]:
    """An admin with a client of their own; every switch is on again afterwards (the stack is shared)."""
    name = f"admin-{uuid.uuid4().hex[:8]}"
    loket.create_user(name, PASSWORD, "admin")
    client = httpx.Client(base_url=loket.settings.api_url, timeout=60)
    client.post("/api/auth/login", json={"username": name, "password": PASSWORD}).raise_for_status()
    yield Admin(name, client)
    client.put("/api/admin/switches", json={"chat": True, "answers": True, "forms": True}).raise_for_status()
    client.close()


def switch_with_the_cli(loket: RunningLoket, *argv: str) -> None:
    env = {**os.environ, "LOKET_DATA_DIR": str(loket.settings.data_dir)}
    command = [sys.executable, "-m", "api.operations.cli", "switch", *argv]
    subprocess.run(command, env=env, check=True, capture_output=True, text=True)


def wait_for_status(loket: RunningLoket, part: str, on: bool, *, within_s: float = 10.0) -> float:
    """Seconds until the api reports `part` as `on`."""
    started = time.monotonic()
    while loket.client.get("/api/chat/status").json()[part] is not on:
        assert time.monotonic() - started < within_s, f"{part} still not {on} after {within_s} s"
        time.sleep(0.2)
    return time.monotonic() - started


def answered_after_warm_up(loket: RunningLoket, question: str, *, tries: int = 3) -> dict:
    """The bot's last reply to `question`. The first knowledge turns after start load the answer
    engine's models; on a busy machine such a turn can outlast Rasa's action timeout (the gateway's
    "something went wrong"), so a fresh stack is asked again a few times."""
    for _ in range(tries):
        reply = loket.bot_replies(loket.new_conversation(), question)[-1]
        if reply["sources"]:
            return reply
    return reply


def test_answers_off_refuses_questions_but_not_crisis_help_and_on_again_answers(
    loket: RunningLoket, admin: Admin
) -> None:
    answer = answered_after_warm_up(loket, "Wat kost een paspoort?")
    assert "€" in answer["text"] and answer["sources"], answer

    switch_with_the_cli(loket, "off", "answers", "--reason", "verouderde tarieven")
    assert wait_for_status(loket, "answers", False) < 5  # another process's change, within the cache's 2 s

    conversation = loket.new_conversation()
    [refusal] = loket.bot_replies(conversation, "Wat kost een paspoort?")
    assert refusal["text"].startswith("Ik kan op dit moment geen vragen beantwoorden"), refusal
    assert "14 0123" in refusal["text"] and "maandag t/m woensdag" in refusal["text"]
    assert refusal["sources"] == [] and "€" not in refusal["text"]

    crisis = loket.bot_replies(loket.new_conversation(), CRISIS)
    assert "113" in crisis[0]["text"] and "0800-0113" in crisis[0]["text"], crisis

    response = admin.client.put("/api/admin/switches", json={"answers": True, "reason": "tarieven bijgewerkt"})
    assert response.status_code == 200
    assert loket.client.get("/api/chat/status").json()["answers"] is True  # one api process: at once
    answer = loket.bot_replies(loket.new_conversation(), "Wat kost een paspoort?")[-1]
    assert "€" in answer["text"] and answer["sources"], answer

    entries = admin.client.get("/api/admin/audit", params={"action": "chat_switch.set"}).json()
    assert [(e["actor"], e["target_id"], e["details"]["on"], e["details"]["reason"]) for e in entries[:2]] == [
        (admin.name, "answers", True, "tarieven bijgewerkt"),
        (f"cli:{getpass.getuser()}", "answers", False, "verouderde tarieven"),
    ]


def test_chat_off_refuses_a_message_without_keeping_it_but_crisis_words_get_113(
    loket: RunningLoket, admin: Admin
) -> None:
    conversation = loket.new_conversation()
    path = f"/api/chat/conversations/{conversation}/messages"
    admin.client.put("/api/admin/switches", json={"chat": False, "reason": "storing"}).raise_for_status()

    refused = loket.client.post(path, json={"text": "Wat kost een paspoort?"})
    assert refused.status_code == 503 and refused.headers["Loket-Switched-Off"] == "chat"
    assert "14 0123" in refused.json()["detail"] and "113" in refused.json()["detail"]
    assert loket.client.get(path).json() == []

    crisis = loket.client.post(path, json={"text": CRISIS})
    assert crisis.status_code == 200
    texts = [m["text"] for m in crisis.json()["messages"] if m["author"] == "bot"]
    assert "113" in texts[0] and len(texts) == 2, texts  # the help lines, then the escalation's note
