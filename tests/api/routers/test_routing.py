"""POST /api/route: validation at the boundary, the decision as JSON."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from api.deps import Login, current_login, get_router
from api.main import create_app
from api.routers import routing
from api.services.crisis import crisis_signal
from api.services.users import User, UserStore
from api.settings import Settings
from routing.router import make_router
from tests.api.conftest import PASSWORD


@pytest.fixture(scope="module")
def route_client() -> TestClient:
    """Only the routing router, with a hashing-embedder router swapped in."""
    app = FastAPI()
    app.include_router(routing.router)
    router = make_router(embedder_name="hashing", crisis=crisis_signal)
    app.dependency_overrides[get_router] = lambda: router
    moderator = User(id=1, username="mod", display_name="Mod", roles=frozenset({"moderator"}), teams=frozenset())
    app.dependency_overrides[current_login] = lambda: Login(moderator)
    return TestClient(app)


def test_the_app_serves_the_route_endpoint(tmp_path: Path) -> None:
    app = create_app(Settings(data_dir=tmp_path))
    assert "post" in app.openapi()["paths"]["/api/route"]


def test_a_message_is_routed(route_client: TestClient) -> None:
    response = route_client.post("/api/route", json={"text": "Mijn kliko is niet geleegd"})
    assert response.status_code == 200
    body = response.json()
    assert body["team"] == "afval" and body["status"] == "routed" and body["triage"] is False
    assert body["kind"] == "team"
    assert 0 <= body["confidence"] <= 1
    assert "afval" in body["explanation"]
    assert {"similar_examples", "documents", "keywords"} <= set(body["evidence"])


def test_crisis_and_out_of_scope(route_client: TestClient) -> None:
    crisis = route_client.post("/api/route", json={"text": "ik wil dood", "language": "nl"}).json()
    assert crisis["team"] == "crisis" and crisis["status"] == "crisis"
    oos = route_client.post("/api/route", json={"text": "wie wint het WK", "intent": "out_of_scope"}).json()
    assert oos["team"] is None and oos["status"] == "out_of_scope"


def test_the_conversation_is_accepted(route_client: TestClient) -> None:
    body = {
        "text": "en hoe lang duurt dat?",
        "conversation": [{"role": "user", "text": "mijn kliko is niet geleegd"}],
    }
    response = route_client.post("/api/route", json=body)
    assert response.status_code == 200
    assert response.json()["evidence"]["context_used"] is True


def test_a_message_with_personal_data_is_routed_as_its_redacted_text(route_client: TestClient) -> None:
    """The decision is the one for the text with placeholders, as the chat gateway would pass it on."""
    typed = {
        "text": "Mijn kliko is niet geleegd, bel me op 0612345678",
        "conversation": [{"role": "user", "text": "ik woon op Kerkstraat 12, BSN 111222333"}],
    }
    redacted = {
        "text": "Mijn kliko is niet geleegd, bel me op [telefoon]",
        "conversation": [{"role": "user", "text": "ik woon op [adres], BSN [BSN]"}],
    }
    decision = route_client.post("/api/route", json=typed)
    assert decision.status_code == 200 and decision.json()["team"] == "afval"
    assert decision.json() == route_client.post("/api/route", json=redacted).json()
    assert "0612345678" not in decision.text and "111222333" not in decision.text


@pytest.mark.parametrize(
    ("body", "fragment"),
    [({"text": ""}, "text"), ({"text": "   "}, "empty"), ({}, "text"), ({"text": "x" * 2001}, "text"),
     ({"text": "hoi", "language": "de"}, "language"),
     ({"text": "hoi", "intent_confidence": 2}, "intent_confidence"),
     ({"text": "hoi", "conversation": [{"role": "alien", "text": "x"}]}, "role")],
)  # fmt: skip
def test_bad_requests_get_a_422(route_client: TestClient, body: dict[str, object], fragment: str) -> None:
    response = route_client.post("/api/route", json=body)
    assert response.status_code == 422
    assert fragment in response.text


def test_the_real_app_builds_its_router_on_first_use(client: TestClient) -> None:
    """The conftest app (hashing index): the router is built lazily from the app's search."""
    client.cookies.clear()
    assert client.post("/api/route", json={"text": "Mijn paspoort is verlopen"}).status_code == 401
    users: UserStore = client.app_state.users  # type: ignore[attr-defined]
    users.create(username="router-user", password=PASSWORD, roles=["moderator"])
    client.post("/api/auth/login", json={"username": "router-user", "password": PASSWORD})
    response = client.post("/api/route", json={"text": "Mijn paspoort is verlopen"})
    assert response.status_code == 200, response.text
    assert response.json()["team"] == "burgerzaken"
    assert client.app_state.lazy_router.get() is not None  # type: ignore[attr-defined]
    client.cookies.clear()


def test_api_tokens_need_the_route_scope(client: TestClient) -> None:
    """A staff integration's token routes with scope "route"; a search token is refused."""
    users: UserStore = client.app_state.users  # type: ignore[attr-defined]
    staff = users.create(username=f"route-{uuid.uuid4().hex[:8]}", password=PASSWORD, roles=["staff"])
    _, search_token = users.create_token(staff, name="zoeken", scopes=["search"])
    _, route_token = users.create_token(staff, name="routeren", scopes=["route"])
    client.cookies.clear()
    message = {"text": "Mijn paspoort is verlopen"}
    refused = client.post("/api/route", json=message, headers={"Authorization": f"Bearer {search_token}"})
    assert refused.status_code == 403 and "scope" in refused.json()["detail"]
    routed = client.post("/api/route", json=message, headers={"Authorization": f"Bearer {route_token}"})
    assert routed.status_code == 200 and routed.json()["team"] == "burgerzaken"
    assert client.get("/api/staff/search", params={"q": "paspoort"},
                      headers={"Authorization": f"Bearer {route_token}"}).status_code == 403  # fmt: skip
