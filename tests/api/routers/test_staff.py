"""Staff search and documents at the HTTP boundary: what each reader may see, and the audit trail."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from typing import get_args

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import update

from api.services.database import ApiTokenRow
from api.services.personal_data import Kind
from api.services.users import UserStore
from tests.api.conftest import app_sessions, create_user, login, page_texts


def app_state_users(client: TestClient) -> UserStore:
    return client.app_state.users  # type: ignore[attr-defined, no-any-return]


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
    # Why it was found, as figures a page words in its reader's language (`why`: the same, in English).
    assert passage["bm25_score"] > 0 and 0 < passage["dense_score"] <= 1
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
    assert missing.json() == unknown.json() == {"detail": "No document with this id.", "code": "document_not_found"}
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


def test_the_page_gets_the_municipal_teams_with_their_names_in_both_languages(client: TestClient) -> None:
    client.cookies.clear()
    assert client.get("/api/staff/teams").status_code == 401
    staff_login(client, "staff", teams=("wonen",))
    teams = {team["id"]: team["names"] for team in client.get("/api/staff/teams").json()}
    assert teams["zorg_welzijn"] == {"nl": "Zorg en welzijn", "en": "Care and Wellbeing"}
    assert "burgerzaken" in teams and "wonen" in teams
    assert "svb" not in teams and "crisis" not in teams  # national organisations and special queues own no documents
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
    name = staff_login(client, "staff", teams=("burgerzaken",))
    created = client.post("/api/staff/tokens", json={"name": "zaaksysteem"}).json()
    client.cookies.clear()
    bearer = {"Authorization": f"Bearer {created['token']}"}
    results = client.get("/api/staff/search", params={"q": "codewoord spoedbalie"}, headers=bearer).json()
    assert doc_ids(results)[0] == "werkinstructie-spoed"
    other_team = client.get("/api/staff/documents/beleidsregel-kwijtschelding", headers=bearer)
    assert other_team.status_code == 404
    assert client.delete(f"/api/staff/tokens/{created['id']}", headers=bearer).status_code == 403  # people only
    login(client, name)
    assert client.delete(f"/api/staff/tokens/{created['id']}").status_code == 204
    client.cookies.clear()
    assert client.get("/api/staff/search", params={"q": "paspoort"}, headers=bearer).status_code == 401


def test_every_internal_access_is_audited_and_staff_cannot_read_or_alter_the_log(client: TestClient) -> None:
    name = staff_login(client, "staff", teams=("belastingen",))
    client.get("/api/staff/search", params={"q": "auto-vrijlating kwijtschelding"})
    client.get("/api/staff/documents/beleidsregel-kwijtschelding")
    assert client.get("/api/admin/audit").status_code == 403
    assert client.post("/api/admin/audit", json={}).status_code in (403, 405)

    staff_login(client, "admin")
    entries = [
        e for e in client.get("/api/admin/audit").json() if e["actor"] == name and e["action"].startswith("document.")
    ]
    assert {(e["action"], e["target_id"]) for e in entries} == {
        ("document.shown", "beleidsregel-kwijtschelding"),
        ("document.opened", "beleidsregel-kwijtschelding"),
    }
    client.cookies.clear()


def test_personal_data_in_a_search_or_a_question_is_never_audited(client: TestClient) -> None:
    name = staff_login(client, "staff", teams=("burgerzaken",))
    found = client.get("/api/staff/search", params={"q": "codewoord spoedbalie BSN 111222333"}).json()
    assert doc_ids(found)[0] == "werkinstructie-spoed"
    asked = client.post("/api/staff/ask", json={"question": f"{SPOED_QUESTION} Klant belt op 0612345678."})
    assert asked.json()["citation"]["doc_id"] == "werkinstructie-spoed"

    staff_login(client, "admin")
    shown = [e["details"]["query"] for e in client.get("/api/admin/audit").json()
             if e["actor"] == name and e["action"] == "document.shown"]  # fmt: skip
    assert sorted(shown) == sorted(["codewoord spoedbalie BSN [BSN]", f"{SPOED_QUESTION} Klant belt op [telefoon]."])
    audit = client.get("/api/admin/audit.csv").text
    assert "111222333" not in audit and "0612345678" not in audit
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
    assert client.get("/api/staff/search", params={"q": "   "}).json()["code"] == "question_empty"
    assert len(client.get("/api/staff/search", params={"q": "paspoort kosten", "k": 1}).json()) <= 1
    client.cookies.clear()


def test_an_opened_document_carries_its_details(client: TestClient) -> None:
    staff_login(client, "staff", teams=("belastingen",))
    opened = client.get("/api/staff/documents/beleidsregel-kwijtschelding").json()
    # Plain text, as written: the page escapes it where it goes into HTML (it sets it as text).
    assert opened["title"] == "Beleidsregel kwijtschelding & betalingsregeling"
    assert (opened["team"], opened["audience"]) == ("belastingen", "internal")
    assert opened["effective_date"] == "2026-01-01"
    assert '<h2 id="vrijlating">Vrijlating</h2>' in opened["html"]
    client.cookies.clear()


# --- question mode: the answer engine over what the staff member may read ------------------------

SPOED_QUESTION = "Welk codewoord gebruik ik bij de spoedbalie?"


def test_staff_get_their_teams_answer_with_its_citation_and_it_is_audited(client: TestClient) -> None:
    name = staff_login(client, "staff", teams=("burgerzaken",))
    answer = client.post("/api/staff/ask", json={"question": SPOED_QUESTION}).json()
    assert answer["answered"] is True and "TULP-7" in answer["html"]
    citation = answer["citation"]
    assert (citation["doc_id"], citation["doc_type"]) == ("werkinstructie-spoed", "internal")
    assert citation["url"] == "/staff#doc=werkinstructie-spoed&section=werkinstructie-spoedaanvraag"
    staff_login(client, "admin")
    entries = [e for e in client.get("/api/admin/audit").json() if e["actor"] == name]
    assert [(e["action"], e["target_id"], e["details"]) for e in entries if e["action"] == "document.shown"] == [
        ("document.shown", "werkinstructie-spoed", {"query": SPOED_QUESTION})
    ]
    client.cookies.clear()


def test_another_teams_staff_get_none_of_it_but_public_pages_answer_them(client: TestClient) -> None:
    staff_login(client, "staff", teams=("afval",))
    answer = client.post("/api/staff/ask", json={"question": SPOED_QUESTION, "language": "en"})
    assert answer.status_code == 200
    assert "TULP-7" not in answer.text and "werkinstructie-spoed" not in answer.text
    public = client.post("/api/staff/ask", json={"question": "Wat kost een paspoort?"}).json()
    assert public["citation"]["doc_id"] == "paspoort-aanvragen" and "84,20" in public["html"]
    assert public["citation"]["url"] == "/documents/paspoort-aanvragen#kosten"
    client.cookies.clear()


def test_a_follow_up_is_read_against_the_earlier_questions(client: TestClient) -> None:
    staff_login(client, "staff", teams=("burgerzaken",))
    body = {"question": "en wat kost dat?", "history": ["Hoe vraag ik een paspoort aan?"]}
    answer = client.post("/api/staff/ask", json=body).json()
    assert answer["follow_up"] is True and answer["citation"]["doc_id"] == "paspoort-aanvragen"
    client.cookies.clear()


def test_questions_are_checked(client: TestClient) -> None:
    staff_login(client, "staff")
    bad = [{"question": ""}, {"question": "   "}, {}, {"question": "x" * 1001},
           {"question": "paspoort", "language": "de"}, {"question": "paspoort", "history": ["x" * 1001]},
           {"question": "paspoort", "history": ["paspoort"] * 6}, {"question": "paspoort", "history": "x"}]  # fmt: skip
    for body in bad:
        assert client.post("/api/staff/ask", json=body).status_code == 422, body
    blanks = client.post("/api/staff/ask", json={"question": " paspoort kosten ", "history": ["  ", ""]})
    assert blanks.status_code == 200
    client.cookies.clear()


def test_only_staff_and_admins_ask(client: TestClient) -> None:
    client.cookies.clear()
    assert client.post("/api/staff/ask", json={"question": SPOED_QUESTION}).status_code == 401
    staff_login(client, "moderator")
    assert client.post("/api/staff/ask", json={"question": SPOED_QUESTION}).status_code == 403
    staff_login(client, "admin")
    assert "TULP-7" in client.post("/api/staff/ask", json={"question": SPOED_QUESTION}).json()["html"]
    client.cookies.clear()


def test_tokens_are_listed_without_their_value_and_only_their_owner_revokes_them(client: TestClient) -> None:
    staff_login(client, "staff")
    assert client.post("/api/staff/tokens", json={"name": ""}).status_code == 422
    created = client.post("/api/staff/tokens", json={"name": " zaaksysteem "})
    assert created.status_code == 201 and created.json()["name"] == "zaaksysteem"
    token = created.json()
    listed = client.get("/api/staff/tokens").json()
    assert [(t["id"], t["name"], t["revoked"], t["scopes"]) for t in listed if t["id"] == token["id"]] == [
        (token["id"], "zaaksysteem", False, ["search"])
    ]
    assert listed[0]["expires_at"] == token["expires_at"] and listed[0]["expired"] is False
    assert token["token"] not in str(listed)

    staff_login(client, "staff")  # someone else
    assert client.get("/api/staff/tokens").json() == []
    refused = client.delete(f"/api/staff/tokens/{token['id']}")
    assert refused.status_code == 404 and refused.json()["code"] == "token_not_found"
    assert client.get("/api/staff/search", params={"q": "paspoort"},
                      headers={"Authorization": f"Bearer {token['token']}"}).status_code == 200  # fmt: skip
    client.cookies.clear()


# --- API tokens: scope, expiry, no tokens from tokens, the audit trail --------------------------


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def test_a_token_expires_after_the_ttl_and_says_so(client: TestClient) -> None:
    staff_login(client, "staff")
    created = client.post("/api/staff/tokens", json={"name": "koppeling", "scopes": ["search", "route"]}).json()
    made, expires = datetime.fromisoformat(created["created_at"]), datetime.fromisoformat(created["expires_at"])
    assert expires - made == timedelta(days=90) and created["scopes"] == ["route", "search"]
    with app_sessions(client).begin() as session:  # made 91 days ago
        session.execute(
            update(ApiTokenRow).where(ApiTokenRow.id == created["id"])
            .values(created_at=made - timedelta(days=91), expires_at=expires - timedelta(days=91))
        )  # fmt: skip
    [listed] = [t for t in client.get("/api/staff/tokens").json() if t["id"] == created["id"]]
    assert listed["expired"] is True and listed["revoked"] is False
    client.cookies.clear()
    expired = client.get("/api/staff/search", params={"q": "paspoort"}, headers=bearer(created["token"]))
    assert expired.status_code == 401


@pytest.mark.parametrize(
    "scopes",
    [[], ["admin"], ["search", "search", "route"], "search"],
)
def test_a_tokens_scope_is_one_or_more_known_scopes(client: TestClient, scopes: object) -> None:
    staff_login(client, "staff")
    assert client.post("/api/staff/tokens", json={"name": "x", "scopes": scopes}).status_code == 422
    blank = client.post("/api/staff/tokens", json={"name": "   "})
    assert blank.status_code == 422 and blank.json()["code"] == "token_name_empty"
    client.cookies.clear()


def test_a_token_never_makes_tokens_nor_reaches_the_moderator_or_admin_api(client: TestClient) -> None:
    name = staff_login(client, "staff", "moderator", "admin")
    token = client.post("/api/staff/tokens", json={"name": "alles", "scopes": ["search", "route"]}).json()
    client.cookies.clear()
    headers = bearer(token["token"])
    assert client.get("/api/staff/search", params={"q": "paspoort"}, headers=headers).status_code == 200
    for method, path in [
        ("post", "/api/staff/tokens"), ("get", "/api/staff/tokens"), ("delete", f"/api/staff/tokens/{token['id']}"),
        ("get", "/api/moderator/escalations"), ("get", "/api/moderator/escalations/1"),
        ("get", "/api/admin/audit"), ("get", "/api/admin/users"), ("post", f"/api/admin/users/{name}/revoke"),
    ]:  # fmt: skip
        response = client.request(method, path, headers=headers, json={"name": "child"})
        assert response.status_code == 403, (method, path)
    assert len(app_state_users(client).tokens(app_state_users(client).find(name))) == 1  # no child was made


def test_a_search_token_is_refused_on_the_route_api(client: TestClient) -> None:
    staff_login(client, "staff")
    token = client.post("/api/staff/tokens", json={"name": "zoeken"}).json()["token"]
    client.cookies.clear()
    refused = client.post("/api/route", json={"text": "Mijn kliko is niet geleegd"}, headers=bearer(token))
    assert refused.status_code == 403


def test_token_creation_and_revocation_are_audited_without_the_value(client: TestClient) -> None:
    name = staff_login(client, "staff")
    token = client.post("/api/staff/tokens", json={"name": "zaaksysteem", "scopes": ["route"]}).json()
    assert client.delete(f"/api/staff/tokens/{token['id']}").status_code == 204
    staff_login(client, "admin")
    trail = [e for e in client.get("/api/admin/audit").json() if e["target_type"] == "api_token"
             and e["target_id"] == str(token["id"])]  # fmt: skip
    assert [(e["action"], e["actor"]) for e in trail] == [("token.revoked", name), ("token.created", name)]
    details = trail[1]["details"]
    assert datetime.fromisoformat(details.pop("expires_at")) == datetime.fromisoformat(token["expires_at"])
    assert details == {"name": "zaaksysteem", "owner": name, "scopes": ["route"]}
    assert token["token"] not in json.dumps(trail)
    client.cookies.clear()


def test_the_page_is_told_which_personal_data_was_left_out_of_a_question(client: TestClient) -> None:
    """The query is redacted before it is searched and audited; the page says what was left out."""
    staff_login(client, "staff", teams=("burgerzaken",))
    searched = client.get("/api/staff/search", params={"q": "paspoort aanvraag BSN 111222333 mail jan@example.nl"})
    assert searched.status_code == 200 and searched.headers["Loket-Removed"] == "bsn,email"
    assert "Loket-Removed" not in client.get("/api/staff/search", params={"q": "paspoort kosten"}).headers
    asked = client.post("/api/staff/ask", json={"question": "Wat kost een paspoort voor BSN 111222333?"})
    assert asked.status_code == 200 and asked.json()["removed"] == ["bsn"]
    assert client.post("/api/staff/ask", json={"question": "Wat kost een paspoort?"}).json()["removed"] == []
    client.cookies.clear()


def test_the_page_names_every_kind_of_personal_data_in_dutch_and_english() -> None:
    texts = page_texts("staff.html", "staff.js")
    assert set(get_args(Kind)) <= texts.dutch and set(get_args(Kind)) <= texts.english
    assert "removed" in texts.dutch and "removed" in texts.english
