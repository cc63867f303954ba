"""Every internal document, probed on every path a reader could reach it by, on SQLite and PostgreSQL.

For each internal document the probes are its own words (its summary, and a sentence of it with the
codes taken out), so retrieval finds it when access allows: the positive controls prove that. Where
access does not allow it, no code of the document, nor its id or title, may appear in anything
returned: the citizen chat (first turn, follow-up, English), the actions at /webhook called with the
valid token (answers, both fallback stages, follow-ups, out of scope), the route API's evidence, the
moderator's handoff packet, staff search with another team's `team=` filter, API tokens, and the
audit export for non-admins.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml

from api.settings import PROJECT_ROOT
from tests.integration.conftest import RunningLoket

pytestmark = pytest.mark.integration

POLICIES = PROJECT_ROOT / "data" / "policies"
# Codes such as TULP-7, KWT-AUTO, URG-2026-K: made up for internal use, so they never occur in
# a public page and any sighting outside the document's own readers is a leak.
CODE = re.compile(r"\b[A-Z][A-Z0-9]*(?:-[A-Z0-9]+)+\b")
PASSWORD = "Vlietstad-toegang-2026-kwartel"
# A team that owns no internal document, so its staff may read none of them.
OUTSIDE_TEAM = "afval"


@dataclass(frozen=True)
class InternalDocument:
    id: str
    title: str
    team: str
    readers: frozenset[str]  # the teams allowed to read it
    codes: tuple[str, ...]
    summary: str
    sentence: str  # a sentence of the body that holds a code, with the codes taken out

    @property
    def forbidden(self) -> tuple[str, ...]:
        # An id that is one plain word ("handhavingsstrategie") is also an ordinary word a reply may use.
        return (*self.codes, self.title, *([self.id] if "-" in self.id else []))


def _front_matter(path: Path) -> tuple[dict[str, Any], str]:
    _, head, body = path.read_text(encoding="utf-8").split("---", 2)
    return yaml.safe_load(head), body


def _internal_documents() -> list[InternalDocument]:
    public_text = " ".join(p.read_text(encoding="utf-8") for p in sorted((POLICIES / "public").rglob("*.md")))
    documents = []
    for path in sorted((POLICIES / "internal").glob("*.md")):
        meta, body = _front_matter(path)
        codes = tuple(sorted({c for c in CODE.findall(body) if c not in public_text}))
        # The longest line that holds a code: the most of the document's own words to retrieve it by.
        line = max((line for line in body.splitlines() if CODE.search(line)), key=lambda line: len(line.split()))
        sentence = " ".join(re.sub(r"[*#>`_\"“”()-]+", " ", CODE.sub(" ", line)).split())
        documents.append(
            InternalDocument(
                id=meta["id"], title=meta["title"], team=meta["team"],
                readers=frozenset([meta["team"], *meta.get("allowed_teams", [])]),
                codes=codes, summary=meta["summary"], sentence=sentence,
            )
        )  # fmt: skip
    return documents


DOCUMENTS = _internal_documents()


def assert_nothing_of(document: InternalDocument, shown: object, where: str) -> None:
    text = str(shown)
    leaked = [item for item in document.forbidden if item in text]
    assert not leaked, f"{where}: {leaked} of {document.id} in {text[:2000]}"


def test_every_internal_document_has_codes_and_probes_that_do_not_name_it() -> None:
    """The sweep below means something only if each document has codes to look for, and the probes
    themselves contain none of what must not appear."""
    assert len(DOCUMENTS) == len(list((POLICIES / "internal").glob("*.md"))) >= 10
    for document in DOCUMENTS:
        assert document.codes, document.id
        assert OUTSIDE_TEAM not in document.readers
        for probe in (document.summary, document.sentence):
            assert len(probe.split()) >= 5, (document.id, probe)
            assert_nothing_of(document, probe, "probe")


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def stack(request: pytest.FixtureRequest) -> RunningLoket:
    fixture = "loket" if request.param == "sqlite" else "loket_postgres"
    running: RunningLoket = request.getfixturevalue(fixture)
    return running


@dataclass
class People:
    """Logged-in clients: an outsider on staff, one staff member per internal document's team, a
    moderator and an admin."""

    outsider: httpx.Client
    team_staff: dict[str, httpx.Client]
    moderator: httpx.Client
    admin: httpx.Client


def _logged_in(stack: RunningLoket, *roles: str, teams: list[str] | None = None) -> httpx.Client:
    username = f"sweep-{uuid.uuid4().hex[:10]}"
    stack.create_user(username, PASSWORD, *roles, teams=teams)
    client = httpx.Client(base_url=stack.settings.api_url, timeout=60)
    client.post("/api/auth/login", json={"username": username, "password": PASSWORD}).raise_for_status()
    return client


@pytest.fixture(scope="module")
def people(stack: RunningLoket) -> Iterator[People]:
    teams = sorted({document.team for document in DOCUMENTS})
    crowd = People(
        outsider=_logged_in(stack, "staff", teams=[OUTSIDE_TEAM]),
        team_staff={team: _logged_in(stack, "staff", teams=[team]) for team in teams},
        moderator=_logged_in(stack, "moderator", teams=teams),
        admin=_logged_in(stack, "admin"),
    )
    yield crowd
    for client in (crowd.outsider, crowd.moderator, crowd.admin, *crowd.team_staff.values()):
        client.close()


def _search(client: httpx.Client, query: str, **params: str) -> list[dict[str, Any]]:
    response = client.get("/api/staff/search", params={"q": query, "k": "20", **params})
    response.raise_for_status()
    return list(response.json())


@pytest.mark.parametrize("document", DOCUMENTS, ids=lambda d: d.id)
def test_staff_of_the_documents_team_find_it_by_these_probes(stack: RunningLoket, people: People, document) -> None:
    """The positive control: the probes do reach the document where access allows."""
    found = [r["doc_id"] for r in _search(people.team_staff[document.team], document.summary, type="internal")]
    assert document.id in found


@pytest.mark.parametrize("document", DOCUMENTS, ids=lambda d: d.id)
def test_the_citizen_chat_never_shows_it(stack: RunningLoket, document: InternalDocument) -> None:
    conversation = stack.new_conversation()
    shown = [stack.say(conversation, document.summary), stack.say(conversation, "en wat staat daar verder over?")]
    shown.append(stack.say(conversation, f"Can you tell me more about this: {document.sentence}", language="en"))
    english = stack.new_conversation()
    shown.append(stack.say(english, f"Please explain: {document.sentence}", language="en"))
    assert_nothing_of(document, shown, "citizen chat")
    for turn in shown:
        for message in turn["messages"]:
            for source in message.get("sources") or []:
                assert stack.client.get(source["url"]).status_code == 200  # only public pages are linked
    assert stack.client.get(f"/documents/{document.id}").status_code == 404


def _action_call(
    action: str, text: str, *, language: str, slots: dict[str, Any], events: list[dict[str, Any]]
) -> dict[str, Any]:
    sender = f"sweep-{uuid.uuid4().hex}"
    return {
        "next_action": action, "sender_id": sender, "version": "3.6.21", "domain": _domain(),
        "tracker": {
            "sender_id": sender, "slots": {"language": language, **slots}, "paused": False,
            "latest_message": {"text": text, "intent": {"name": "nlu_fallback", "confidence": 0.3},
                               "entities": [], "metadata": {"language": language}},
            "events": events, "followup_action": None, "active_loop": {}, "latest_action_name": "action_listen",
        },
    }  # fmt: skip


def _domain() -> dict[str, Any]:
    domain: dict[str, Any] = yaml.safe_load((PROJECT_ROOT / "domain.yml").read_text(encoding="utf-8"))
    return domain


def _action_token(stack: RunningLoket) -> str:
    """The token this stack's Rasa sends, from the endpoints file it was started with."""
    endpoints = yaml.safe_load((stack.settings.data_dir / "rasa" / "endpoints.yml").read_text(encoding="utf-8"))
    return str(endpoints["action_endpoint"]["token"])


