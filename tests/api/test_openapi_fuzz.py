"""The whole OpenAPI schema, fuzzed with schemathesis: no request, however malformed, gets a 500.

Each generated request goes out once per kind of caller: anonymous; a citizen (the citizen's own
conversation id in place of the generated one); staff, a moderator and an admin (session cookies);
an API token of scope search+route. The logged-in callers send it a second time with the ids of
real rows (a conversation, a case, a user, a token, an internal document), so the code behind the
404s is fuzzed too. Responses must also match the documented response schemas.

State-changing operations (POST/PUT/PATCH/DELETE) run too: on SQLite and on PostgreSQL each run has
a database of its own (a fresh data dir; a fresh PostgreSQL database, dropped afterwards), never a
shared one. Rasa is not running: a chat turn gets the gateway's localised 503, by design.
"""

from __future__ import annotations

import gc
import shutil
import time
import uuid
from collections.abc import Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import schemathesis
import yaml
from fastapi import FastAPI
from pydantic import SecretStr
from schemathesis import Case, CheckContext, Response
from schemathesis.checks import not_a_server_error, response_schema_conformance
from schemathesis.config import HealthCheck
from schemathesis.errors import FailureGroup
from schemathesis.python import asgi

from api.deps import SESSION_COOKIE
from api.main import create_app
from api.routers.citizen import SWITCHED_OFF_HEADER
from api.services.escalations import EscalationWorkflow
from api.services.users import User, UserStore
from api.settings import LOAD_TEST_RATE_LIMITS, Settings
from tests.api.conftest import INTERNAL, OTHER_TEAM, PASSWORD, PUBLIC, free_port
from tests.conftest import POSTGRES_ADMIN_URL
from tests.postgres import temporary_database

# Examples per operation in the fuzzing phase; the coverage phase adds its boundary and wrong-type
# cases (about 20 per operation). With six callers this keeps the file at a few minutes on 2 cores.
MAX_EXAMPLES = 10
DOCUMENTS = {"paspoort-aanvragen": PUBLIC, "werkinstructie-spoed": INTERNAL, "beleidsregel-kwijtschelding": OTHER_TEAM}
TEAM = "burgerzaken"
# A successful request of these removes or closes the real row it named: the next one gets a new row.
CONSUMING_SUFFIXES = ("/resolve", "/hand-back")

