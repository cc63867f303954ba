"""The admin API, for admins only: the audit log as JSON and CSV (nothing writes to it over HTTP), and a
citizen's rights on one conversation: erasure and export, by conversation id or case number; the admin page."""

from __future__ import annotations

import csv
import io
import json
import re
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from api.services.audit import AuditLog
from api.settings import PROJECT_ROOT
from tests.api.conftest import app_sessions, create_user, login, page_texts


def record(client: TestClient, action: str, *targets: str, details: dict[str, object] | None = None) -> None:
    with app_sessions(client).begin() as session:
        for target in targets:
            AuditLog.add(session, actor_id=None, actor="tester", action=action, target_type="document",
                         target_id=target, details=details)  # fmt: skip


@pytest.fixture
def action() -> str:
    """An action name of this test's own: the app (and its log) is shared by the session's tests."""
    return f"test.{uuid.uuid4().hex[:8]}"


def test_anonymous_users_get_401_and_other_roles_403(client: TestClient) -> None:
    client.cookies.clear()
    for path in ("/api/admin/audit", "/api/admin/audit.csv"):
        assert client.get(path).status_code == 401, path
    for role in ("staff", "moderator"):
        login(client, create_user(client, role))
        assert client.get("/api/admin/audit").status_code == 403, role
        assert client.get("/api/admin/audit.csv").status_code == 403, role
    client.cookies.clear()


def test_the_log_is_newest_first_and_filtered_by_action(client: TestClient, action: str) -> None:
    login(client, create_user(client, "admin"))  # first: a login is an entry too
    record(client, action, "first", "second", details={"query": "paspoort"})
    record(client, "test.other", "elsewhere")
    entries = client.get("/api/admin/audit", params={"action": action}).json()
    assert [e["target_id"] for e in entries] == ["second", "first"]
    assert entries[0]["actor"] == "tester" and entries[0]["details"] == {"query": "paspoort"}
    assert client.get("/api/admin/audit", params={"limit": 1}).json()[0]["target_id"] == "elsewhere"
    client.cookies.clear()


def test_the_csv_export_is_a_download_with_a_header(client: TestClient, action: str) -> None:
    record(client, action, "doc-a", details={"query": "a, b"})
    login(client, create_user(client, "admin"))
    response = client.get("/api/admin/audit.csv", params={"action": action})
    assert response.headers["content-type"].startswith("text/csv")
    assert response.headers["content-disposition"] == 'attachment; filename="loket-audit.csv"'
    rows = list(csv.reader(io.StringIO(response.text)))
    assert rows[0] == ["id", "at", "actor", "action", "target_type", "target_id", "details"]
    assert [row[2:6] for row in rows[1:]] == [["tester", action, "document", "doc-a"]]
    assert "a, b" in rows[1][6]  # the comma inside the details is quoted, not a new column
    client.cookies.clear()


def test_nothing_writes_to_the_log_over_http(client: TestClient) -> None:
    login(client, create_user(client, "admin"))
    for method in ("post", "put", "patch", "delete"):
        assert client.request(method, "/api/admin/audit", json={}).status_code == 405, method
    client.cookies.clear()


# --- erasure and export of a conversation --------------------------------------------------------


def conversation_with_case(client: TestClient, text: str) -> tuple[str, int]:
    """A conversation with a citizen's message and a case with form data, made by the app's own services."""
    state: Any = client.app_state  # type: ignore[attr-defined]
    conversation = state.store.start(language="nl")
    state.store.add_message(conversation_id=conversation, author="citizen", text=text, language="nl")
    case = state.escalations.escalate(
        conversation_id=conversation, reason="requested_human", summary=text, form_data={"what": text}
    )
    return conversation, case.id


PATHS = ("/api/admin/conversations/{c}", "/api/admin/cases/{n}", "/api/admin/conversations/{c}/export",
         "/api/admin/cases/{n}/export")  # fmt: skip


def test_only_admins_erase_or_export(client: TestClient) -> None:
    conversation, case = conversation_with_case(client, "Vraag van iemand")
    requests = [("delete", PATHS[0]), ("delete", PATHS[1]), ("get", PATHS[2]), ("get", PATHS[3])]
    client.cookies.clear()
    for method, path in requests:
        assert client.request(method, path.format(c=conversation, n=case)).status_code == 401, path
    for role in ("staff", "moderator"):
        login(client, create_user(client, role))
        for method, path in requests:
            assert client.request(method, path.format(c=conversation, n=case)).status_code == 403, (role, path)
    client.cookies.clear()
    assert client.app_state.store.exists(conversation)  # type: ignore[attr-defined]


