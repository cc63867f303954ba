"""Faults while citizens chat: Rasa killed, Rasa hanging, a slow action, PostgreSQL restarted.

The real api and Rasa run under `loket run`'s supervisor (api/operations/stack.py), with short
timeouts, on a PostgreSQL instance of this module's own (restarting the machine's server would
disturb every other test using it). Rasa calls the actions through a relay in this test, which
can hold a call for longer than Rasa waits: an action server that has become slow. Each test
checks what the citizen sees, that crisis help still comes where it matters, and that every
message is stored exactly once.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import tempfile
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import cast

import httpx
import pytest
import yaml
from sqlalchemy import create_engine, text

from api.operations.stack import Backoff, Supervisor, answers, start_stack
from api.settings import PROJECT_ROOT, Settings
from tests.integration.conftest import RunningLoket, everything_stored, free_port

pytestmark = pytest.mark.integration

# Short, but with room for a busy two-core machine: a knowledge turn takes well under a second.
RASA_TIMEOUT_S = 15.0  # how long the gateway waits for Rasa
CRISIS_TIMEOUT_S = 3.0  # how long a crisis message waits for Rasa before the gateway answers itself
ACTION_TIMEOUT_S = 5.0  # how long Rasa waits for an action
PG_BIN = Path("/usr/lib/postgresql/15/bin")  # Debian's PostgreSQL 15
PASSWORD = "correct horse battery"
NOTICES = yaml.safe_load((PROJECT_ROOT / "data" / "handoff_messages.yml").read_text(encoding="utf-8"))


# --- a PostgreSQL server of this module's own --------------------------------------------------


@dataclass
class PrivatePostgres:
    directory: Path
    port: int

    @property
    def url(self) -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/loket"

    def pg_ctl(self, *args: str) -> None:
        options = f"-p {self.port} -k {self.directory} -c listen_addresses=127.0.0.1 -c fsync=off"
        data, log = str(self.directory / "data"), str(self.directory / "postgres.log")
        as_postgres([str(PG_BIN / "pg_ctl"), "-D", data, "-l", log, "-w", "-o", options, *args])

    def restart(self) -> None:
        """A fast restart: every open connection is cut, as when an operator restarts the server."""
        self.pg_ctl("-m", "fast", "restart")


def as_postgres(command: list[str]) -> None:
    """PostgreSQL refuses to run as root: as the `postgres` user then."""
    if os.geteuid() == 0:
        command = ["runuser", "-u", "postgres", "--", *command]
    subprocess.run(command, check=True, capture_output=True, timeout=120)


@pytest.fixture(scope="module")
def private_postgres() -> Iterator[PrivatePostgres]:
    if not (PG_BIN / "initdb").exists():
        pytest.fail(f"Debian's PostgreSQL 15 ({PG_BIN}) is needed to restart a server of the test's own")
    directory = Path(tempfile.mkdtemp(prefix="loket-pg-"))
    if os.geteuid() == 0:
        shutil.chown(directory, "postgres", "postgres")
    server = PrivatePostgres(directory, free_port())
    try:
        as_postgres([str(PG_BIN / "initdb"), "-D", str(directory / "data"), "-U", "postgres", "--auth=trust",
                     "-E", "UTF8", "--no-sync"])  # fmt: skip
        server.pg_ctl("start")
        admin = create_engine(f"postgresql+psycopg://postgres@127.0.0.1:{server.port}/postgres",
                              isolation_level="AUTOCOMMIT")  # fmt: skip
        with admin.connect() as connection:
            connection.execute(text("CREATE DATABASE loket"))
        admin.dispose()
        yield server
    finally:
        if (directory / "data" / "postmaster.pid").exists():
            server.pg_ctl("-m", "immediate", "stop")
        shutil.rmtree(directory, ignore_errors=True)


# --- an action server that can become slow ------------------------------------------------------


class SlowRelay(ThreadingHTTPServer):
    """Passes Rasa's action calls on to the api's /webhook; while `delay_s` is set it holds each
    call that long first."""

    daemon_threads = True

    def __init__(self, target: str) -> None:
        super().__init__(("127.0.0.1", 0), _Relay)
        self.target = target
        self.delay_s = 0.0
        self.held = 0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"


class _Relay(BaseHTTPRequestHandler):
    def do_POST(self) -> None:  # noqa: N802 - the name http.server calls
        relay = cast(SlowRelay, self.server)
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        if relay.delay_s:
            relay.held += 1
            time.sleep(relay.delay_s)
        headers = {name: self.headers[name] for name in ("Content-Type", "Content-Encoding") if self.headers[name]}
        upstream = httpx.post(relay.target + self.path, content=body, headers=headers, timeout=60)
        try:
            self.send_response(upstream.status_code)
            self.send_header("Content-Type", upstream.headers.get("content-type", "application/json"))
            self.send_header("Content-Length", str(len(upstream.content)))
            self.end_headers()
            self.wfile.write(upstream.content)
        except (BrokenPipeError, ConnectionResetError):
            pass  # Rasa stopped waiting

    def log_message(self, *_: object) -> None:
        pass


# --- Loket under supervision --------------------------------------------------------------------


@dataclass
class Faulty:
    loket: RunningLoket
    supervisor: Supervisor
    said: list[str]
    relay: SlowRelay
    postgres: PrivatePostgres


@pytest.fixture(scope="module")
def faulty(
    tmp_path_factory: pytest.TempPathFactory, trained_model: Path, built_index: Path, private_postgres: PrivatePostgres
) -> Iterator[Faulty]:
    data_dir = tmp_path_factory.mktemp("loket-faults") / "var"
    data_dir.mkdir()
    (data_dir / "index").symlink_to(built_index.resolve(), target_is_directory=True)
    settings = Settings(
        data_dir=data_dir, api_port=free_port(), rasa_port=free_port(), database_url=private_postgres.url,
        rasa_timeout_s=RASA_TIMEOUT_S, crisis_rasa_timeout_s=CRISIS_TIMEOUT_S, rasa_action_timeout_s=ACTION_TIMEOUT_S,
    )  # fmt: skip
    # The api process reads its settings from the environment.
    api_env = {
        "LOKET_RASA_TIMEOUT_S": str(RASA_TIMEOUT_S),
        "LOKET_CRISIS_RASA_TIMEOUT_S": str(CRISIS_TIMEOUT_S),
        "LOKET_HEALTH_CACHE_S": "0.5",
    }
    relay = SlowRelay(settings.api_url)
    threading.Thread(target=relay.serve_forever, daemon=True).start()
    stack = start_stack(settings, model=trained_model, extra_env=api_env, action_url=f"{relay.url}/webhook")
    loket = RunningLoket(settings, stack, httpx.Client(base_url=settings.api_url, timeout=60))
    said: list[str] = []
    supervisor = stack.supervisor(backoff=Backoff(first_s=0.5), echo=said.append)
    try:
        loket.create_user("moderator-afval", PASSWORD, "moderator", teams=["afval"])  # crises: every moderator
        warm_up(loket)
        with supervisor.in_background():
            yield Faulty(loket, supervisor, said, relay, private_postgres)
    finally:
        loket.client.close()
        stack.stop()
        relay.shutdown()
        relay.server_close()


def send(loket: RunningLoket, conversation: str, text_: str, key: str) -> httpx.Response:
    """As the chat page sends a message: with its Idempotency-Key, kept for a retry."""
    return loket.client.post(
        f"/api/chat/conversations/{conversation}/messages", json={"text": text_}, headers={"Idempotency-Key": key}
    )


def bot_texts(response: httpx.Response) -> list[str]:
    return [m["text"] for m in response.json()["messages"] if m["author"] == "bot"]


def warm_up(loket: RunningLoket, *, timeout_s: float = 120) -> None:
    """The api's first answer loads the answer engine and the router, which on a busy machine
    takes longer than this module's short action timeout: one question answered first."""
    conversation = loket.new_conversation()
    deadline = time.monotonic() + timeout_s
    while NOTICES["no_reply"]["nl"] in bot_texts(send(loket, conversation, "Wat kost een paspoort?", uuid.uuid4().hex)):
        assert time.monotonic() < deadline, f"no answer within {timeout_s:.0f} s"
        time.sleep(2)


