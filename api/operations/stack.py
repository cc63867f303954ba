"""Starting, supervising and stopping the two processes of Loket: the Rasa server and the api.

Used by `loket run` and by the integration tests, so both run the same thing. `Supervisor`
restarts a process that stopped on its own, with growing pauses (docs/deployment.md).
"""

from __future__ import annotations

import json
import os
import secrets
import signal
import subprocess
import sys
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any
from urllib.parse import unquote, urlsplit

import httpx
import yaml
from sqlalchemy.engine import make_url

from api.operations.rasa_model import rasa_env
from api.settings import PROJECT_ROOT, RATE_LIMIT_SETTINGS, Settings

# Read by bot/tracker_cache.py: set, Rasa keeps no copy of trackers another replica may change.
SHARED_TRACKERS_ENV = "LOKET_SHARED_TRACKERS"
# Read by bot/rasa_server.py: when set, Rasa's HTTP API is enabled behind this token.
RASA_API_TOKEN_ENV = "LOKET_RASA_API_TOKEN"
# Read by bot/rasa_server.py: how long Rasa waits for a custom action (settings.rasa_action_timeout_s).
RASA_ACTION_TIMEOUT_ENV = "LOKET_RASA_ACTION_TIMEOUT_S"


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


def set_aside(log_path: Path) -> Path | None:
    """Each start writes a fresh log: the previous one becomes `<name>.log.<when it was last written>`
    (returned), and `loket retention run` deletes such files after LOKET_LOG_RETENTION_DAYS."""
    if not log_path.is_file() or log_path.stat().st_size == 0:
        return None
    stamp = time.strftime("%Y%m%d-%H%M%S", time.localtime(log_path.stat().st_mtime))
    target = log_path.with_name(f"{log_path.name}.{stamp}")
    counter = 1
    while target.exists():
        counter += 1
        target = log_path.with_name(f"{log_path.name}.{stamp}-{counter}")
    log_path.rename(target)
    return target


@dataclass
class ManagedProcess:
    name: str
    command: list[str]
    env: dict[str, str]
    log_path: Path
    ready_url: str
    process: subprocess.Popen[bytes] | None = None
    # Where the previous run's log was set aside by the last start (None: there was none).
    previous_log: Path | None = None
    _log: IO[bytes] | None = field(default=None, repr=False)

    def start(self) -> None:
        self._close_log()  # a restart: the stopped run's log file
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        self.previous_log = set_aside(self.log_path)
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

    def supervisor(self, *, backoff: Backoff | None = None, echo: Callable[[str], None] = print) -> Supervisor:
        """A supervisor of both processes; stop it before `stop()`."""
        return Supervisor([self.api, self.rasa], backoff=backoff or Backoff(), echo=echo)


@dataclass(frozen=True)
class Backoff:
    """When a process that stopped on its own is started again."""

    first_s: float = 1.0  # the pause before the first restart; it doubles with each further one
    cap_s: float = 60.0  # the longest pause
    # Answering this long after a restart counts as healthy: the next crash starts again at first_s.
    healthy_after_s: float = 60.0
    # This many crashes within the window is a crash loop: said loudly, restarts go on at cap_s.
    crash_loop_count: int = 5
    crash_loop_window_s: float = 300.0

    def delay(self, attempt: int) -> float:
        """The pause before restart number `attempt` (1, 2, ...) since the process was last healthy."""
        return float(min(self.cap_s, self.first_s * 2 ** min(attempt - 1, 32)))


def describe_exit(returncode: int) -> str:
    """How a process ended, from Popen's return code: `exit code 3`, or `signal SIGKILL` when negative."""
    if returncode < 0:
        try:
            return f"signal {signal.Signals(-returncode).name}"
        except ValueError:
            return f"signal {-returncode}"
    return f"exit code {returncode}"


def answers(process: ManagedProcess, *, timeout_s: float = 0.5) -> bool:
    """Whether the process answers its ready URL with 200 now."""
    try:
        return httpx.get(process.ready_url, timeout=timeout_s).status_code == 200
    except httpx.HTTPError:
        return False


@dataclass
class _Watched:
    process: ManagedProcess
    attempt: int = 0  # restarts since it was last healthy
    restart_at: float | None = None  # set while it is down, waiting for its restart
    ready_at: float | None = None  # when it last started answering
    crashes: deque[float] = field(default_factory=deque)


