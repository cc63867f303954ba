"""Two api processes and two Rasa servers behind HAProxy, on PostgreSQL and Redis.

Any replica may serve any turn: a conversation keeps its form and language when its turns
alternate between replicas, a moderator's reply reaches the citizen through either api, and
killing an api and a Rasa in the middle of a load run loses no message.
"""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from api.operations.replicas import ReplicaStack, start_replicas
from api.settings import LOAD_TEST_RATE_LIMITS, Settings
from tests.conftest import REDIS_URL
from tests.integration.conftest import free_port

pytestmark = pytest.mark.integration


@dataclass
class Replicas:
    settings: Settings
    stack: ReplicaStack
    api_ports: list[int]

    def api(self, replica: int) -> httpx.Client:
        """A client of one api replica, bypassing the balancer."""
        return httpx.Client(base_url=f"http://127.0.0.1:{self.api_ports[replica]}", timeout=60)

    def balanced(self) -> httpx.Client:
        return httpx.Client(base_url=self.settings.api_url, timeout=60)


@pytest.fixture(scope="module")
def replicas(
    tmp_path_factory: pytest.TempPathFactory, trained_model: Path, built_index: Path, postgres_url: str
) -> Iterator[Replicas]:
    data_dir = tmp_path_factory.mktemp("replicas") / "var"
    data_dir.mkdir()
    (data_dir / "index").symlink_to(built_index.resolve(), target_is_directory=True)
    settings = Settings(
        data_dir=data_dir,
        api_port=free_port(),
        rasa_port=free_port(),
        database_url=postgres_url,
        redis_url=REDIS_URL,
        **LOAD_TEST_RATE_LIMITS,  # the load run sends many conversations from 127.0.0.1
    )
    api_ports = [free_port(), free_port()]
    stack = start_replicas(settings, model=trained_model, api_ports=api_ports, rasa_ports=[free_port(), free_port()])
    yield Replicas(settings, stack, api_ports)
    stack.stop()


def say(client: httpx.Client, conversation: str, text: str) -> list[str]:
    response = client.post(
        f"/api/chat/conversations/{conversation}/messages",
        json={"text": text},
        headers={"Idempotency-Key": uuid.uuid4().hex},
    )
    assert response.status_code == 200, response.text
    return [m["text"] for m in response.json()["messages"] if m["author"] == "bot"]


def rasa_turns(replicas: Replicas) -> list[str]:
    """Which Rasa replica HAProxy sent each turn to, from its log."""
    log = (replicas.settings.data_dir / "logs" / "haproxy.log").read_text(encoding="utf-8")
    return [line.split("rasas/")[1].split()[0] for line in log.splitlines() if "rasas/" in line and "POST" in line]


def test_a_form_keeps_its_state_and_language_when_turns_alternate_between_replicas(replicas: Replicas) -> None:
    first, second = replicas.api(0), replicas.api(1)
    conversation = first.post("/api/chat/conversations", json={"language": "en"}).json()["conversation_id"]
    before = len(rasa_turns(replicas))
    asked = say(first, conversation, "I want to report a broken street light")
    assert "problem" in asked[-1].lower(), asked
    say(second, conversation, "The street light in front of our house is out")
    photo = say(first, conversation, "next to the main entrance of the public library")
    assert "photo" in photo[-1].lower(), photo  # the form went on where the other replica left it
    say(second, conversation, "no")
    summary = say(first, conversation, "piet@example.nl")[-1]
    assert "public library" in summary and "street light" in summary.lower(), summary
    served_by = set(rasa_turns(replicas)[before:])
    assert served_by == {"rasa1", "rasa2"}, served_by  # both Rasa replicas took turns of it


