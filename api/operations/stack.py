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
from urllib.parse import unquote, urlsplit

import httpx
import yaml
from sqlalchemy.engine import make_url

from api.operations.rasa_model import rasa_env
from api.settings import PROJECT_ROOT, Settings

# Read by bot/tracker_cache.py: set, Rasa keeps no copy of trackers another replica may change.
SHARED_TRACKERS_ENV = "LOKET_SHARED_TRACKERS"
# Read by bot/rasa_server.py: when set, Rasa's HTTP API is enabled behind this token.
RASA_API_TOKEN_ENV = "LOKET_RASA_API_TOKEN"


def tracker_store_config(settings: Settings) -> dict[str, Any]:
    """Rasa's SQL tracker store on the same database family as the api (`settings.tracker_store_url`,
    which retention and erasure prune too)."""
    url = make_url(settings.tracker_store_url)
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


def lock_store_config(settings: Settings) -> dict[str, Any] | None:
    """Rasa's RedisLockStore on the replicas' Redis; None keeps Rasa's in-memory lock store."""
    if settings.redis_url is None:
        return None
    url = urlsplit(settings.redis_url)
    config: dict[str, Any] = {
        "type": "redis",
        "url": url.hostname or "127.0.0.1",
        "port": url.port or 6379,
        "db": int(url.path.lstrip("/") or 0),
        "key_prefix": "loket",
        "use_ssl": url.scheme == "rediss",
    }
    if url.password:
        config["password"] = unquote(url.password)
    return config


def _substitute(node: Any, values: dict[str, Any]) -> Any:
    if isinstance(node, dict):
        return {key: _substitute(value, values) for key, value in node.items()}
    if isinstance(node, list):
        return [_substitute(value, values) for value in node]
    if isinstance(node, str) and node.startswith("${") and node.endswith("}"):
        return values[node[2:-1]]
    return node


def render_endpoints(settings: Settings, *, action_token: str, action_url: str | None = None) -> Path:
    """bot/endpoints.yml with its placeholders filled, written under the data directory.

    `action_url`: where Rasa calls the actions; default the api's own /webhook.
    """
    template = yaml.safe_load((PROJECT_ROOT / "bot" / "endpoints.yml").read_text(encoding="utf-8"))
    rendered = _substitute(
        template,
        {
            "action_url": action_url or f"{settings.api_url}/webhook",
            "action_token": action_token,
            "tracker_store": tracker_store_config(settings),
            "lock_store": lock_store_config(settings),
        },
    )
    target = settings.data_dir / "rasa" / "endpoints.yml"
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(yaml.safe_dump(rendered, sort_keys=False), encoding="utf-8")
    target.chmod(0o600)  # it holds the action token
    return target


def set_aside(log_path: Path) -> None:
    """Each start writes a fresh log: the previous one becomes `<name>.log.<when it was last written>`,
    and `loket retention run` deletes such files after LOKET_LOG_RETENTION_DAYS."""
    if not log_path.is_file() or log_path.stat().st_size == 0:
        return
    stamp = time.strftime("%Y%m%d-%H%M%S", time.localtime(log_path.stat().st_mtime))
    target = log_path.with_name(f"{log_path.name}.{stamp}")
    counter = 1
    while target.exists():
        counter += 1
        target = log_path.with_name(f"{log_path.name}.{stamp}-{counter}")
    log_path.rename(target)


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
        set_aside(self.log_path)
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


def choose_action_token(settings: Settings) -> str:
    """The configured action token; in development without one, a fresh secret per run."""
    if settings.environment == "development" and "LOKET_ACTION_TOKEN" not in os.environ:
        return secrets.token_urlsafe(32)
    return settings.action_token.get_secret_value()


