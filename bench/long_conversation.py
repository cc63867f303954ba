"""What a long conversation costs the api: a turn, the page's first read, a poll.

    .venv/bin/python bench/long_conversation.py [--messages 630] [--turns 20] [--database-url URL] [--root DIR]
    .venv/bin/python bench/long_conversation.py --through-rasa 300

The api runs in-process (FastAPI's TestClient, lifespan included) on a tiny corpus with the
hashing embedder, on a fresh SQLite file (or a database at --database-url); Rasa is a stub HTTP
server that answers at once, so a turn's time is the api's own work: the gateway's reads and
writes, redaction, language detection, the HTTP layer. A conversation of --messages messages
(half citizen, half bot replies with a source, as a chat has them) is written directly through the
conversation store; then --turns turns are sent to it and to a fresh conversation, and the page's
reads are measured: the first read of the transcript (GET .../messages, no parameters) and a poll
for what is new (?after=<last id>). The length cap is raised for the turns (they must get through),
then one message past the default cap shows what the citizen gets.

--through-rasa N: instead, N real turns through the whole stack (api + Rasa + actions, started on
free ports like the integration tests, bench/stack_helper.py) in one conversation: how Rasa's part
grows with the conversation (every turn Rasa loads the conversation's events from its tracker
store and sends them to the actions), per block of 50 turns.

--root: the project tree to import the api from (e.g. an export of an earlier commit, made with
`git archive <commit> | tar -x -C DIR`), to measure before and after a change with the same script.
"""

from __future__ import annotations

import argparse
import json
import socket
import statistics
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

DOCUMENT = """---
id: paspoort-aanvragen
title: Paspoort aanvragen
language: nl
audience: public
team: burgerzaken
---
# Paspoort aanvragen

## Kosten

Een paspoort voor volwassenen kost € 84,20.
"""
BOT_TEXT = (
    "Een paspoort voor volwassenen kost € 84,20. U vraagt het aan bij de gemeente waar u staat "
    "ingeschreven; neem uw oude paspoort en een pasfoto mee. Het is na vijf werkdagen klaar."
)
SOURCE = {"doc_id": "paspoort-aanvragen", "title": "Paspoort aanvragen", "heading": "Kosten",
          "url": "/documents/paspoort-aanvragen#kosten", "language": "nl"}  # fmt: skip


def free_port() -> int:
    # Not api.operations.ports: with --root this must run against checkouts that predate it, and
    # importing from api here would load this checkout's api before --root is on the path.
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def stub_rasa() -> Iterator[int]:
    """Rasa's REST channel, answering every message at once."""
    import uvicorn
    from starlette.applications import Starlette
    from starlette.requests import Request
    from starlette.responses import JSONResponse
    from starlette.routing import Route

    async def webhook(request: Request) -> JSONResponse:
        body = await request.json()
        return JSONResponse([{"recipient_id": body["sender"], "text": BOT_TEXT, "custom": {"sources": [SOURCE]}}])

    async def status(_request: Request) -> JSONResponse:
        return JSONResponse({"model_file": "stub"})

    port = free_port()
    app = Starlette(routes=[Route("/webhooks/rest/webhook", webhook, methods=["POST"]), Route("/status", status)])
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.05)
    try:
        yield port
    finally:
        server.should_exit = True
        thread.join()


def median_ms(values: list[float]) -> float:
    return round(statistics.median(values) * 1000, 1)


def timed(call: Callable[[], Any]) -> tuple[float, Any]:
    started = time.perf_counter()
    result = call()
    return time.perf_counter() - started, result


def write_conversation(client: Any, store: Any, messages: int) -> str:
    """A new conversation with `messages` messages written straight into the store."""
    conversation_id = str(client.post("/api/chat/conversations", json={"language": "nl"}).json()["conversation_id"])
    for n in range(messages):
        citizen = n % 2 == 0
        store.add_message(
            conversation_id=conversation_id, author="citizen" if citizen else "bot",
            text=f"Vraag {n} over het aanvragen van een paspoort?" if citizen else BOT_TEXT,
            language="nl", sources=None if citizen else [SOURCE],
        )  # fmt: skip
    return conversation_id