def wait_for_rasa(loket: RunningLoket, *, timeout_s: float = 240) -> None:
    """Until Rasa itself is ready and the api's /health says so (it keeps its answer a few seconds)."""
    deadline = time.monotonic() + timeout_s
    while not (answers(loket.stack.rasa) and loket.client.get("/health").json()["rasa"] == "up"):
        assert time.monotonic() < deadline, f"Rasa did not come back within {timeout_s:.0f} s"
        time.sleep(1)


def health_says_rasa_is_down(loket: RunningLoket) -> dict[str, str]:
    """/health within its cache time (LOKET_HEALTH_CACHE_S) after Rasa went down."""
    deadline = time.monotonic() + loket.settings.health_cache_s + 5
    while True:
        health = loket.client.get("/health")
        assert health.status_code == 200  # the api serves on
        if health.json()["rasa"] == "down" or time.monotonic() > deadline:
            return dict(health.json())
        time.sleep(0.5)


def rasa_pid(loket: RunningLoket) -> int:
    assert loket.stack.rasa.process is not None
    return loket.stack.rasa.process.pid


def stored_once(loket: RunningLoket, conversation: str, question: str) -> None:
    """The citizen's message is in the api's store once and in Rasa's tracker once (as the user's
    event; Rasa's slots may quote it)."""
    engine = create_engine(str(loket.settings.database_url))
    with engine.connect() as connection:
        in_api = connection.execute(
            text("SELECT count(*) FROM messages WHERE conversation_id = :c AND author = 'citizen' AND text = :q"),
            {"c": conversation, "q": question},
        ).scalar_one()
        in_rasa = connection.execute(
            text("SELECT count(*) FROM events WHERE sender_id = :c AND type_name = 'user' AND data LIKE :q"),
            {"c": conversation, "q": f"%{question}%"},
        ).scalar_one()
    engine.dispose()
    assert (in_api, in_rasa) == (1, 1)
    # The same in everything that is stored: one citizen row for it (a resent message was not
    # stored again under another id).
    rows = [line for line in everything_stored(loket).splitlines() if f"'citizen', '{question}'" in line]
    assert len(rows) == 1, rows


