"""Staff search and documents at the HTTP boundary: what each reader may see, and the audit trail."""

from __future__ import annotations

from fastapi.testclient import TestClient

from tests.api.conftest import create_user, login


def staff_login(client: TestClient, *roles: str, teams: tuple[str, ...] = ()) -> str:
    name = create_user(client, *roles, teams=teams)
    login(client, name)
    return name


def doc_ids(response_json: list[dict]) -> list[str]:
    return [doc["doc_id"] for doc in response_json]


def test_staff_find_their_teams_internal_instruction_with_citation_and_highlight(client: TestClient) -> None:
    staff_login(client, "staff", teams=("burgerzaken",))
    results = client.get("/api/staff/search", params={"q": "codewoord spoedbalie"}).json()
    assert doc_ids(results)[0] == "werkinstructie-spoed"
    top = results[0]
    assert top["audience"] == "internal" and top["doc_type"] == "internal"
    passage = top["passages"][0]
    assert "<mark>codewoord</mark>" in passage["html"] and "TULP-7" in passage["html"]
    assert "codewoord" in passage["matched_terms"]
    assert "BM25" in passage["why"] and "meaning similarity" in passage["why"]
    opened = client.get("/api/staff/documents/werkinstructie-spoed").json()
    assert "TULP-7" in opened["html"]
    client.cookies.clear()


def test_another_teams_staff_never_see_it_by_search_or_by_id(client: TestClient) -> None:
    staff_login(client, "staff", teams=("afval",))
    for query in ("codewoord TULP-7 spoedbalie", "Gebruik codewoord TULP-7 bij de spoedbalie."):
        results = client.get("/api/staff/search", params={"q": query}).json()
        assert "werkinstructie-spoed" not in doc_ids(results)
        assert "TULP-7" not in str(results)
    missing = client.get("/api/staff/documents/werkinstructie-spoed")
    unknown = client.get("/api/staff/documents/does-not-exist")
    assert missing.status_code == unknown.status_code == 404
    assert missing.json() == unknown.json()
    client.cookies.clear()


def test_filters_narrow_by_team_and_type(client: TestClient) -> None:
    staff_login(client, "admin")  # admins read every team's documents
    assert (
        doc_ids(client.get("/api/staff/search", params={"q": "codewoord spoedbalie"}).json())[0]
        == "werkinstructie-spoed"
    )
    tax = {"q": "auto-vrijlating kwijtschelding"}
    assert doc_ids(client.get("/api/staff/search", params=tax).json()) == ["beleidsregel-kwijtschelding"]
    assert doc_ids(client.get("/api/staff/search", params={**tax, "team": "belastingen"}).json()) == [
        "beleidsregel-kwijtschelding"
    ]
    assert doc_ids(client.get("/api/staff/search", params={**tax, "team": "burgerzaken"}).json()) == []
    assert doc_ids(client.get("/api/staff/search", params={**tax, "type": "public"}).json()) == []
    assert doc_ids(client.get("/api/staff/search", params={**tax, "until": "2025-12-31"}).json()) == []
    public = doc_ids(client.get("/api/staff/search", params={"q": "paspoort kosten", "type": "public"}).json())
    assert public == ["paspoort-aanvragen"]
    assert client.get("/api/staff/search", params={"q": "paspoort", "type": "secret"}).status_code == 422
    assert client.get("/api/staff/search", params={"q": ""}).status_code == 422
    client.cookies.clear()


def test_no_access_without_a_valid_identity(client: TestClient) -> None:
    client.cookies.clear()
    assert client.get("/api/staff/search", params={"q": "TULP-7"}).status_code == 401
    assert (
        client.get(
            "/api/staff/search", params={"q": "TULP-7"}, headers={"Authorization": "Bearer lkt_forged"}
        ).status_code
        == 401
    )
    staff_login(client, "moderator")
    assert client.get("/api/staff/search", params={"q": "TULP-7"}).status_code == 403
    client.cookies.clear()


