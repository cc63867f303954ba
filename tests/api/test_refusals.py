"""A refusal carries its English sentence and a stable code (with its figures) for the pages."""

from __future__ import annotations

from fastapi import FastAPI, status
from fastapi.testclient import TestClient

from api.refusals import Refusal, refusal_response


def app_refusing(refusal: Refusal) -> TestClient:
    app = FastAPI()
    app.add_exception_handler(Refusal, refusal_response)

    @app.get("/thing")
    def thing() -> None:
        raise refusal

    return TestClient(app)


def test_a_refusal_has_its_detail_code_figures_and_headers() -> None:
    refusal = Refusal(
        status.HTTP_422_UNPROCESSABLE_CONTENT, "Too weak.", code="password_too_weak",
        headers={"Retry-After": "3"}, score=1, weaknesses=["repeats"],
    )  # fmt: skip
    response = app_refusing(refusal).get("/thing")
    assert response.status_code == 422 and response.headers["Retry-After"] == "3"
    assert response.json() == {
        "detail": "Too weak.", "code": "password_too_weak", "score": 1, "weaknesses": ["repeats"]
    }  # fmt: skip


def test_figures_never_replace_the_detail_or_the_code() -> None:
    refusal = Refusal(status.HTTP_404_NOT_FOUND, "No such thing.", code="unknown_thing", detail_extra=None)
    refusal.details.update({"detail": "other", "code": "other"})
    assert app_refusing(refusal).get("/thing").json() == {
        "detail": "No such thing.", "code": "unknown_thing", "detail_extra": None
    }  # fmt: skip