def crisis_help_comes(faulty: Faulty, *, within_s: float) -> str:
    """A crisis message gets the help lines in time and a high-priority crisis case that a
    moderator sees in the queue."""
    loket = faulty.loket
    conversation = loket.new_conversation()
    began = time.monotonic()
    response = send(loket, conversation, "Ik wil niet meer leven", uuid.uuid4().hex)
    took = time.monotonic() - began
    assert response.status_code == 200, response.text
    first = bot_texts(response)[0]
    assert "113" in first and "0800-0113" in first and "112" in first, first
    assert took < within_s, f"the help lines took {took:.1f} s"
    with httpx.Client(base_url=loket.settings.api_url, timeout=30) as moderator:
        login = {"username": "moderator-afval", "password": PASSWORD}
        moderator.post("/api/auth/login", json=login).raise_for_status()
        queue = moderator.get("/api/moderator/escalations").json()
    [case] = [case for case in queue if case["conversation_id"] == conversation]
    assert (case["reason"], case["priority"], case["team"]) == ("crisis", "high", "crisis")
    return conversation


def test_rasa_killed_mid_conversation_is_restarted_and_the_kept_message_answered(faulty: Faulty) -> None:
    loket = faulty.loket
    wait_for_rasa(loket)
    conversation = loket.new_conversation()
    assert send(loket, conversation, "Wat kost een paspoort?", uuid.uuid4().hex).status_code == 200

    killed = rasa_pid(loket)
    os.killpg(killed, signal.SIGKILL)
    question, key = "Hoe lang is een identiteitskaart geldig?", uuid.uuid4().hex
    response = send(loket, conversation, question, key)
    assert response.status_code == 503 and response.json()["detail"] == NOTICES["unavailable"]["nl"]
    assert response.headers["Retry-After"]
    # While Rasa restarts the api serves on: crisis help, the moderators' queue, its health check.
    crisis_help_comes(faulty, within_s=CRISIS_TIMEOUT_S + 5)
    health = health_says_rasa_is_down(loket)
    assert health["rasa"] == "down" and health["database"] == "up"

    wait_for_rasa(loket)
    assert rasa_pid(loket) != killed
    assert any("rasa stopped unexpectedly (signal SIGKILL); restart 1 in 0.5 s" in line for line in faulty.said)
    assert any("Restarted rasa (attempt 1)" in line for line in faulty.said)
    retried = send(loket, conversation, question, key)  # the page's retry, same key
    assert retried.status_code == 200, retried.text
    answers = bot_texts(retried)
    assert answers and NOTICES["no_reply"]["nl"] not in answers, answers
    stored_once(loket, conversation, question)


