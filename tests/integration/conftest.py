"""The real thing: a trained Rasa model, the real index, Rasa and the api as processes.

The model and the index are the project's own caches (var/), exactly what
`make run` uses, so a second run trains nothing; each stack gets its own
data directory for databases and logs.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

import httpx
import pytest
from playwright.sync_api import Page, expect

from api.operations.answer_eval import ChatDriver, running_stack
from api.operations.ports import free_port
from api.operations.stack import Stack, start_stack
from api.settings import LOAD_TEST_RATE_LIMITS, Settings

pytestmark = pytest.mark.integration


@dataclass
class RunningLoket:
    settings: Settings
    stack: Stack
    client: httpx.Client

    def new_conversation(self) -> str:
        response = self.client.post("/api/chat/conversations", json={"language": "nl"})
        response.raise_for_status()
        return str(response.json()["conversation_id"])

    def say(self, conversation: str, text: str, language: str | None = None) -> dict:
        response = self.client.post(
            f"/api/chat/conversations/{conversation}/messages", json={"text": text, "language": language}
        )
        response.raise_for_status()
        return dict(response.json())

    def create_user(
        self, username: str, password: str, *roles: str, name: str | None = None, teams: list[str] | None = None
    ) -> None:
        """With the operators' CLI, as an admin would."""
        import subprocess
        import sys

        env = {**os.environ, "LOKET_DATA_DIR": str(self.settings.data_dir)}
        if self.settings.database_url:
            env["LOKET_DATABASE_URL"] = self.settings.database_url
        command = [sys.executable, "-m", "api.operations.cli", "users", "create", username, "--password-stdin"]
        command += [f"--role={role}" for role in roles] + ([f"--name={name}"] if name else [])
        command += [f"--team={team}" for team in teams or []]
        subprocess.run(command, input=password + "\n", text=True, env=env, check=True, capture_output=True)

    def log_in_through_page(self, page: Page, path: str, username: str, password: str) -> None:
        """Open a protected page, get sent to the login page, log in and come back."""
        page.goto(f"{self.settings.api_url}{path}")
        expect(page).to_have_url(f"{self.settings.api_url}/login?next={quote(path, safe='')}")
        page.get_by_label("Gebruikersnaam").fill(username)
        page.get_by_label("Wachtwoord").fill(password)
        page.get_by_role("button", name="Inloggen").click()
        expect(page).to_have_url(f"{self.settings.api_url}{path}")

    def bot_replies(self, conversation: str, text: str, language: str | None = None) -> list[dict]:
        return [m for m in self.say(conversation, text, language)["messages"] if m["author"] == "bot"]


def _start(tmp: Path, model: Path, index: Path, database_url: str | None = None) -> RunningLoket:
    data_dir = tmp / "var"
    data_dir.mkdir(parents=True)
    (data_dir / "index").symlink_to(index.resolve(), target_is_directory=True)
    # The tests send many conversations from 127.0.0.1 (test_concurrency.py: 100 at once).
    settings = Settings(
        data_dir=data_dir, api_port=free_port(), rasa_port=free_port(), database_url=database_url,
        **LOAD_TEST_RATE_LIMITS,
    )  # fmt: skip
    stack = start_stack(settings, model=model)
    return RunningLoket(settings, stack, httpx.Client(base_url=settings.api_url, timeout=60))


@pytest.fixture(scope="session")
def loket(tmp_path_factory: pytest.TempPathFactory, trained_model: Path, built_index: Path) -> Iterator[RunningLoket]:
    """Loket on SQLite, the embedded default."""
    running = _start(tmp_path_factory.mktemp("loket-sqlite"), trained_model, built_index)
    yield running
    running.client.close()
    running.stack.stop()


@pytest.fixture(scope="session")
def loket_postgres(
    tmp_path_factory: pytest.TempPathFactory, trained_model: Path, built_index: Path, postgres_url: str
) -> Iterator[RunningLoket]:
    """Loket with the api and Rasa's tracker store on PostgreSQL."""
    running = _start(tmp_path_factory.mktemp("loket-pg"), trained_model, built_index, postgres_url)
    yield running
    running.client.close()
    running.stack.stop()


@pytest.fixture(scope="session")
def eval_driver(project_settings: Settings, trained_model: Path, built_index: Path) -> Iterator[ChatDriver]:
    """The stack `loket eval answers` starts (Rasa's HTTP API open to this run only), started once
    for the runner's own test and the answers gate."""
    with running_stack(project_settings, echo=lambda line: print(line, file=sys.stderr)) as driver:
        yield driver


def everything_stored(loket: RunningLoket) -> str:
    """Where an original would be if anything kept it: every log file, and the raw SQLite files
    (write-ahead logs too) or every row of every PostgreSQL table."""
    from sqlalchemy import create_engine, inspect, select, table
    from sqlalchemy.sql import column

    parts = [path.read_bytes().decode("latin-1") for path in sorted(loket.settings.logs_dir.glob("*"))]
    if loket.settings.database_url:
        engine = create_engine(str(loket.settings.database_url))
        with engine.connect() as connection:
            for name in inspect(connection).get_table_names():
                columns = [column(c["name"]) for c in inspect(connection).get_columns(name)]
                parts += [repr(tuple(row)) for row in connection.execute(select(*columns).select_from(table(name)))]
        engine.dispose()
    else:  # loket.db, rasa_tracker.db, their -wal and -shm
        parts += [path.read_bytes().decode("latin-1") for path in sorted(loket.settings.data_dir.glob("*.db*"))]
    return "\n".join(parts)
