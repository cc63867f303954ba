"""Many citizens at once against the real api and Rasa: nothing freezes, nothing is lost.

Before the gateway was asynchronous, 50 conversations sending at once used up the api's
worker threads waiting on Rasa, while Rasa waited on the api's /webhook: every turn timed
out. The client here behaves like the chat page: one Idempotency-Key per message, and a
retry after Retry-After on a busy (429) reply.
"""

from __future__ import annotations

import asyncio
import uuid
from dataclasses import dataclass, field

import httpx
import pytest

from tests.integration.conftest import RunningLoket

pytestmark = pytest.mark.integration

QUESTIONS = [
    "Wat kost een paspoort?",
    "Wanneer wordt het grofvuil opgehaald?",
    "Hoe vraag ik bijzondere bijstand aan?",
    "Ik wil een kapotte lantaarnpaal melden",
    "How much does a parking permit cost?",
]


@dataclass
class Outcome:
    conversation: str = ""
    statuses: list[int] = field(default_factory=list)
    replies: int = 0


async def citizen(http: httpx.AsyncClient, question: str, start: asyncio.Event) -> Outcome:
    outcome = Outcome()
    created = await http.post("/api/chat/conversations", json={"language": "nl"})
    outcome.statuses.append(created.status_code)
    outcome.conversation = created.json()["conversation_id"]
    key = uuid.uuid4().hex
    await start.wait()  # everyone presses Enter at the same moment
    for _ in range(30):
        response = await http.post(
            f"/api/chat/conversations/{outcome.conversation}/messages",
            json={"text": question},
            headers={"Idempotency-Key": key},
        )
        outcome.statuses.append(response.status_code)
        if response.status_code != 429:
            break
        await asyncio.sleep(float(response.headers["Retry-After"]))
    if response.status_code == 200:
        outcome.replies = sum(1 for m in response.json()["messages"] if m["author"] == "bot")
    return outcome


async def hundred_at_once(base_url: str) -> list[Outcome]:
    limits = httpx.Limits(max_connections=200)
    async with httpx.AsyncClient(base_url=base_url, timeout=120, limits=limits) as http:
        start = asyncio.Event()
        tasks = [asyncio.create_task(citizen(http, QUESTIONS[i % len(QUESTIONS)], start)) for i in range(100)]
        await asyncio.sleep(0.5)
        start.set()
        return await asyncio.gather(*tasks)


def test_a_hundred_conversations_at_once_all_get_an_answer_and_each_message_is_stored_once(
    loket: RunningLoket,
) -> None:
    outcomes = asyncio.run(hundred_at_once(loket.settings.api_url))

    errors = [status for outcome in outcomes for status in outcome.statuses if status not in (200, 201, 429)]
    assert errors == []
    assert all(outcome.statuses[-1] == 200 and outcome.replies >= 1 for outcome in outcomes)
    for outcome in outcomes:
        stored = loket.client.get(f"/api/chat/conversations/{outcome.conversation}/messages").json()
        authors = [message["author"] for message in stored]
        assert authors.count("citizen") == 1 and authors[0] == "citizen" and authors.count("bot") == outcome.replies


def test_two_messages_of_one_conversation_sent_together_are_answered_in_turn(loket: RunningLoket) -> None:
    conversation = loket.new_conversation()

    async def both() -> None:
        async with httpx.AsyncClient(base_url=loket.settings.api_url, timeout=60) as http:
            path = f"/api/chat/conversations/{conversation}/messages"
            responses = await asyncio.gather(
                http.post(path, json={"text": "Wat kost een paspoort?"}),
                http.post(path, json={"text": "Wat kost een identiteitskaart?"}),
            )
            assert [response.status_code for response in responses] == [200, 200]

    asyncio.run(both())
    stored = loket.client.get(f"/api/chat/conversations/{conversation}/messages").json()
    authors = [message["author"] for message in stored]
    # Each question is followed by its own answers before the next question is taken up.
    first_answer_end = authors.index("citizen", 1)
    assert authors[0] == "citizen" and set(authors[1:first_answer_end]) == {"bot"}
    assert set(authors[first_answer_end + 1 :]) == {"bot"}
