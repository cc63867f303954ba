"""The API's documentation: open in development, behind a login in production."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from pydantic import SecretStr

from api.main import create_app
from api.settings import Settings
from tests.api.conftest import PUBLIC, create_user, free_port, login

DOC_PAGES = ("/docs", "/redoc")


@pytest.fixture(scope="module")
def production(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    from knowledge.embedding import make_embedder
    from knowledge.index import build_index
    from knowledge.ingest import load_documents

    tmp_path = tmp_path_factory.mktemp("production")
    corpus = tmp_path / "policies"
    corpus.mkdir()
    (corpus / "paspoort-aanvragen.md").write_text(PUBLIC, encoding="utf-8")
    settings = Settings(
        data_dir=tmp_path / "var",
        rasa_port=free_port(),
        action_token=SecretStr("a-real-secret-token"),
        cookie_secure=False,  # the test client speaks plain HTTP
        retention_interval_hours=0,
        # Production's own secrets are another test's subject (tests/api/test_settings.py): only the
        # environment is what matters here.
    ).model_copy(update={"environment": "production"})
    build_index(load_documents([corpus]).documents, embedder=make_embedder("hashing"), index_dir=settings.index_dir)
    app = create_app(settings)
    with TestClient(app) as test_client:
        test_client.app_state = app.state  # type: ignore[attr-defined]
        yield test_client


def test_in_development_the_documentation_is_open(client: TestClient) -> None:
    client.cookies.clear()
    schema = client.get("/openapi.json")
    assert schema.status_code == 200 and "/api/chat/conversations" in schema.json()["paths"]
    for page in DOC_PAGES:
        assert client.get(page).status_code == 200, page


def test_in_production_anonymous_visitors_get_no_documentation(production: TestClient) -> None:
    production.cookies.clear()
    schema = production.get("/openapi.json")
    assert schema.status_code == 401 and "paths" not in schema.text
    for page in DOC_PAGES:
        response = production.get(page, follow_redirects=False)
        assert response.status_code == 303, page
        assert response.headers["location"] == f"/login?next=%2F{page[1:]}"  # and back after the login
    assert production.get("/docs/oauth2-redirect").status_code == 404  # nothing else of FastAPI's own


@pytest.mark.parametrize("role", ["staff", "moderator", "admin"])
def test_in_production_any_logged_in_user_reads_it(production: TestClient, role: str) -> None:
    login(production, create_user(production, role, teams=("burgerzaken",) if role == "staff" else ()))
    schema = production.get("/openapi.json")
    assert schema.status_code == 200
    paths = schema.json()["paths"]
    assert "/api/chat/conversations" in paths and "/openapi.json" not in paths and "/docs" not in paths
    for page in DOC_PAGES:
        response = production.get(page)
        assert response.status_code == 200 and "/openapi.json" in response.text, page
    production.cookies.clear()


def test_the_login_page_brings_a_reader_back_to_the_documentation() -> None:
    from api.settings import PROJECT_ROOT

    script = (PROJECT_ROOT / "api" / "web" / "static" / "login.js").read_text(encoding="utf-8")
    assert '"/docs", "/redoc"' in script
