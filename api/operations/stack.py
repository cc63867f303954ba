"""Starting and stopping the two processes of Loket: the Rasa server and the api.

Used by `loket run` and by the integration tests, so both run the same thing.
"""

from __future__ import annotations

import os
import secrets
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

import httpx
import yaml
from sqlalchemy.engine import make_url

from api.operations.rasa_model import rasa_env
from api.settings import PROJECT_ROOT, Settings

# Read by bot/rasa_server.py: when set, Rasa's HTTP API is enabled behind this token.
RASA_API_TOKEN_ENV = "LOKET_RASA_API_TOKEN"


def tracker_store_config(settings: Settings) -> dict[str, Any]:
    """Rasa's SQL tracker store on the same database family as the api."""
    if settings.database_url is None:
        return {"type": "SQL", "dialect": "sqlite", "db": str(settings.data_dir / "rasa_tracker.db")}
    url = make_url(settings.database_url)
    if url.get_backend_name() == "sqlite":
        return {"type": "SQL", "dialect": "sqlite", "db": url.database}
    # Rasa's environment has psycopg2, SQLAlchemy's default PostgreSQL driver.
    plain = url.set(drivername=url.get_backend_name())
    return {
        "type": "SQL",
        "dialect": plain.drivername,
        "url": plain.render_as_string(hide_password=False),
        "db": plain.database,
    }


def _substitute(node: Any, values: dict[str, Any]) -> Any:
    if isinstance(node, dict):
        return {key: _substitute(value, values) for key, value in node.items()}
    if isinstance(node, list):
        return [_substitute(value, values) for value in node]
    if isinstance(node, str) and node.startswith("${") and node.endswith("}"):
        return values[node[2:-1]]
    return node


def render_endpoints(settings: Settings, *, action_token: str) -> Path:
    """bot/endpoints.yml with its placeholders filled, written under the data directory."""
    template = yaml.safe_load((PROJECT_ROOT / "bot" / "endpoints.yml").read_text(encoding="utf-8"))
    rendered = _substitute(
        template,
        {
            "action_url": f"{settings.api_url}/webhook",
            "action_token": action_token,
            "tracker_store": tracker_store_config(settings),
        },
    )
    target = settings.data_dir / "rasa" / "endpoints.yml"
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(yaml.safe_dump(rendered, sort_keys=False), encoding="utf-8")
    target.chmod(0o600)  # it holds the action token
    return target