def test_api_tokens_follow_the_same_rules_and_can_be_revoked(client: TestClient) -> None:
    staff_login(client, "staff", teams=("burgerzaken",))
    created = client.post("/api/staff/tokens", json={"name": "zaaksysteem"}).json()
    client.cookies.clear()
    bearer = {"Authorization": f"Bearer {created['token']}"}
    results = client.get("/api/staff/search", params={"q": "codewoord spoedbalie"}, headers=bearer).json()
    assert doc_ids(results)[0] == "werkinstructie-spoed"
    other_team = client.get("/api/staff/documents/beleidsregel-kwijtschelding", headers=bearer)
    assert other_team.status_code == 404
    assert client.delete(f"/api/staff/tokens/{created['id']}", headers=bearer).status_code == 204
    assert client.get("/api/staff/search", params={"q": "paspoort"}, headers=bearer).status_code == 401


def test_every_internal_access_is_audited_and_staff_cannot_read_or_alter_the_log(client: TestClient) -> None:
    name = staff_login(client, "staff", teams=("belastingen",))
    client.get("/api/staff/search", params={"q": "auto-vrijlating kwijtschelding"})
    client.get("/api/staff/documents/beleidsregel-kwijtschelding")
    assert client.get("/api/admin/audit").status_code == 403
    assert client.post("/api/admin/audit", json={}).status_code in (403, 405)

    staff_login(client, "admin")
    entries = [e for e in client.get("/api/admin/audit").json() if e["actor"] == name]
    assert {(e["action"], e["target_id"]) for e in entries} == {
        ("document.shown", "beleidsregel-kwijtschelding"),
        ("document.opened", "beleidsregel-kwijtschelding"),
    }
    client.cookies.clear()


def test_the_citizen_side_never_serves_internal_documents(client: TestClient) -> None:
    client.cookies.clear()
    assert client.get("/documents/beleidsregel-kwijtschelding").status_code == 404
    assert "KW-R4" not in client.get("/documents/beleidsregel-kwijtschelding").text


def test_the_workspace_page_is_served(client: TestClient) -> None:
    client.cookies.clear()
    page = client.get("/staff")
    assert page.status_code == 200 and 'id="query"' in page.text


def test_search_parameters_are_checked(client: TestClient) -> None:
    staff_login(client, "staff")
    for params in ({"q": "   "}, {"q": "x" * 1001}, {"q": "paspoort", "k": 0}, {"q": "paspoort", "k": 51},
                   {"q": "paspoort", "from": "gisteren"}):  # fmt: skip
        assert client.get("/api/staff/search", params=params).status_code == 422, params
    assert len(client.get("/api/staff/search", params={"q": "paspoort kosten", "k": 1}).json()) <= 1
    client.cookies.clear()


def test_an_opened_document_carries_its_details(client: TestClient) -> None:
    staff_login(client, "staff", teams=("belastingen",))
    opened = client.get("/api/staff/documents/beleidsregel-kwijtschelding").json()
    assert opened["title"] == "Beleidsregel kwijtschelding"
    assert (opened["team"], opened["audience"]) == ("belastingen", "internal")
    assert opened["effective_date"] == "2026-01-01"
    assert '<h2 id="vrijlating">Vrijlating</h2>' in opened["html"]
    client.cookies.clear()


def test_tokens_are_listed_without_their_value_and_only_their_owner_revokes_them(client: TestClient) -> None:
    staff_login(client, "staff")
    assert client.post("/api/staff/tokens", json={"name": ""}).status_code == 422
    created = client.post("/api/staff/tokens", json={"name": " zaaksysteem "})
    assert created.status_code == 201 and created.json()["name"] == "zaaksysteem"
    token = created.json()
    listed = client.get("/api/staff/tokens").json()
    assert [(t["id"], t["name"], t["revoked"]) for t in listed if t["id"] == token["id"]] == [
        (token["id"], "zaaksysteem", False)
    ]
    assert token["token"] not in str(listed)

    staff_login(client, "staff")  # someone else
    assert client.get("/api/staff/tokens").json() == []
    assert client.delete(f"/api/staff/tokens/{token['id']}").status_code == 404
    assert client.get("/api/staff/search", params={"q": "paspoort"},
                      headers={"Authorization": f"Bearer {token['token']}"}).status_code == 200  # fmt: skip
    client.cookies.clear()
