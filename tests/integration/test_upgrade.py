"""Upgrading from release 427aa63: two api processes start together on its PostgreSQL database.

The database was made by that release's create_all and holds its rows (tests/api/migrations/
schema_427aa63.py). Both replicas start; one migrates under the lock, the other finds it done.
Then the release's moderator logs in and finds the old case with its form data, and the old API
token is listed with the scope and expiry it gets by default. Without Rasa: none of this needs it.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import httpx
import pytest
from sqlalchemy import text

from api.operations.stack import api_process
from api.services.database import make_engine, utcnow
from api.services.schema_migrations import head_revision
from api.settings import Settings
from tests.api.migrations.schema_427aa63 import CONVERSATION, FORM_DATA, PASSWORD, USERNAME, release_427aa63_database
from tests.conftest import POSTGRES_ADMIN_URL
from tests.integration.conftest import free_port
from tests.postgres import temporary_database

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def upgraded(tmp_path_factory: pytest.TempPathFactory, built_index: Path) -> Iterator[tuple[str, list[int]]]:
    """The release's database and the ports of the two api processes started on it."""
    with temporary_database(POSTGRES_ADMIN_URL, prefix="upgrade") as url:
        release_427aa63_database(url, at=utcnow() - timedelta(hours=1)).dispose()
        data_dir = tmp_path_factory.mktemp("upgrade") / "var"
        data_dir.mkdir()
        (data_dir / "index").symlink_to(built_index.resolve(), target_is_directory=True)
        settings = Settings(data_dir=data_dir, api_port=free_port(), rasa_port=free_port(), database_url=url)
        ports = [free_port(), free_port()]
        apis = [api_process(settings, token="t", port=port, name=f"api-{i}") for i, port in enumerate(ports, 1)]
        try:
            for api in apis:
                api.start()
            for api in apis:
                api.wait_ready(timeout_s=180)
            yield url, ports
        finally:
            for api in apis:
                api.stop()


def test_both_replicas_start_on_the_migrated_database(upgraded: tuple[str, list[int]]) -> None:
    url, ports = upgraded
    engine = make_engine(url)
    with engine.connect() as connection:
        versions = connection.execute(text("SELECT version_num FROM alembic_version")).scalars().all()
    engine.dispose()
    assert versions == [head_revision()]
    for port in ports:
        assert httpx.get(f"http://127.0.0.1:{port}/health", timeout=10).status_code == 200


def test_the_releases_moderator_finds_the_old_case_and_token(upgraded: tuple[str, list[int]]) -> None:
    _url, ports = upgraded
    with httpx.Client(base_url=f"http://127.0.0.1:{ports[1]}", timeout=30) as moderator:
        assert moderator.post("/api/auth/login", json={"username": USERNAME, "password": PASSWORD}).status_code == 200
        queue = moderator.get("/api/moderator/escalations").json()
        case = next(item for item in queue if item["conversation_id"] == CONVERSATION)
        assert case["team"] == "afval" and case["form_data"] == FORM_DATA
        [token] = moderator.get("/api/staff/tokens").json()
        assert token["name"] == "intranet" and token["scopes"] == ["search"] and not token["expired"]
