"""What `loket run` hands to Rasa (endpoints with the token, the right tracker store) and how it
supervises its processes: ready when they answer, a clear error when they die, stopped as a group."""

from __future__ import annotations

import os
import socket
import sys
import time
from pathlib import Path

import pytest
import yaml
from pydantic import SecretStr

from api.operations.stack import (
    SHARED_TRACKERS_ENV,
    ManagedProcess,
    Stack,
    lock_store_config,
    rasa_process,
    render_endpoints,
    set_aside,
    tracker_store_config,
)
from api.settings import Settings


def test_sqlite_tracker_store_lives_in_the_data_dir(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path)
    assert tracker_store_config(settings) == {
        "type": "SQL", "dialect": "sqlite", "db": str(tmp_path / "rasa_tracker.db"),
    }  # fmt: skip


def test_a_sqlite_database_url_is_shared_with_rasa(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path, database_url=f"sqlite:///{tmp_path / 'shared.db'}")
    assert tracker_store_config(settings) == {"type": "SQL", "dialect": "sqlite", "db": str(tmp_path / "shared.db")}


def test_postgres_url_is_passed_with_rasas_driver(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path, database_url="postgresql+psycopg://loket:s3cret@db.internal:5432/loket")
    config = tracker_store_config(settings)
    assert config["dialect"] == "postgresql"
    assert config["url"] == "postgresql://loket:s3cret@db.internal:5432/loket"
    assert config["db"] == "loket"


def test_endpoints_carry_the_action_url_and_token(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path, api_port=8123, action_token=SecretStr("t0ken"))
    path = render_endpoints(settings, action_token="t0ken")
    assert path == tmp_path / "rasa" / "endpoints.yml"
    rendered = yaml.safe_load(path.read_text())
    assert rendered["action_endpoint"] == {"url": "http://127.0.0.1:8123/webhook", "token": "t0ken"}
    assert rendered["tracker_store"] == tracker_store_config(settings)
    assert "${" not in path.read_text()  # every placeholder filled
    assert path.stat().st_mode & 0o077 == 0  # it holds the token: the owner's only


# --- supervised processes ----------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def alive(pid: int) -> bool:
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except FileNotFoundError:
        return False
    return "State:\tZ" not in status  # a zombie is dead; only its parent has not read its exit code


def web_server(tmp_path: Path, name: str = "web") -> ManagedProcess:
    """A real HTTP server that also starts a child of its own (as uvicorn and Rasa do)."""
    port = free_port()
    child_pid = tmp_path / f"{name}-child.pid"
    script = (
        f"sleep 60 & echo $! > {child_pid}; "
        f"exec {sys.executable} -m http.server {port} --bind 127.0.0.1 --directory {tmp_path}"
    )
    return ManagedProcess(
        name=name, command=["sh", "-c", script], env=dict(os.environ), log_path=tmp_path / "logs" / f"{name}.log",
        ready_url=f"http://127.0.0.1:{port}/",
    )  # fmt: skip


def test_a_process_is_ready_when_it_answers_and_stops_with_its_children(tmp_path: Path) -> None:
    server = web_server(tmp_path)
    server.start()
    try:
        server.wait_ready(timeout_s=20)
        child = int((tmp_path / "web-child.pid").read_text())
        assert alive(child)
    finally:
        server.stop(timeout_s=5)
    assert server.process is not None and server.process.poll() is not None
    deadline = time.monotonic() + 5
    while alive(child) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not alive(child), "the whole process group is stopped"
    assert server.log_path.is_file()
    server.stop()  # stopping twice is harmless


def test_each_start_writes_a_fresh_log_and_keeps_the_previous_one_aside(tmp_path: Path) -> None:
    """`loket retention run` deletes the set-aside logs after LOKET_LOG_RETENTION_DAYS."""
    process = ManagedProcess(
        name="rasa", command=[sys.executable, "-c", "print('run')"], env=dict(os.environ),
        log_path=tmp_path / "logs" / "rasa.log", ready_url="http://127.0.0.1:1/",
    )  # fmt: skip
    for _ in range(3):
        process.start()
        assert process.process is not None
        process.process.wait(timeout=20)
        process.stop()
    logs = sorted(path.name for path in (tmp_path / "logs").iterdir())
    assert logs[0] == "rasa.log" and len(logs) == 3
    assert all(name.startswith("rasa.log.") for name in logs[1:])
    assert all((tmp_path / "logs" / name).read_text() == "run\n" for name in logs)
    set_aside(tmp_path / "logs" / "missing.log")  # nothing to set aside: nothing happens