@dataclass
class ManagedProcess:
    name: str
    command: list[str]
    env: dict[str, str]
    log_path: Path
    ready_url: str
    process: subprocess.Popen[bytes] | None = None
    _log: IO[bytes] | None = field(default=None, repr=False)

    def start(self) -> None:
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        self._log = self.log_path.open("ab")
        # Own process group: Ctrl-C in the terminal reaches the supervisor only,
        # which then stops the children in order.
        self.process = subprocess.Popen(
            self.command, cwd=PROJECT_ROOT, env=self.env, stdout=self._log,
            stderr=subprocess.STDOUT, start_new_session=True,
        )  # fmt: skip

    def wait_ready(self, *, timeout_s: float, progress: Callable[[float], None] | None = None) -> None:
        assert self.process is not None
        started = time.monotonic()
        while True:
            if self.process.poll() is not None:
                raise RuntimeError(f"{self.name} exited with code {self.process.returncode}; see {self.log_path}")
            try:
                if httpx.get(self.ready_url, timeout=2).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            elapsed = time.monotonic() - started
            if elapsed > timeout_s:
                raise RuntimeError(f"{self.name} was not ready after {timeout_s:.0f} s; see {self.log_path}")
            if progress:
                progress(elapsed)
            time.sleep(0.5)

    def stop(self, *, timeout_s: float = 15) -> None:
        if self.process is None or self.process.poll() is not None:
            self._close_log()
            return
        os.killpg(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(timeout=timeout_s)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()
        self._close_log()

    def _close_log(self) -> None:
        if self._log is not None:
            self._log.close()
            self._log = None


@dataclass
class Stack:
    """The api and Rasa, started together; `stop()` stops both."""

    api: ManagedProcess
    rasa: ManagedProcess
    # Set when started with `rasa_http_api=True`: the token of Rasa's HTTP API (loopback only),
    # sent as `?token=` (e.g. GET /conversations/<id>/tracker).
    rasa_api_token: str | None = field(default=None, repr=False)

    def stop(self) -> None:
        # Rasa first: it would otherwise call actions on an api that is gone.
        self.rasa.stop()
        self.api.stop()


def start_stack(
    settings: Settings,
    *,
    model: Path,
    extra_env: dict[str, str] | None = None,
    echo: Callable[[str], None] = print,
    rasa_timeout_s: float = 180,
    rasa_http_api: bool = False,
) -> Stack:
    """Start the api, then Rasa, and wait until both answer.

    `rasa_http_api`: also open Rasa's HTTP API (trackers, events) on its loopback port behind a
    fresh random token (`Stack.rasa_api_token`), for evaluations that read what Rasa did. The
    token reaches Rasa in its environment (bot/rasa_server.py), not on its command line.
    """
    token = settings.action_token.get_secret_value()
    if settings.environment == "development" and "LOKET_ACTION_TOKEN" not in os.environ:
        token = secrets.token_urlsafe(32)  # a fresh secret per run when none is configured
    endpoints = render_endpoints(settings, action_token=token)
    rasa_api_token = secrets.token_urlsafe(32) if rasa_http_api else None
    rasa_process_env = rasa_env(settings) | {"LOKET_ACTION_TOKEN": token}
    rasa_process_env.pop(RASA_API_TOKEN_ENV, None)  # never inherited: the API is opened here or not at all
    if rasa_api_token:
        rasa_process_env[RASA_API_TOKEN_ENV] = rasa_api_token
    logs = settings.data_dir / "logs"
    env = dict(os.environ)
    env.update(extra_env or {})
    env.update(
        {
            "LOKET_ACTION_TOKEN": token,
            "LOKET_DATA_DIR": str(settings.data_dir),
            "LOKET_API_HOST": settings.api_host,
            "LOKET_API_PORT": str(settings.api_port),
            "LOKET_RASA_PORT": str(settings.rasa_port),
        }
    )
    if settings.database_url:
        env["LOKET_DATABASE_URL"] = settings.database_url
    api = ManagedProcess(
        name="api",
        command=[
            sys.executable,
            "-m",
            "uvicorn",
            "api.main:create_app",
            "--factory",
            "--host",
            settings.api_host,
            "--port",
            str(settings.api_port),
            "--log-level",
            "warning",
        ],  # fmt: skip
        env=env,
        log_path=logs / "api.log",
        ready_url=f"{settings.api_url}/health",
    )
    rasa = ManagedProcess(
        name="rasa",
        command=[
            str(settings.rasa_python),
            "-m",
            "bot.rasa_server",  # `rasa` with a faster action-response check (bot/rasa_server.py)
            "run",
            "--model",
            str(model),
            "--endpoints",
            str(endpoints),
            "--credentials",
            str(PROJECT_ROOT / "bot" / "credentials.yml"),
            "--interface",
            "127.0.0.1",
            "--port",
            str(settings.rasa_port),
        ],  # fmt: skip
        env=rasa_process_env,
        log_path=logs / "rasa.log",
        ready_url=f"{settings.rasa_url}/",
    )
    stack = Stack(api=api, rasa=rasa, rasa_api_token=rasa_api_token)
    try:
        echo("Starting the api ...")
        api.start()
        api.wait_ready(timeout_s=120)
        echo("Starting Rasa (loading the model takes about half a minute) ...")
        rasa.start()
        last = [-10.0]

        def progress(elapsed: float) -> None:
            if elapsed - last[0] >= 10:
                last[0] = elapsed
                echo(f"  waiting for Rasa ... {elapsed:.0f} s")

        rasa.wait_ready(timeout_s=rasa_timeout_s, progress=progress)
    except BaseException:
        stack.stop()
        raise
    return stack