class Supervisor:
    """Restarts the processes that stop on their own, with exponential backoff; never gives up.

    A process that crash-loops is restarted every `Backoff.cap_s` seconds and said so on every
    crash: while Rasa is down the api still serves staff, moderators and the crisis help lines,
    so stopping everything would do more harm than trying again. Each restart is reported
    through `echo` (which process, how it stopped, the attempt, the pause before it).
    """

    def __init__(
        self,
        processes: Sequence[ManagedProcess],
        *,
        backoff: Backoff = Backoff(),
        echo: Callable[[str], None] = print,
        clock: Callable[[], float] = time.monotonic,
        probe: Callable[[ManagedProcess], bool] = answers,
    ) -> None:
        self.backoff = backoff
        self._echo = lambda message: echo(f"[{time.strftime('%H:%M:%S')}] {message}")
        self._clock = clock
        self._probe = probe
        self._watched = [_Watched(process) for process in processes]
        self.restarts = 0  # restarts done, for the record

    def check(self) -> None:
        """One round: notice processes that stopped, restart those whose pause is over, note
        which ones answer again."""
        now = self._clock()
        for watched in self._watched:
            process = watched.process
            assert process.process is not None, f"{process.name} was never started"
            if watched.restart_at is not None:
                if now >= watched.restart_at:
                    self._restart(watched)
                continue
            returncode = process.process.poll()
            if returncode is not None:
                self._stopped(watched, returncode, now)
            elif watched.ready_at is None:
                if self._probe(process):
                    watched.ready_at = now
                    if watched.attempt:
                        self._echo(f"{process.name} is answering again.")
            elif watched.attempt and now - watched.ready_at >= self.backoff.healthy_after_s:
                watched.attempt = 0

    def run(self, *, until: Callable[[], bool], poll_s: float = 0.5) -> None:
        """Check every `poll_s` seconds until `until()` is true (Ctrl-C, SIGTERM); restarts nothing after."""
        while not until():
            self.check()
            deadline = time.monotonic() + poll_s
            while not until() and time.monotonic() < deadline:
                time.sleep(min(0.1, poll_s))

    @contextmanager
    def in_background(self, *, poll_s: float = 0.2) -> Iterator[Supervisor]:
        """Supervise in a thread while the block runs (the integration tests)."""
        stop = threading.Event()
        thread = threading.Thread(target=self.run, kwargs={"until": stop.is_set, "poll_s": poll_s}, daemon=True)
        thread.start()
        try:
            yield self
        finally:
            stop.set()
            thread.join()

    def _stopped(self, watched: _Watched, returncode: int, now: float) -> None:
        name = watched.process.name
        watched.attempt += 1
        watched.ready_at = None
        watched.crashes.append(now)
        while watched.crashes and now - watched.crashes[0] > self.backoff.crash_loop_window_s:
            watched.crashes.popleft()
        looping = len(watched.crashes) >= self.backoff.crash_loop_count
        delay = self.backoff.cap_s if looping else self.backoff.delay(watched.attempt)
        watched.restart_at = now + delay
        self._echo(
            f"{name} stopped unexpectedly ({describe_exit(returncode)}); "
            f"restart {watched.attempt} in {delay:g} s. Its log: {watched.process.log_path}"
        )
        if looping:
            window_min = self.backoff.crash_loop_window_s / 60
            self._echo(
                f"{name} keeps stopping: {len(watched.crashes)} times in {window_min:g} minutes. "
                f"Restarting it every {self.backoff.cap_s:g} s until it stays up; "
                f"see its logs and fix the cause, or press Ctrl-C to stop Loket."
            )

    def _restart(self, watched: _Watched) -> None:
        watched.restart_at = None
        process = watched.process
        process.start()
        self.restarts += 1
        kept = f"; the stopped run's log is {process.previous_log}" if process.previous_log else ""
        self._echo(f"Restarted {process.name} (attempt {watched.attempt}){kept}.")


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
    # The limits and proxies the stack was started with (load tests and evaluations raise the limits).
    env.update({f"LOKET_{setting.upper()}": getattr(settings, setting) for setting in RATE_LIMIT_SETTINGS})
    env["LOKET_TRUSTED_PROXIES"] = json.dumps(settings.trusted_proxies)
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
            # The app reads X-Forwarded-For from settings.trusted_proxies only (api/main.py); uvicorn's
            # own reading would trust loopback whatever the settings say.
            "--no-proxy-headers",
        ],
        env=env,
        log_path=settings.logs_dir / f"{name}.log",
        ready_url=f"http://{settings.api_host}:{port}/ready",  # once warmed up (api/routers/health.py)
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
    env = rasa_env(settings) | {
        "LOKET_ACTION_TOKEN": token,
        RASA_ACTION_TIMEOUT_ENV: str(settings.rasa_action_timeout_s),
    }
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
        # 200 once the model is loaded (bot/rasa_server.py); Rasa's own GET / answers without one.
        ready_url=f"http://127.0.0.1:{port}/ready",
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
    action_url: str | None = None,
) -> Stack:
    """Start the api, then Rasa, and wait until both answer.

    `action_url`: where Rasa calls the custom actions, default the api's /webhook (a test puts a
    slow relay in between).

    `rasa_http_api`: also open Rasa's HTTP API (trackers, events) on its loopback port behind a
    fresh random token (`Stack.rasa_api_token`), for evaluations that read what Rasa did. The
    token reaches Rasa in its environment (bot/rasa_server.py), not on its command line.
    """
    token = choose_action_token(settings)
    endpoints = render_endpoints(settings, action_token=token, action_url=action_url)
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
