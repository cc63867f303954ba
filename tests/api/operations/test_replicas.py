"""The replica layout's HAProxy configuration and its preconditions (the running layout is
tested end to end in tests/integration/test_replicas.py)."""

from __future__ import annotations

import shutil
import subprocess
import time
from pathlib import Path

import httpx
import pytest

from api.operations.ports import free_port
from api.operations.replicas import haproxy_config, start_replicas
from api.settings import Settings


def config() -> str:
    return haproxy_config(api_port=8000, api_servers=[8001, 8002], rasa_port=5005, rasa_servers=[5006, 5007],
                          turn_timeout_s=30)  # fmt: skip


def test_every_replica_is_a_health_checked_server_behind_its_frontend() -> None:
    text = config()
    assert "bind 127.0.0.1:8000" in text and "bind 127.0.0.1:5005" in text
    for line in ("server api1 127.0.0.1:8001 check", "server api2 127.0.0.1:8002 check",
                 "server rasa1 127.0.0.1:5006 check", "server rasa2 127.0.0.1:5007 check"):  # fmt: skip
        assert line in text
    # An api counts once warmed up, a Rasa once its model is loaded: both answer /ready then.
    assert "option httpchk GET /health" not in text
    assert text.count("option httpchk GET /ready") == 2
    # A request a dying process never answered goes to another one; only then (the page's
    # Idempotency-Key makes the resent message count once).
    assert "retry-on conn-failure empty-response" in text and "option redispatch" in text
    assert "timeout server 45s" in text  # longer than a turn may take
    # The api's rate limits count the citizen, whose address HAProxy passes on.
    api_frontend = text.split("frontend api")[1].split("backend apis")[0]
    assert "option forwardfor" in api_frontend


def test_haproxy_accepts_the_configuration(tmp_path: Path) -> None:
    assert shutil.which("haproxy"), "HAProxy is installed by `make balancer` (part of `make test`)"
    path = tmp_path / "haproxy.cfg"
    path.write_text(config(), encoding="utf-8")
    checked = subprocess.run(["haproxy", "-c", "-f", str(path)], capture_output=True, text=True)
    assert checked.returncode == 0, checked.stdout + checked.stderr


def test_haproxy_logs_each_request_without_its_query_string(tmp_path: Path) -> None:
    """A staff search's query is in its URL and may name a citizen: the log line has the path only."""
    assert shutil.which("haproxy"), "HAProxy is installed by `make balancer` (part of `make test`)"
    api_port, rasa_port = free_port(), free_port()
    path = tmp_path / "haproxy.cfg"
    path.write_text(haproxy_config(api_port=api_port, api_servers=[free_port()], rasa_port=rasa_port,
                                   rasa_servers=[free_port()], turn_timeout_s=30), encoding="utf-8")  # fmt: skip
    log = tmp_path / "haproxy.log"
    with log.open("wb") as output:
        balancer = subprocess.Popen(["haproxy", "-db", "-f", str(path)], stdout=output, stderr=subprocess.STDOUT)
        try:
            url = f"http://127.0.0.1:{api_port}/api/staff/search?q=bijstand+BSN+111222333"
            for _attempt in range(50):  # until HAProxy listens; no api behind it: a 503, logged all the same
                try:
                    httpx.get(url, timeout=2)
                    break
                except httpx.TransportError:
                    time.sleep(0.1)
            deadline = time.monotonic() + 5
            while "GET /api/staff/search HTTP/1.1" not in log.read_text() and time.monotonic() < deadline:
                time.sleep(0.1)
        finally:
            balancer.terminate()
            balancer.wait(timeout=10)
    text = log.read_text()
    assert "GET /api/staff/search HTTP/1.1" in text, text
    assert "111222333" not in text and "bijstand" not in text


@pytest.mark.parametrize(
    "settings",
    [Settings(), Settings(database_url="sqlite:///x.db", redis_url="redis://127.0.0.1"),
     Settings(database_url="postgresql+psycopg://db/loket")],
)  # fmt: skip
def test_replicas_refuse_to_start_without_postgresql_and_redis(settings: Settings, tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="PostgreSQL"):
        start_replicas(settings, model=tmp_path / "m.tar.gz", api_ports=[1], rasa_ports=[2])