def test_an_admin_exports_then_erases_a_conversation_by_case_number(client: TestClient) -> None:
    text = f"Vraag {uuid.uuid4().hex[:10]}"
    conversation, case = conversation_with_case(client, text)
    admin = create_user(client, "admin")
    login(client, admin)

    export = client.get(f"/api/admin/cases/{case}/export")
    assert export.status_code == 200
    assert export.headers["content-disposition"] == f'attachment; filename="loket-case-{case}.json"'
    assert export.headers["cache-control"] == "no-store"
    body = export.json()
    assert body["conversation_id"] == conversation and body["messages"][0]["text"] == text
    assert body["escalations"][0]["form_data"] == {"what": text}
    by_id = client.get(f"/api/admin/conversations/{conversation}/export")
    assert by_id.json()["messages"] == body["messages"]

    erased = client.delete(f"/api/admin/cases/{case}")
    assert erased.status_code == 200
    assert erased.json() == {
        "conversation_id": conversation,
        "removed": {
            "conversations": 1, "messages": 1, "escalations": 1, "notes": 0, "forms": 1, "tracker_events": 0,
            "contacts": 0,
        },  # fmt: skip
    }
    assert client.get(f"/api/chat/conversations/{conversation}/messages").status_code == 404
    assert client.delete(f"/api/admin/cases/{case}").status_code == 404
    assert client.delete(f"/api/admin/conversations/{conversation}").status_code == 404
    assert client.get(f"/api/admin/conversations/{conversation}/export").status_code == 404

    entries = client.get("/api/admin/audit", params={"limit": 50}).json()
    mine = [e for e in entries if e["target_id"] == conversation]
    assert [e["action"] for e in mine] == ["conversation.erased", "conversation.exported", "conversation.exported"]
    assert all(e["actor"] == admin for e in mine)
    assert text not in json.dumps(mine)  # ids and counts, never the data
    client.cookies.clear()


def test_an_admin_erases_by_conversation_id(client: TestClient) -> None:
    conversation, _case = conversation_with_case(client, "Nog een vraag")
    login(client, create_user(client, "admin"))
    response = client.delete(f"/api/admin/conversations/{conversation}")
    assert response.status_code == 200 and response.json()["removed"]["messages"] == 1
    client.cookies.clear()


@pytest.mark.parametrize(
    ("path", "status"),
    [("/api/admin/conversations/" + "0" * 32, 404), ("/api/admin/cases/999999999", 404),
     ("/api/admin/conversations/" + "x" * 65, 422), ("/api/admin/conversations/a.b", 422),
     ("/api/admin/cases/0", 422), ("/api/admin/cases/abc", 422), (f"/api/admin/cases/{2**63}", 422)],
)  # fmt: skip
def test_unknown_ids_are_404_and_bad_ids_422_never_500(client: TestClient, path: str, status: int) -> None:
    login(client, create_user(client, "admin"))
    assert client.delete(path).status_code == status
    assert client.get(f"{path}/export").status_code == status
    client.cookies.clear()


def test_another_site_cannot_make_an_admin_erase(client: TestClient) -> None:
    conversation, _case = conversation_with_case(client, "Vraag")
    login(client, create_user(client, "admin"))
    response = client.delete(f"/api/admin/conversations/{conversation}", headers={"Origin": "https://evil.example"})
    assert response.status_code == 403
    assert client.app_state.store.exists(conversation)  # type: ignore[attr-defined]
    client.cookies.clear()


# --- the citizen chat's kill switches ------------------------------------------------------------


@pytest.fixture
def all_on_afterwards(client: TestClient) -> Iterator[None]:
    """The app is shared by the session's tests: every switch is on again afterwards."""
    yield
    for name in ("chat", "answers", "forms"):
        client.app_state.chat_switches.set(name, on=True, actor="tester")  # type: ignore[attr-defined]


