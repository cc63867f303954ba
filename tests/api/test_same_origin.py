"""A state-changing request from another site's page is refused before any handler runs."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from tests.api.conftest import create_user, login


@pytest.mark.parametrize(
    "headers",
    [{"Origin": "https://evil.example"}, {"Referer": "https://evil.example/page"}, {"Origin": "null"},
     {"Origin": "http://testserver.evil.example"}],
)  # fmt: skip
def test_a_cross_site_post_with_the_moderators_cookie_is_refused(client: TestClient, headers: dict[str, str]) -> None:
    login(client, create_user(client, "moderator"))
    response = client.post(
        "/api/moderator/escalations/13/resolve",
        content=b"a=1",
        headers={"Content-Type": "application/x-www-form-urlencoded", **headers},
    )
    assert response.status_code == 403
    assert "another site" in response.json()["detail"]


def test_the_same_site_and_programs_without_origin_are_let_through(client: TestClient) -> None:
    login(client, create_user(client, "moderator"))
    same_site = client.post("/api/moderator/escalations/999999/resolve", headers={"Origin": "http://testserver"})
    assert same_site.status_code == 404  # reached the handler
    program = client.post("/api/chat/conversations", json={"language": "nl"})
    assert program.status_code == 201
    assert client.get("/health", headers={"Origin": "https://evil.example"}).status_code == 200  # reading is fine