def test_rasa_hanging_gives_a_reply_in_bounded_time_and_crisis_help_within_its_timeout(faulty: Faulty) -> None:
    loket = faulty.loket
    wait_for_rasa(loket)
    conversation = loket.new_conversation()
    assert send(loket, conversation, "Wat kost een paspoort?", uuid.uuid4().hex).status_code == 200

    hanging = rasa_pid(loket)
    os.killpg(hanging, signal.SIGSTOP)  # it keeps its port: connections are accepted, nothing answered
    try:
        question, key = "Hoe vraag ik een rijbewijs aan?", uuid.uuid4().hex
        began = time.monotonic()
        response = send(loket, conversation, question, key)
        took = time.monotonic() - began
        assert response.status_code == 503 and response.json()["detail"] == NOTICES["unavailable"]["nl"]
        assert RASA_TIMEOUT_S - 1 < took < RASA_TIMEOUT_S + 5, took
        crisis_help_comes(faulty, within_s=CRISIS_TIMEOUT_S + 5)
    finally:
        os.killpg(hanging, signal.SIGCONT)

    retried = send(loket, conversation, question, key)
    assert retried.status_code == 200, retried.text
    assert bot_texts(retried) and NOTICES["no_reply"]["nl"] not in bot_texts(retried)
    assert rasa_pid(loket) == hanging  # a hanging process is not a crashed one
    stored_once(loket, conversation, question)


def test_an_action_slower_than_rasa_waits_ends_in_a_reply_and_the_conversation_goes_on(faulty: Faulty) -> None:
    loket = faulty.loket
    wait_for_rasa(loket)
    conversation = loket.new_conversation()
    answered = send(loket, conversation, "Wat kost een paspoort?", uuid.uuid4().hex)
    assert answered.status_code == 200 and NOTICES["no_reply"]["nl"] not in bot_texts(answered)  # via the relay

    question = "Wanneer wordt het grofvuil opgehaald?"
    faulty.relay.delay_s = ACTION_TIMEOUT_S + 3
    held_before = faulty.relay.held
    try:
        began = time.monotonic()
        response = send(loket, conversation, question, uuid.uuid4().hex)
        took = time.monotonic() - began
    finally:
        faulty.relay.delay_s = 0
    assert faulty.relay.held > held_before  # the answer's action was held past Rasa's timeout
    # Rasa gave up on the action and replied without it (nothing): the gateway's own apology.
    assert response.status_code == 200, response.text
    assert bot_texts(response) == [NOTICES["no_reply"]["nl"]]
    assert ACTION_TIMEOUT_S - 1 < took < RASA_TIMEOUT_S, took

    following = send(loket, conversation, "Wat kost een identiteitskaart?", uuid.uuid4().hex)
    assert following.status_code == 200 and NOTICES["no_reply"]["nl"] not in bot_texts(following)
    stored_once(loket, conversation, question)


def test_postgresql_restarted_mid_conversation_the_next_turns_work(faulty: Faulty) -> None:
    loket = faulty.loket
    wait_for_rasa(loket)
    conversation = loket.new_conversation()
    assert send(loket, conversation, "Wat kost een paspoort?", uuid.uuid4().hex).status_code == 200

    faulty.postgres.restart()  # every pooled connection of the api and of Rasa is now dead
    for question in ("Hoe vraag ik bijzondere bijstand aan?", "Wat kost een parkeervergunning?"):
        response = send(loket, conversation, question, uuid.uuid4().hex)
        assert response.status_code == 200, response.text
        assert bot_texts(response) and NOTICES["no_reply"]["nl"] not in bot_texts(response)
        stored_once(loket, conversation, question)
    assert loket.client.get("/health").json()["database"] == "up"
