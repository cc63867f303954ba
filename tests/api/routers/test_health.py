"""GET /health: what operators, the load balancer and the `loket run` supervisor poll."""

from __future__ import annotations

from fastapi.testclient import TestClient


def test_health_is_open_counts_the_documents_and_stays_200_while_rasa_is_down(client: TestClient) -> None:
    """The shared app's Rasa port has nothing listening: Rasa is down, the api serves on, so the
    balancer must keep it (a 200) and monitoring sees why it is degraded."""
    client.cookies.clear()
    response = client.get("/health")
    assert response.status_code == 200
    # The conftest corpus: one public and two internal documents, all in the index.
    assert response.json() == {"status": "degraded", "documents": 3, "rasa": "down", "database": "up"}


def test_ready_says_503_while_the_warm_up_runs_and_200_after(client: TestClient) -> None:
    """The balancer and `loket run` send citizens to an api only once its models are loaded."""
    import threading

    state = client.app_state  # type: ignore[attr-defined]
    state.warm_up.join(timeout=120)
    assert client.get("/ready").json() == {"status": "ready"}
    release = threading.Event()
    still_warming = threading.Thread(target=release.wait)
    still_warming.start()
    earlier, state.warm_up = state.warm_up, still_warming
    try:
        response = client.get("/ready")
        assert response.status_code == 503 and response.json() == {"status": "warming up"}
    finally:
        release.set()
        still_warming.join()
        state.warm_up = earlier
    assert client.get("/ready").status_code == 200
