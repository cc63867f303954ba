"""What `loket run` hands to Rasa (endpoints with the token, the right tracker store) and how it
supervises its processes: ready when they answer, a clear error when they die, stopped as a group,
restarted with growing pauses when they stop on their own."""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path

import pytest
import yaml
from pydantic import SecretStr

from api.operations.ports import free_port
from api.operations.stack import (
    SHARED_TRACKERS_ENV,
    Backoff,
    ManagedProcess,
    Stack,
    Supervisor,
    api_process,
    describe_exit,
    lock_store_config,
    rasa_process,
    render_endpoints,
    set_aside,
    tracker_store_config,
)
from api.settings import Settings
from tests.clock import ManualClock


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


def test_the_api_runs_with_the_stacks_rate_limits_and_reads_proxy_headers_only_from_its_settings(
    tmp_path: Path,
) -> None:
    settings = Settings(data_dir=tmp_path, rate_limit_messages_per_client="500/minute", trusted_proxies=["10.0.0.5"])
    api = api_process(settings, token="t")
    assert api.env["LOKET_RATE_LIMIT_MESSAGES_PER_CLIENT"] == "500/minute"
    assert api.env["LOKET_LOGIN_FAILURES_PER_USERNAME_AND_CLIENT"] == "5 per 15 minutes"
    assert api.env["LOKET_LOGIN_FAILURES_PER_USERNAME"] == "50 per 15 minutes"
    assert json.loads(api.env["LOKET_TRUSTED_PROXIES"]) == ["10.0.0.5/32"]
    # uvicorn's own reading of X-Forwarded-For would trust loopback whatever the settings say.
    assert "--no-proxy-headers" in api.command


# --- restarts ----------------------------------------------------------------------------------


def test_the_pause_before_a_restart_doubles_up_to_the_cap() -> None:
    assert [Backoff().delay(attempt) for attempt in range(1, 10)] == [1, 2, 4, 8, 16, 32, 60, 60, 60]
    assert [Backoff(first_s=0.5, cap_s=3).delay(attempt) for attempt in range(1, 6)] == [0.5, 1, 2, 3, 3]
    assert Backoff().delay(10_000) == 60  # no overflow after days of crashing


def test_how_a_process_ended_is_said_plainly() -> None:
    assert describe_exit(3) == "exit code 3"
    assert describe_exit(-9) == "signal SIGKILL"
    assert describe_exit(-15) == "signal SIGTERM"


def exits_at_once(tmp_path: Path, code: int = 3) -> ManagedProcess:
    return ManagedProcess(
        name="rasa", command=[sys.executable, "-c", f"import sys; print('crash'); sys.exit({code})"],
        env=dict(os.environ), log_path=tmp_path / "logs" / "rasa.log", ready_url="http://127.0.0.1:1/",
    )  # fmt: skip


def sleeper(tmp_path: Path, name: str = "api") -> ManagedProcess:
    return ManagedProcess(
        name=name, command=[sys.executable, "-c", "import time; time.sleep(120)"], env=dict(os.environ),
        log_path=tmp_path / "logs" / f"{name}.log", ready_url="http://127.0.0.1:1/",
    )  # fmt: skip


def test_a_crashing_process_is_restarted_with_growing_pauses_and_a_crash_loop_is_said_loudly(
    tmp_path: Path,
) -> None:
    process = exits_at_once(tmp_path)
    process.start()
    clock, said = ManualClock(), []
    supervisor = Supervisor([process], echo=said.append, clock=clock, probe=lambda _: False)
    pids, pauses = [], []
    for _ in range(7):
        assert process.process is not None
        pids.append(process.process.pid)
        process.process.wait(timeout=20)
        supervisor.check()  # notices the exit
        assert "rasa stopped unexpectedly (exit code 3)" in said[-1] or "keeps stopping" in said[-1]
        supervisor.check()  # the pause is not over: nothing happens
        assert process.process.pid == pids[-1]
        stopped = next(line for line in reversed(said) if "stopped unexpectedly" in line)
        pauses.append(float(stopped.split(" in ")[1].split(" s.")[0]))
        clock.now += pauses[-1]
        supervisor.check()  # restarts it
        assert process.process.pid != pids[-1]
    process.stop()

    # 1, 2, 4, 8, then the fifth crash within 5 minutes: a crash loop, restarted at the cap.
    assert pauses == [1, 2, 4, 8, 60, 60, 60]
    assert supervisor.restarts == 7
    loop = [line for line in said if "keeps stopping" in line]
    assert len(loop) == 3 and "5 times in 5 minutes" in loop[0] and "every 60 s" in loop[0]
    assert any("restart 5 in 60 s" in line for line in said)
    # Each run wrote its own log; the restart says where the crashed run's log was kept.
    restarted = [line for line in said if line.split("] ", 1)[1].startswith("Restarted rasa (attempt ")]
    assert len(restarted) == 7 and "rasa.log." in restarted[0]
    assert len(list((tmp_path / "logs").glob("rasa.log.*"))) == 7