# The schema is the app's own OpenAPI document (reading it needs no lifespan); each test sends the
# requests to its own app, in-process.
schema = schemathesis.openapi.from_dict(create_app(Settings()).openapi())
schema.config.generation.update(max_examples=MAX_EXAMPLES, database="none", deterministic=True)
# Requests with methods an operation does not have only meet the router's 405.
schema.config.phases.coverage.unexpected_methods = set()
schema.config.update(suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
BASE_URL = f"http://{asgi.HOST}"


@dataclass(frozen=True)
class Caller:
    role: str
    headers: dict[str, str]
    # Whose session the cookie is (a logout ends it: that request gets a session of its own).
    person: User | None = None
    # Sends each request again with the ids of real rows.
    real_ids: bool = True


class Fuzzing:
    """One in-process app on a database of its own, its callers and real rows to aim at."""

    def __init__(self, app: FastAPI, client: asgi.ASGIClient) -> None:
        self.app = app
        self.client = client
        self.users: UserStore = app.state.users
        self.escalations: EscalationWorkflow = app.state.escalations
        self.staff = self._user("staff")
        token_owner = self._user("staff")
        _, token = self.users.create_token(token_owner, name="fuzz", scopes=("search", "route"))
        self.callers = [
            Caller("anonymous", {}, real_ids=False),
            Caller("citizen", {}),
            self._logged_in(self.staff),
            self._logged_in(self._user("moderator")),
            self._logged_in(self._user("admin")),
            Caller("token", {"Authorization": f"Bearer {token}"}),
        ]
        self.real: dict[str, str] = {"username": self._user("staff").username, "doc_id": "werkinstructie-spoed"}
        for name in ("conversation_id", "case_number", "escalation_id", "token_id"):
            self.renew(name)

    def _user(self, role: str) -> User:
        name = f"{role}-{uuid.uuid4().hex[:8]}"
        return self.users.create(username=name, password=PASSWORD, roles=[role], teams=[TEAM], display_name=name)

    def _logged_in(self, user: User) -> Caller:
        return Caller(next(iter(user.roles)), self.session_cookie(user), person=user)

    def session_cookie(self, user: User) -> dict[str, str]:
        return {"Cookie": f"{SESSION_COOKIE}={self.users.open_session(user)}"}

    def conversation(self) -> str:
        """A conversation with one citizen message, opened as the chat page does (the turn itself
        gets the 503 of a Rasa that is down; the message is kept)."""
        conversation_id = str(self.client.post("/api/chat/conversations", json={}).json()["conversation_id"])
        self.client.post(f"/api/chat/conversations/{conversation_id}/messages", json={"text": "Wat kost een paspoort?"})
        return conversation_id

    def renew(self, name: str) -> None:
        """A new real row for this path parameter (users and documents stay)."""
        if name == "conversation_id":
            self.real[name] = self.conversation()
        elif name in ("case_number", "escalation_id"):
            escalation = self.escalations.escalate(
                conversation_id=self.conversation(), reason="requested_human", summary="Wat kost een paspoort?",
                team=TEAM,
            )  # fmt: skip
            self.real[name] = str(escalation.id)
        elif name == "token_id":
            token, _ = self.users.create_token(self.staff, name="fuzz-target", scopes=("search",))
            self.real[name] = str(token.id)


@pytest.fixture(scope="module")
def index(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The route tests' tiny corpus, indexed once with the hashing embedder (no model download)."""
    from knowledge.embedding import make_embedder
    from knowledge.index import build_index
    from knowledge.ingest import load_documents

    root = tmp_path_factory.mktemp("fuzz-corpus")
    (root / "policies").mkdir()
    for doc_id, text in DOCUMENTS.items():
        (root / "policies" / f"{doc_id}.md").write_text(text, encoding="utf-8")
    build_index(
        load_documents([root / "policies"]).documents, embedder=make_embedder("hashing"), index_dir=root / "index"
    )
    return root / "index"


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def fuzzing(request: pytest.FixtureRequest, index: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Fuzzing]:
    with ExitStack() as stack:
        data_dir = tmp_path_factory.mktemp(f"fuzz-{request.param}") / "var"
        shutil.copytree(index, data_dir / "index")
        # A database of this run's own: the fuzzer creates, changes and erases whatever it can.
        database_url = (
            stack.enter_context(temporary_database(POSTGRES_ADMIN_URL, prefix="loket_fuzz"))
            if request.param == "postgresql"
            else None
        )
        settings = Settings(
            data_dir=data_dir,
            database_url=database_url,
            rasa_port=free_port(),  # nothing listens: Rasa is "down"
            action_token=SecretStr("secret-token"),
            retention_interval_hours=0,
            # Otherwise the fuzzer mostly measures 429s.
            **LOAD_TEST_RATE_LIMITS,
        )
        app = create_app(settings)
        client = stack.enter_context(asgi.get_client(app))
        stack.callback(asgi.shutdown_lifespans)
        deadline = time.monotonic() + 60
        while client.get("/ready").status_code != 200:
            assert time.monotonic() < deadline, "the app did not get ready"
            time.sleep(0.1)
        fuzzing = Fuzzing(app, client)
        # The app, its indexes and models stay for the whole run: out of the collector's way, or
        # full collections over them take much of the run.
        gc.collect()
        gc.freeze()
        stack.callback(gc.unfreeze)
        yield fuzzing


def _unavailable_notices() -> set[str]:
    texts = yaml.safe_load(Settings().handoff_messages_file.read_text(encoding="utf-8"))
    return set(texts["unavailable"].values())


UNAVAILABLE = _unavailable_notices()


def no_server_error(ctx: CheckContext, response: Response, case: Case) -> bool | None:
    """`not_a_server_error`, except the chat's documented 503s: Rasa did not answer (the localised
    notice; the message is kept) and an admin switched the chat off (the Loket-Switched-Off header)."""
    if response.status_code == 503 and case.path.startswith("/api/chat/conversations/"):
        if SWITCHED_OFF_HEADER in response.headers:
            return None
        try:
            body = response.json()
        except ValueError:
            body = None
        if isinstance(body, dict) and body.get("detail") in UNAVAILABLE:
            return None
    return not_a_server_error(ctx, response, case)


CHECKS = [no_server_error, response_schema_conformance]


def _real_ids(case: Case, fuzzing: Fuzzing, caller: Caller) -> tuple[dict[str, Any], dict[str, Any]] | None:
    """The case's path and query with the real rows' ids, or None when it names none."""
    path = dict(case.path_parameters or {})
    query = dict(case.query or {})
    names = {"conversation_id"} if caller.role == "citizen" else set(fuzzing.real)
    wanted = {name for name in path if name in names}
    if not wanted and "conversation_id" not in query:
        return None
    path.update({name: fuzzing.real[name] for name in wanted})
    if "conversation_id" in query:
        query["conversation_id"] = fuzzing.real["conversation_id"]
    return path, query


def _send(case: Case, fuzzing: Fuzzing, caller: Caller, *, real: tuple[dict[str, Any], dict[str, Any]] | None) -> None:
    generated = (case.path_parameters, case.query)
    if real is not None:
        case.path_parameters, case.query = real
    headers = dict(caller.headers)
    if case.path == "/api/auth/logout" and caller.person is not None:
        headers = fuzzing.session_cookie(caller.person)
    fuzzing.client.cookies.clear()
    who = f"Sent as {caller.role}{', with the ids of real rows' if real is not None else ''}."
    try:
        response = case.call_and_validate(base_url=BASE_URL, session=fuzzing.client, headers=headers, checks=CHECKS)
    except FailureGroup as failure:
        raise FailureGroup(list(failure.exceptions), f"{who} {failure.message}") from None
    except Exception as error:  # the app raised: a 500 behind a server
        error.add_note(who)
        raise
    finally:
        case.path_parameters, case.query = generated
    consumed = case.method.upper() == "DELETE" or case.path.endswith(CONSUMING_SUFFIXES)
    if real is not None and consumed and response.status_code < 300:
        for name in real[0]:
            fuzzing.renew(name)


@schema.parametrize()
def test_no_request_gets_a_server_error(case: Case, fuzzing: Fuzzing) -> None:
    for caller in fuzzing.callers:
        # A citizen is anonymous: only their own conversation's id makes their request different.
        if caller.role != "citizen":
            _send(case, fuzzing, caller, real=None)
        real = _real_ids(case, fuzzing, caller) if caller.real_ids else None
        if real is not None:
            _send(case, fuzzing, caller, real=real)
