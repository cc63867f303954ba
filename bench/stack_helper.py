"""Starts Loket (api + Rasa) on free ports with its own data dir, like the integration tests."""

from __future__ import annotations

import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from api.operations.ports import free_port  # noqa: E402
from api.operations.rasa_model import ensure_model  # noqa: E402
from api.operations.stack import start_stack  # noqa: E402
from api.services.knowledge_service import ensure_index  # noqa: E402
from api.settings import LOAD_TEST_RATE_LIMITS, Settings  # noqa: E402


@contextmanager
def running_loket() -> Iterator[Settings]:
    """The project's trained model and index (var/), fresh databases in a temporary dir."""
    project = Settings()
    model = ensure_model(project)
    ensure_index(project, paths=project.policies_dirs)
    with tempfile.TemporaryDirectory(prefix="loket-bench-") as tmp:
        data_dir = Path(tmp) / "var"
        data_dir.mkdir()
        (data_dir / "index").symlink_to(project.index_dir.resolve(), target_is_directory=True)
        # The benchmarks send up to hundreds of conversations from 127.0.0.1.
        settings = Settings(data_dir=data_dir, api_port=free_port(), rasa_port=free_port(), **LOAD_TEST_RATE_LIMITS)
        stack = start_stack(settings, model=model, echo=lambda line: print(line, file=sys.stderr))
        try:
            yield settings
        finally:
            stack.stop()


@contextmanager
def running_replicas(*, apis: int = 2, rasas: int = 2, postgres_admin_url: str, redis_url: str) -> Iterator[Settings]:
    """apis + rasas replicas behind HAProxy on a fresh PostgreSQL database and the given Redis."""
    from api.operations.replicas import start_replicas
    from tests.postgres import temporary_database

    project = Settings()
    model = ensure_model(project)
    ensure_index(project, paths=project.policies_dirs)
    with (
        temporary_database(postgres_admin_url, prefix="loket_bench") as database_url,
        tempfile.TemporaryDirectory(prefix="loket-bench-") as tmp,
    ):
        data_dir = Path(tmp) / "var"
        data_dir.mkdir()
        (data_dir / "index").symlink_to(project.index_dir.resolve(), target_is_directory=True)
        settings = Settings(
            data_dir=data_dir,
            api_port=free_port(),
            rasa_port=free_port(),
            database_url=database_url,
            redis_url=redis_url,
            **LOAD_TEST_RATE_LIMITS,
        )
        stack = start_replicas(
            settings,
            model=model,
            api_ports=[free_port() for _ in range(apis)],
            rasa_ports=[free_port() for _ in range(rasas)],
            echo=lambda line: print(line, file=sys.stderr),
        )
        try:
            yield settings
        finally:
            stack.stop()
