"""GET /health: what operators and the `loket run` supervisor poll."""

from __future__ import annotations

from fastapi.testclient import TestClient


def test_health_is_open_and_counts_the_documents(client: TestClient) -> None:
    client.cookies.clear()
    response = client.get("/health")
    assert response.status_code == 200
    # The conftest corpus: one public and two internal documents, all in the index.
    assert response.json() == {"status": "ok", "documents": 3}