def api_process(
    settings: Settings,
    *,
    token: str,
    port: int | None = None,
    rasa_port: int | None = None,
    name: str = "api",
    extra_env: dict[str, str] | None = None,
) -> ManagedProcess:
    """One api process (uvicorn) on `port` (default: the settings'), talking to Rasa on `rasa_port`."""
    port = port or settings.api_port
    env = dict(os.environ)
    env.update(extra_env or {})
    env.update(
        {
            "LOKET_ACTION_TOKEN": token,
            "LOKET_DATA_DIR": str(settings.data_dir),
            "LOKET_API_HOST": settings.api_host,
            "LOKET_API_PORT": str(port),
            "LOKET_RASA_PORT": str(rasa_port or settings.rasa_port),
        }
    )
    if settings.database_url:
        env["LOKET_DATABASE_URL"] = settings.database_url
    if settings.redis_url:
        env["LOKET_REDIS_URL"] = settings.redis_url
    return ManagedProcess(
        name=name,
        command=[
            sys.executable,
            "-m",
            "uvicorn",
            "api.main:create_app",
            "--factory",
            "--host",
            settings.api_host,
            "--port",
            str(port),
            "--log-level",
            "warning",
            # Idle keep-alive connections stay open longer than a citizen's pause between turns
            # (uvicorn's default is 5 s): a POST on a connection the server just closed fails.
            "--timeout-keep-alive",
            "75",
        ],
        env=env,
        log_path=settings.logs_dir / f"{name}.log",
        ready_url=f"http://{settings.api_host}:{port}/health",
    )


def rasa_process(
    settings: Settings,
    *,
    model: Path,
    endpoints: Path,
    token: str,
    port: int | None = None,
    name: str = "rasa",
    http_api_token: str | None = None,
) -> ManagedProcess:
    """One Rasa server on loopback `port` (default: the settings'), calling actions per `endpoints`."""
    port = port or settings.rasa_port
    env = rasa_env(settings) | {"LOKET_ACTION_TOKEN": token}
    env.pop(RASA_API_TOKEN_ENV, None)  # never inherited: the API is opened here or not at all
    if http_api_token:
        env[RASA_API_TOKEN_ENV] = http_api_token
    if settings.redis_url:
        env[SHARED_TRACKERS_ENV] = "1"
        # How long a conversation stays locked in Rasa's Redis lock store by a Rasa server that
        # died mid-turn (Rasa's default: 60 s). The api's own turn lock already keeps a
        # conversation's turns in order, so this only has to outlast one turn.
        env["TICKET_LOCK_LIFETIME"] = str(settings.rasa_lock_lifetime_s)
    return ManagedProcess(
        name=name,
        command=[
            str(settings.rasa_python),
            "-m",
            "bot.rasa_server",  # `rasa` with per-turn fixes (bot/rasa_server.py)
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
            str(port),
        ],  # fmt: skip
        env=env,
        log_path=settings.logs_dir / f"{name}.log",
        ready_url=f"http://127.0.0.1:{port}/",
    )


def wait_for_rasa(processes: list[ManagedProcess], *, timeout_s: float, echo: Callable[[str], None]) -> None:
    """Wait until every Rasa server answers, saying so every 10 s (loading a model takes a while)."""
    echo("Starting Rasa (loading the model takes about half a minute) ...")
    last = [-10.0]

    def progress(elapsed: float) -> None:
        if elapsed - last[0] >= 10:
            last[0] = elapsed
            echo(f"  waiting for Rasa ... {elapsed:.0f} s")

    for process in processes:
        process.wait_ready(timeout_s=timeout_s, progress=progress)


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
    token = choose_action_token(settings)
    endpoints = render_endpoints(settings, action_token=token)
    rasa_api_token = secrets.token_urlsafe(32) if rasa_http_api else None
    api = api_process(settings, token=token, extra_env=extra_env)
    rasa = rasa_process(settings, model=model, endpoints=endpoints, token=token, http_api_token=rasa_api_token)
    stack = Stack(api=api, rasa=rasa, rasa_api_token=rasa_api_token)
    try:
        echo("Starting the api ...")
        api.start()
        api.wait_ready(timeout_s=120)
        rasa.start()
        wait_for_rasa([rasa], timeout_s=rasa_timeout_s, echo=echo)
    except BaseException:
        stack.stop()
        raise
    return stack