def test_a_process_that_dies_is_reported_with_its_log(tmp_path: Path) -> None:
    process = ManagedProcess(
        name="rasa", command=[sys.executable, "-c", "print('model not found'); raise SystemExit(3)"],
        env=dict(os.environ), log_path=tmp_path / "logs" / "rasa.log", ready_url=f"http://127.0.0.1:{free_port()}/",
    )  # fmt: skip
    process.start()
    with pytest.raises(RuntimeError, match=r"rasa exited with code 3; see .*rasa\.log"):
        process.wait_ready(timeout_s=20)
    process.stop()
    assert "model not found" in process.log_path.read_text()


def test_a_process_that_never_answers_times_out(tmp_path: Path) -> None:
    process = ManagedProcess(
        name="api", command=[sys.executable, "-c", "import time; time.sleep(60)"], env=dict(os.environ),
        log_path=tmp_path / "api.log", ready_url=f"http://127.0.0.1:{free_port()}/",
    )  # fmt: skip
    waited: list[float] = []
    process.start()
    try:
        with pytest.raises(RuntimeError, match="api was not ready after 1 s"):
            process.wait_ready(timeout_s=1, progress=waited.append)
    finally:
        process.stop(timeout_s=5)
    assert waited and waited == sorted(waited)  # progress is told the time waited so far
    assert process.process is not None and process.process.poll() is not None


def test_the_stack_stops_both_processes(tmp_path: Path) -> None:
    stack = Stack(api=web_server(tmp_path, "api"), rasa=web_server(tmp_path, "rasa"))
    stack.api.start()
    stack.rasa.start()
    stack.stop()
    for process in (stack.api, stack.rasa):
        assert process.process is not None and process.process.poll() is not None
    assert "tok-9f8e7d" not in repr(Stack(api=stack.api, rasa=stack.rasa, rasa_api_token="tok-9f8e7d"))


def test_without_redis_rasa_keeps_its_in_memory_lock_store(tmp_path: Path) -> None:
    endpoints = yaml.safe_load(
        render_endpoints(Settings(data_dir=tmp_path), action_token="t").read_text(encoding="utf-8")
    )
    assert endpoints["lock_store"] is None


def test_with_redis_rasa_locks_conversations_in_the_same_redis(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path, redis_url="rediss://:s%40cret@cache.internal:6380/3")
    endpoints = yaml.safe_load(render_endpoints(settings, action_token="t").read_text(encoding="utf-8"))
    assert endpoints["lock_store"] == {
        "type": "redis", "url": "cache.internal", "port": 6380, "db": 3, "key_prefix": "loket",
        "use_ssl": True, "password": "s@cret",
    }  # fmt: skip
    assert lock_store_config(Settings(redis_url="redis://127.0.0.1")) == {
        "type": "redis", "url": "127.0.0.1", "port": 6379, "db": 0, "key_prefix": "loket", "use_ssl": False,
    }  # fmt: skip


def test_rasa_replicas_keep_no_tracker_copy_and_short_locks(tmp_path: Path) -> None:
    endpoints = tmp_path / "endpoints.yml"
    alone = rasa_process(Settings(data_dir=tmp_path), model=tmp_path / "m.tar.gz", endpoints=endpoints, token="t")
    assert SHARED_TRACKERS_ENV not in alone.env and "TICKET_LOCK_LIFETIME" not in alone.env
    shared = Settings(data_dir=tmp_path, redis_url="redis://127.0.0.1:6379/0", rasa_lock_lifetime_s=7)
    replica = rasa_process(
        shared, model=tmp_path / "m.tar.gz", endpoints=endpoints, token="t", port=5999, name="rasa-2"
    )
    assert replica.env[SHARED_TRACKERS_ENV] == "1" and replica.env["TICKET_LOCK_LIFETIME"] == "7"
    assert "5999" in replica.command and replica.log_path.name == "rasa-2.log"