def test_after_a_healthy_while_the_pauses_start_again_from_the_first(tmp_path: Path) -> None:
    process = sleeper(tmp_path)
    process.start()
    clock, said = ManualClock(), []
    supervisor = Supervisor([process], backoff=Backoff(healthy_after_s=60), echo=said.append, clock=clock,
                            probe=lambda _: True)  # fmt: skip
    try:
        for expected_pause in (1, 2, 1):
            supervisor.check()  # answering
            assert process.process is not None
            os.killpg(process.process.pid, 9)
            process.process.wait(timeout=20)
            supervisor.check()
            assert "api stopped unexpectedly (signal SIGKILL); restart " in said[-1]
            assert f" in {expected_pause} s." in said[-1], said
            clock.now += expected_pause
            supervisor.check()  # restarted
            supervisor.check()  # and answering again
            assert said[-1].endswith("api is answering again.")
            if expected_pause == 2:
                clock.now += 60  # up for a minute: healthy
                supervisor.check()
    finally:
        process.stop()


def test_stopping_the_supervisor_restarts_nothing_and_stops_both_processes(tmp_path: Path) -> None:
    """Ctrl-C and SIGTERM end `loket run`'s supervision first, then stop the processes in order."""
    stack = Stack(api=sleeper(tmp_path, "api"), rasa=sleeper(tmp_path, "rasa"))
    stack.api.start()
    stack.rasa.start()
    said: list[str] = []
    supervisor = stack.supervisor(backoff=Backoff(first_s=0.05), echo=said.append)
    with supervisor.in_background(poll_s=0.05):
        assert stack.rasa.process is not None
        first_rasa = stack.rasa.process.pid
        os.killpg(first_rasa, 9)  # killed from outside: restarted after 0.05 s
        deadline = time.monotonic() + 20
        while supervisor.restarts == 0 and time.monotonic() < deadline:
            time.sleep(0.05)
        assert supervisor.restarts == 1 and stack.rasa.process.pid != first_rasa
    stack.stop()  # what `loket run` does once the supervisor returned
    time.sleep(0.3)
    assert supervisor.restarts == 1, said  # the stopped processes were not started again
    for process in (stack.api, stack.rasa):
        assert process.process is not None and process.process.poll() is not None
    assert any("rasa stopped unexpectedly (signal SIGKILL); restart 1 in 0.05 s" in line for line in said)


def test_a_stop_during_the_pause_before_a_restart_restarts_nothing(tmp_path: Path) -> None:
    process = exits_at_once(tmp_path)
    process.start()
    assert process.process is not None
    process.process.wait(timeout=20)
    stopping = [False]
    said: list[str] = []
    supervisor = Supervisor([process], backoff=Backoff(first_s=0.3), echo=said.append, probe=lambda _: False)

    def until() -> bool:
        if said:  # the crash was noticed; the restart is due in 0.3 s: Ctrl-C now
            stopping[0] = True
        return stopping[0]

    supervisor.run(until=until, poll_s=0.05)
    time.sleep(0.5)
    supervisor.run(until=lambda: True)  # a run that is told to stop at once does nothing
    assert supervisor.restarts == 0 and len(said) == 1
    process.stop()