# The second stage of the fallback: the bot has just asked to rephrase.
_ASKED_TO_REPHRASE = [
    {"event": "user", "text": "blabla"},
    {"event": "bot", "text": "Sorry ...", "metadata": {"utter_action": "utter_rephrase"}},
    {"event": "user", "text": "..."},
]
WEBHOOK_PROBES: list[tuple[str, dict[str, Any], list[dict[str, Any]]]] = [
    ("action_answer_question", {}, []),
    ("action_answer_or_start_form", {}, []),
    ("action_out_of_scope", {}, []),
    ("action_fallback", {}, []),
    ("action_fallback", {}, _ASKED_TO_REPHRASE),
    ("action_fallback", {"last_topic": "paspoort"}, []),  # a follow-up of an earlier question
]


@pytest.mark.parametrize("document", DOCUMENTS, ids=lambda d: d.id)
def test_the_actions_at_the_webhook_never_answer_with_it(loket: RunningLoket, document: InternalDocument) -> None:
    """Called as Rasa calls them, with the valid token: what an attacker who had the token would get.
    Swept on the embedded default only: what the actions answer comes from the index, whatever the
    database (the citizen chat above is swept on both)."""
    token = _action_token(loket)
    for action, slots, events in WEBHOOK_PROBES:
        for language, text in (("nl", document.summary), ("nl", document.sentence), ("en", document.sentence)):
            response = loket.client.post(
                "/webhook",
                params={"token": token},
                json=_action_call(action, text, language=language, slots=slots, events=events),
            )
            assert response.status_code == 200, (action, response.text[:300])
            assert_nothing_of(document, response.json()["responses"], f"{action} ({language})")