def test_a_moderators_reply_reaches_the_citizen_through_either_replica(replicas: Replicas) -> None:
    citizen_side, moderator_side = replicas.api(0), replicas.api(1)
    conversation = citizen_side.post("/api/chat/conversations", json={"language": "nl"}).json()["conversation_id"]
    say(citizen_side, conversation, "Ik wil een medewerker spreken")

    username, password = f"mod-{uuid.uuid4().hex[:6]}", "lang en veilig wachtwoord 42"
    env = {**os.environ, "LOKET_DATA_DIR": str(replicas.settings.data_dir),
           "LOKET_DATABASE_URL": str(replicas.settings.database_url)}  # fmt: skip
    subprocess.run(
        [sys.executable, "-m", "api.operations.cli", "users", "create", username, "--password-stdin",
         "--role=moderator", "--team=klantcontact"],
        input=password + "\n", text=True, env=env, check=True, capture_output=True,
    )  # fmt: skip
    assert moderator_side.post("/api/auth/login", json={"username": username, "password": password}).status_code == 200
    queue = moderator_side.get("/api/moderator/escalations", params={"status": "open"}).json()
    [escalation] = [item for item in queue if item["conversation_id"] == conversation]
    assert moderator_side.post(f"/api/moderator/escalations/{escalation['id']}/claim").status_code == 200
    sent = moderator_side.post(
        f"/api/moderator/escalations/{escalation['id']}/messages", json={"text": "Goedemiddag, ik help u verder."}
    )
    assert sent.status_code == 201
    # The citizen's page polls the other replica.
    seen = citizen_side.get(f"/api/chat/conversations/{conversation}/messages").json()
    assert seen[-1]["author"] == "moderator" and seen[-1]["text"] == "Goedemiddag, ik help u verder."
    # And the citizen's answer, through the first replica, reaches the moderator on the second.
    say(citizen_side, conversation, "Dank u, mijn vraag gaat over de afvalpas")
    packet = moderator_side.get(f"/api/moderator/escalations/{escalation['id']}").json()
    assert "afvalpas" in str(packet)


async def load_through_balancer(url: str, conversations: int, turns: int, kill: asyncio.Event) -> dict[str, int]:
    """Conversations through HAProxy, as the page sends them: a key per message, retry on busy."""
    counts = {"answered": 0, "busy": 0, "errors": 0}
    problems: list[str] = []
    sent: dict[str, int] = {}

    async def citizen(http: httpx.AsyncClient, index: int) -> None:
        conversation = (await http.post("/api/chat/conversations", json={})).json()["conversation_id"]
        sent[conversation] = 0
        for turn in range(turns):
            if index == 0 and turn == 1:
                kill.set()  # the first conversation's second turn: processes die from here on
            key = uuid.uuid4().hex
            sent[conversation] += 1
            for _ in range(30):
                response = await http.post(
                    f"/api/chat/conversations/{conversation}/messages",
                    json={"text": ["Wat kost een paspoort?", "Wanneer komt het grofvuil?"][turn % 2]},
                    headers={"Idempotency-Key": key},
                )
                if response.status_code == 429:
                    counts["busy"] += 1
                    await asyncio.sleep(float(response.headers["Retry-After"]))
                    continue
                counts["answered" if response.status_code == 200 else "errors"] += 1
                if response.status_code != 200:
                    problems.append(f"{response.status_code} {response.text[:80]}")
                break
            await asyncio.sleep(0.5)

    async with httpx.AsyncClient(base_url=url, timeout=120) as http:
        await asyncio.gather(*(citizen(http, i) for i in range(conversations)))
        lost = 0
        for conversation, count in sent.items():
            stored = (await http.get(f"/api/chat/conversations/{conversation}/messages")).json()
            citizen_messages = [i for i, m in enumerate(stored) if m["author"] == "citizen"]
            answered = [i for i in citizen_messages if i + 1 < len(stored) and stored[i + 1]["author"] == "bot"]
            lost += abs(count - len(citizen_messages)) + (len(citizen_messages) - len(answered))
    return counts | {"lost": lost, "sent": sum(sent.values()), "problems": problems[:5]}  # type: ignore[dict-item]


def test_killing_an_api_and_a_rasa_mid_load_loses_no_message(replicas: Replicas) -> None:
    kill = asyncio.Event()

    async def run() -> dict[str, int]:
        async def killer() -> None:
            await kill.wait()
            await asyncio.sleep(0.3)
            for process in (replicas.stack.apis[0].process, replicas.stack.rasas[0].process):
                assert process is not None
                os.killpg(process.pid, signal.SIGKILL)

        results = await asyncio.gather(load_through_balancer(replicas.settings.api_url, 20, 4, kill), killer())
        return results[0]

    outcome = asyncio.run(run())
    assert outcome["errors"] == 0, outcome
    assert outcome["lost"] == 0, outcome
    assert outcome["answered"] == outcome["sent"] == 80, outcome