def test_only_admins_see_or_set_the_switches(client: TestClient, all_on_afterwards: None) -> None:
    client.cookies.clear()
    assert client.get("/api/admin/switches").status_code == 401
    assert client.put("/api/admin/switches", json={"chat": False}).status_code == 401
    for role in ("staff", "moderator"):
        login(client, create_user(client, role))
        assert client.get("/api/admin/switches").status_code == 403, role
        assert client.put("/api/admin/switches", json={"chat": False}).status_code == 403, role
    assert client.get("/api/chat/status").json()["chat"] is True
    client.cookies.clear()


def test_an_admin_switches_a_part_off_at_once_and_the_change_is_audited(
    client: TestClient, all_on_afterwards: None
) -> None:
    admin = create_user(client, "admin")
    login(client, admin)
    response = client.put("/api/admin/switches", json={"answers": False, "reason": "verouderde tarieven"})
    assert response.status_code == 200
    settings = {s["name"]: s for s in response.json()}
    assert (settings["answers"]["on"], settings["answers"]["changed_by"]) == (False, admin)
    assert settings["answers"]["reason"] == "verouderde tarieven" and settings["answers"]["changed_at"]
    assert settings["chat"]["on"] is True and settings["forms"]["on"] is True
    assert client.get("/api/admin/switches").json() == response.json()
    assert client.get("/api/chat/status").json()["answers"] is False  # this process: at once

    [entry] = [e for e in client.get("/api/admin/audit", params={"action": "chat_switch.set"}).json()
               if e["actor"] == admin]  # fmt: skip
    assert (entry["target_type"], entry["target_id"]) == ("chat_switch", "answers")
    assert entry["details"] == {"switch": "answers", "on": False, "reason": "verouderde tarieven"}
    client.cookies.clear()


@pytest.mark.parametrize(
    "body", [{}, {"reason": "geen schakelaar"}, {"chat": "misschien"}, {"chat": False, "reason": "x" * 501}]
)
def test_a_put_without_a_switch_or_with_a_bad_value_is_a_422(
    client: TestClient, all_on_afterwards: None, body: dict[str, Any]
) -> None:
    login(client, create_user(client, "admin"))
    assert client.put("/api/admin/switches", json=body).status_code == 422
    assert all(s["on"] for s in client.get("/api/admin/switches").json())
    client.cookies.clear()


# --- the admin page ---------------------------------------------------------------------------------


def test_the_admin_page_is_served_to_anyone_and_its_script_asks_the_admin_api(client: TestClient) -> None:
    """A static page: its script sends visitors without a session to /login and shows a 403 as no access."""
    client.cookies.clear()
    page = client.get("/admin")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert 'id="switches-title"' in page.text and '<script src="/static/admin.js">' in page.text
    script = client.get("/static/admin.js")
    assert script.status_code == 200 and "/api/admin/switches" in script.text and "/login?next=" in script.text


def test_every_text_of_the_admin_page_is_in_dutch_and_english() -> None:
    texts = page_texts("admin.html", "admin.js")
    dutch = texts.dutch_table
    assert texts.dutch == texts.english and texts.used <= texts.dutch
    for role, dutch_name in (("moderator", "Moderator"), ("staff", "Medewerker"), ("admin", "Beheerder")):
        assert f'{role}: "{dutch_name}"' in dutch
    assert 'answers: "Antwoorden uit de website"' in dutch and 'forms: "Formulieren (meldingen en klachten)"' in dutch


def _audit_actions() -> set[str]:
    """Every action the services write to the audit log, as the source names them."""
    literal = re.compile(r'"((?:user|token|chat_switch|escalation|contact|document|conversation|retention)\.\w+)"')
    actions: set[str] = set()
    for module in (PROJECT_ROOT / "api" / "services").rglob("*.py"):
        actions |= set(literal.findall(module.read_text(encoding="utf-8")))
    # The moderation service names its actions without the "escalation." it adds.
    moderation = (PROJECT_ROOT / "api" / "services" / "moderation.py").read_text(encoding="utf-8")
    for expression in re.findall(r"_audit\(\s*session,\s*\w+,\s*([^,]+),", moderation):
        actions |= {f"escalation.{name}" for name in re.findall(r'"(\w+)"', expression)}
    return actions


def test_the_admin_page_names_every_audit_action_in_words_in_both_languages() -> None:
    texts = page_texts("admin.html", "admin.js")
    actions = _audit_actions()
    assert {"user.disabled", "chat_switch.set", "escalation.claim", "escalation.hand_back", "retention.run"} <= actions
    assert actions <= texts.dutch and actions <= texts.english