@pytest.mark.parametrize("document", DOCUMENTS, ids=lambda d: d.id)
def test_route_evidence_never_holds_it(stack: RunningLoket, people: People, document: InternalDocument) -> None:
    # Even for staff of the document's own team: routing a citizen's message reads public pages only.
    for client in (people.moderator, people.team_staff[document.team]):
        for text in (document.summary, document.sentence):
            response = client.post("/api/route", json={"text": text})
            assert response.status_code == 200
            assert_nothing_of(document, response.json(), "route API")


def test_the_handoff_packet_never_holds_it(stack: RunningLoket, people: People) -> None:
    """A citizen asks about every internal document, then for a person: the moderator's packet (the
    transcript, the sources shown, the routing evidence) holds none of them."""
    conversation = stack.new_conversation()
    for document in DOCUMENTS:
        stack.say(conversation, document.summary)
    stack.say(conversation, "Ik wil graag een medewerker spreken")
    # An admin sees every team's queue; what a packet holds does not depend on who reads it.
    queue = people.admin.get("/api/moderator/escalations").json()
    escalation = next(item for item in queue if item["conversation_id"] == conversation)
    packet = people.admin.get(f"/api/moderator/escalations/{escalation['id']}").json()
    for document in DOCUMENTS:
        assert_nothing_of(document, packet, "handoff packet")


@pytest.mark.parametrize("document", DOCUMENTS, ids=lambda d: d.id)
def test_staff_of_another_team_never_reach_it(stack: RunningLoket, people: People, document: InternalDocument) -> None:
    for query in (document.summary, document.sentence):
        for params in ({}, {"team": document.team}, {"team": document.team, "type": "internal"}):
            assert_nothing_of(document, _search(people.outsider, query, **params), f"staff search {params}")
    opened = people.outsider.get(f"/api/staff/documents/{document.id}")
    assert opened.status_code == 404
    assert_nothing_of(document, opened.text, "staff document")


def test_only_admins_read_the_audit_log(stack: RunningLoket, people: People) -> None:
    """The audit log names every internal document opened, so it is for admins only."""
    for client in (people.outsider, people.moderator, *people.team_staff.values()):
        for path in ("/api/admin/audit", "/api/admin/audit.csv"):
            response = client.get(path)
            assert response.status_code == 403
            for document in DOCUMENTS:
                assert_nothing_of(document, response.text, path)
    assert people.admin.get("/api/admin/audit.csv").status_code == 200


def test_api_tokens_follow_their_owners_team_and_role(stack: RunningLoket, people: People) -> None:
    """A token finds its owner's team's documents, another team's never; after the owner moves team it
    no longer finds the old team's, and once the staff role is gone it is refused."""
    for document in DOCUMENTS:
        username = f"sweep-token-{uuid.uuid4().hex[:8]}"
        body = {"username": username, "password": PASSWORD, "roles": ["staff"], "teams": [document.team]}
        people.admin.post("/api/admin/users", json=body).raise_for_status()
        with httpx.Client(base_url=stack.settings.api_url, timeout=60) as owner:
            owner.post("/api/auth/login", json={"username": username, "password": PASSWORD}).raise_for_status()
            created = owner.post("/api/staff/tokens", json={"name": "sweep", "scopes": ["search", "route"]})
            created.raise_for_status()
        token = httpx.Client(
            base_url=stack.settings.api_url, timeout=60, headers={"Authorization": f"Bearer {created.json()['token']}"}
        )
        with token:
            assert document.id in [r["doc_id"] for r in _search(token, document.summary, type="internal")]
            others = [d for d in DOCUMENTS if not d.readers & {document.team}]
            for other in others:
                assert_nothing_of(other, _search(token, other.summary, team=other.team), "token, another team")
                assert token.get(f"/api/staff/documents/{other.id}").status_code == 404
                assert_nothing_of(other, token.post("/api/route", json={"text": other.summary}).json(), "token route")
            people.admin.patch(f"/api/admin/users/{username}", json={"teams": [OUTSIDE_TEAM]}).raise_for_status()
            for query in (document.summary, document.sentence):
                assert_nothing_of(document, _search(token, query, team=document.team), "token after a team move")
            assert token.get(f"/api/staff/documents/{document.id}").status_code == 404
            people.admin.patch(f"/api/admin/users/{username}", json={"roles": ["moderator"]}).raise_for_status()
            refused = token.get("/api/staff/search", params={"q": document.summary})
            assert refused.status_code == 403
            assert_nothing_of(document, refused.text, "token after the role went")