def measure(client: Any, conversation_id: str, turns: int) -> dict[str, Any]:
    path = f"/api/chat/conversations/{conversation_id}/messages"
    times = []
    for turn in range(turns + 2):
        message = {"text": f"Wat kost een paspoort? ({turn})", "language": "nl"}
        took, response = timed(lambda message=message: client.post(path, json=message))
        assert response.status_code == 200, response.text
        if turn >= 2:  # the first turns warm up the language detector and the pools
            times.append(took)
    first_read = [timed(lambda: client.get(path)) for _ in range(5)]
    last_id = first_read[0][1].json()[-1]["id"]
    poll = [timed(lambda: client.get(f"{path}?after={last_id}")) for _ in range(20)]
    return {
        "turn_ms_median": median_ms(times),
        "turn_ms_max": round(max(times) * 1000, 1),
        "first_read_ms": median_ms([t for t, _ in first_read]),
        "first_read_bytes": len(first_read[0][1].content),
        "first_read_messages": len(first_read[0][1].json()),
        "poll_ms": median_ms([t for t, _ in poll]),
        "poll_bytes": len(poll[0][1].content),
    }


def through_rasa(turns: int) -> dict[str, Any]:
    import httpx

    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from stack_helper import running_loket

    questions = ["Wat kost een paspoort?", "Wanneer wordt het grofvuil opgehaald?", "Hoe geef ik mijn verhuizing door?"]
    with running_loket() as settings, httpx.Client(base_url=settings.api_url, timeout=60) as client:
        conversation_id = client.post("/api/chat/conversations", json={"language": "nl"}).json()["conversation_id"]
        path = f"/api/chat/conversations/{conversation_id}/messages"
        times = []
        for turn in range(turns):
            message = {"text": questions[turn % len(questions)], "language": "nl"}
            took, response = timed(lambda message=message: client.post(path, json=message))
            assert response.status_code == 200, response.text
            times.append(took)
    blocks = {f"turns {start + 1}-{start + 50}": median_ms(times[start : start + 50]) for start in range(0, turns, 50)}
    return {"turns": turns, "turn_ms_median_per_block": blocks}


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    parser.add_argument("--messages", type=int, default=630)
    parser.add_argument("--turns", type=int, default=20)
    parser.add_argument("--database-url", default=None)
    parser.add_argument("--root", type=Path, default=Path(__file__).resolve().parent.parent)
    parser.add_argument("--through-rasa", type=int, default=0, metavar="N")
    args = parser.parse_args()
    if args.through_rasa:
        print(json.dumps(through_rasa(args.through_rasa), indent=2))
        return
    sys.path.insert(0, str(args.root.resolve()))

    from fastapi.testclient import TestClient
    from pydantic import SecretStr

    from api import settings as settings_module
    from api.main import create_app
    from api.services.conversations import ConversationStore
    from api.services.database import make_engine, make_sessionmaker
    from api.settings import Settings
    from knowledge.embedding import make_embedder
    from knowledge.index import build_index
    from knowledge.ingest import load_documents

    with tempfile.TemporaryDirectory(prefix="loket-long-") as tmp, stub_rasa() as rasa_port:
        corpus = Path(tmp) / "policies"
        corpus.mkdir()
        (corpus / "paspoort-aanvragen.md").write_text(DOCUMENT, encoding="utf-8")
        settings = Settings(
            data_dir=Path(tmp) / "var", rasa_port=rasa_port, database_url=args.database_url,
            action_token=SecretStr("bench-token"), retention_interval_hours=0,
            # One client sends every turn: per-client rate limits (where the tree has them) must not count.
            **getattr(settings_module, "LOAD_TEST_RATE_LIMITS", {}),
        )  # fmt: skip
        build_index(load_documents([corpus]).documents, embedder=make_embedder("hashing"), index_dir=settings.index_dir)
        engine = make_engine(settings.sqlalchemy_url)
        store = ConversationStore(sessions=make_sessionmaker(engine))
        results: dict[str, Any] = {"messages_written": args.messages, "turns": args.turns}
        # The turns must get through, whatever the cap.
        with TestClient(create_app(settings.model_copy(update={"max_citizen_messages": 10**6}))) as client:
            results["fresh"] = measure(client, write_conversation(client, store, 0), args.turns)
            results["long"] = measure(client, write_conversation(client, store, args.messages), args.turns)
        # What the citizen gets past the default cap.
        with TestClient(create_app(settings)) as client:
            path = f"/api/chat/conversations/{write_conversation(client, store, args.messages)}/messages"
            took, response = timed(lambda: client.post(path, json={"text": "Nog een vraag", "language": "nl"}))
            results["past_the_cap"] = {"status": response.status_code, "ms": round(took * 1000, 1),
                                       "detail": str(response.json().get("detail"))[:80]}  # fmt: skip
        engine.dispose()
    print(json.dumps(results, indent=2, ensure_ascii=False))


if __name__ == "__main__":
    main()
