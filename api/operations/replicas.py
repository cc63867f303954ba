"""Several api processes and Rasa servers behind HAProxy, on PostgreSQL and Redis.

    citizens -> HAProxy :api_port -> api 1..n -> HAProxy :rasa_port -> Rasa 1..m
                                      ^                                   |
                                      +---- HAProxy :api_port/webhook <---+

Every hop goes through the balancer, so any api may serve any turn, call any Rasa, and any
Rasa may run its actions on any api. What they share lives in PostgreSQL (conversations,
escalations, sessions, Rasa's trackers) and Redis (turn locks, Rasa's lock store); no process
keeps state another needs. Used by the replica integration test and bench/load.py --replicas;
docs/deployment.md describes the same layout for production (systemd units, TLS in front).
"""

from __future__ import annotations

import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from api.operations.stack import (
    ManagedProcess,
    api_process,
    choose_action_token,
    rasa_process,
    render_endpoints,
    wait_for_rasa,
)
from api.settings import Settings

HAPROXY = "/usr/sbin/haproxy"


def haproxy_config(
    *, api_port: int, api_servers: list[int], rasa_port: int, rasa_servers: list[int], turn_timeout_s: float
) -> str:
    """HAProxy in front of the api replicas and of the Rasa replicas (loopback ports).

    A request that reaches a process that is down or dies before answering (connection refused
    or closed without a response) is sent to another one: the chat page's Idempotency-Key makes
    a resent message be stored and answered once. Health checks take a dead process out within
    about two seconds.
    """
    timeout = int(turn_timeout_s) + 15  # a turn may take Rasa's timeout; past that it is dead
    apis = "\n".join(f"  server api{i} 127.0.0.1:{port} check" for i, port in enumerate(api_servers, 1))
    rasas = "\n".join(f"  server rasa{i} 127.0.0.1:{port} check" for i, port in enumerate(rasa_servers, 1))
    return f"""# Written by api/operations/replicas.py.
global
  log stdout format raw local0 info
  maxconn 1024
  # A request is resent to another server only if it fits in one buffer: Rasa's action calls
  # carry the domain and the conversation's events (tens of kB), so the buffer is 256 kB.
  tune.bufsize 262144

defaults
  mode http
  log global
  # The fields of HAProxy's HTTP log (option httplog; no headers or cookies are captured here), the
  # request as method, path and version (%HM %HP %HV, not %r): never the query string. A staff
  # search's query is in its URL (GET /api/staff/search?q=...) and may name a citizen.
  log-format "%ci:%cp [%tr] %ft %b/%s %TR/%Tw/%Tc/%Tr/%Ta %ST %B %tsc %ac/%fc/%bc/%sc/%rc %sq/%bq %HM %HP %HV"
  option http-buffer-request
  timeout connect 2s
  timeout client {timeout}s
  timeout server {timeout}s
  timeout http-request 10s
  retries 3
  option redispatch 1
  retry-on conn-failure empty-response
  default-server inter 1s fall 2 rise 2
  # A health check's answer may take 3 s on busy cores before it counts as a failure (without
  # this the wait is the 1 s `inter`, and a Rasa busy with turns was taken out of the rotation).
  # A dead process still fails at once: its connection is refused.
  timeout check 3s

frontend api
  bind 127.0.0.1:{api_port}
  # The citizen's address for the api's rate limits (HAProxy's address is a trusted proxy there).
  option forwardfor
  default_backend apis

backend apis
  balance roundrobin
  # /ready: no citizen waits for a restarted api's warm-up (api/routers/health.py).
  option httpchk GET /ready
  http-check expect status 200
{apis}

frontend rasa
  bind 127.0.0.1:{rasa_port}
  default_backend rasas

backend rasas
  balance roundrobin
  option httpchk GET /ready
  http-check expect status 200
{rasas}
"""


@dataclass
class ReplicaStack:
    balancer: ManagedProcess
    apis: list[ManagedProcess]
    rasas: list[ManagedProcess]

    def stop(self) -> None:
        for process in [*self.rasas, *self.apis, self.balancer]:
            process.stop()


def start_replicas(
    settings: Settings,
    *,
    model: Path,
    api_ports: list[int],
    rasa_ports: list[int],
    echo: Callable[[str], None] = print,
    rasa_timeout_s: float = 240,
) -> ReplicaStack:
    """HAProxy on settings.api_port (api) and settings.rasa_port (Rasa), the replicas behind it.

    Needs settings.database_url (PostgreSQL) and settings.redis_url: replicas share nothing else.
    """
    if not settings.database_url or settings.database_url.startswith("sqlite") or not settings.redis_url:
        raise ValueError("replicas need LOKET_DATABASE_URL (PostgreSQL) and LOKET_REDIS_URL")
    haproxy = shutil.which("haproxy") or HAPROXY
    if not Path(haproxy).exists():
        raise RuntimeError("HAProxy is not installed: run `make balancer` (Debian's haproxy package)")
    token = choose_action_token(settings)
    endpoints = render_endpoints(settings, action_token=token, action_url=f"{settings.api_url}/webhook")
    config = settings.data_dir / "haproxy.cfg"
    config.write_text(
        haproxy_config(
            api_port=settings.api_port,
            api_servers=api_ports,
            rasa_port=settings.rasa_port,
            rasa_servers=rasa_ports,
            turn_timeout_s=settings.rasa_timeout_s,
        ),
        encoding="utf-8",
    )
    balancer = ManagedProcess(
        name="haproxy",
        command=[haproxy, "-db", "-f", str(config)],  # -db: in the foreground, under this supervisor
        env={},
        log_path=settings.data_dir / "logs" / "haproxy.log",
        ready_url=f"{settings.api_url}/health",
    )
    apis = [
        api_process(settings, token=token, port=port, rasa_port=settings.rasa_port, name=f"api-{i}")
        for i, port in enumerate(api_ports, 1)
    ]
    rasas = [
        rasa_process(settings, model=model, endpoints=endpoints, token=token, port=port, name=f"rasa-{i}")
        for i, port in enumerate(rasa_ports, 1)
    ]
    stack = ReplicaStack(balancer=balancer, apis=apis, rasas=rasas)
    try:
        echo(f"Starting {len(apis)} api processes behind HAProxy ...")
        for api in apis:
            api.start()
        for api in apis:
            api.wait_ready(timeout_s=120)
        balancer.start()
        balancer.wait_ready(timeout_s=30)
        for rasa in rasas:
            rasa.start()
        wait_for_rasa(rasas, timeout_s=rasa_timeout_s, echo=echo)
        # HAProxy marks a server up at its next health check (every 2 s): until then a turn would
        # find no Rasa behind the balancer. The balancer's own /ready says when it routes to one.
        balancer.ready_url = f"http://127.0.0.1:{settings.rasa_port}/ready"
        balancer.wait_ready(timeout_s=30)
    except BaseException:
        stack.stop()
        raise
    return stack
