"""The admin API: the audit log as JSON and CSV, for admins only, and nothing that writes to it."""

from __future__ import annotations

import csv
import io
import uuid

import pytest
from fastapi.testclient import TestClient

from api.services.audit import AuditLog
from tests.api.conftest import app_sessions, create_user, login


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
    record(client, action, "first", "second", details={"query": "paspoort"})
    record(client, "test.other", "elsewhere")
    login(client, create_user(client, "admin"))
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
