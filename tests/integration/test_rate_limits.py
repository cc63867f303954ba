"""Rate limits across api replicas behind HAProxy: the real proxy, uvicorn and Redis.

Two api processes behind HAProxy on PostgreSQL and Redis, without Rasa (opening conversations
and logging in do not need it). Citizens are told apart by loopback addresses of their own
(127.x.y.z), which HAProxy passes on in X-Forwarded-For; HAProxy itself is on 127.0.0.1, the
default trusted proxy.
"""

from __future__ import annotations

import random
import shutil
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
import yaml

from api.operations.replicas import HAPROXY, haproxy_config
from api.operations.stack import ManagedProcess, api_process
from api.settings import PROJECT_ROOT, Settings
from tests.conftest import REDIS_URL
from tests.integration.conftest import free_port

pytestmark = pytest.mark.integration

RATE_LIMITED = yaml.safe_load((PROJECT_ROOT / "data" / "handoff_messages.yml").read_text(encoding="utf-8"))[
    "rate_limited"
]


@dataclass
class Balanced:
    settings: Settings
    api_ports: list[int]

    def citizen(self, address: str, port: int | None = None) -> httpx.Client:
        """A client from its own loopback address, through HAProxy or straight to one api."""
        base_url = f"http://127.0.0.1:{port}" if port else self.settings.api_url
        return httpx.Client(base_url=base_url, transport=httpx.HTTPTransport(local_address=address), timeout=30)


def citizen_address() -> str:
    """A loopback address of its own for each run: the counters live on in the shared Redis."""
    return f"127.{random.randint(1, 254)}.{random.randint(1, 254)}.{random.randint(2, 254)}"


@pytest.fixture(scope="module")
def balanced(tmp_path_factory: pytest.TempPathFactory, built_index: Path, postgres_url: str) -> Iterator[Balanced]:
    data_dir = tmp_path_factory.mktemp("limits") / "var"
    data_dir.mkdir()
    (data_dir / "index").symlink_to(built_index.resolve(), target_is_directory=True)
    settings = Settings(
        data_dir=data_dir, api_port=free_port(), rasa_port=free_port(), database_url=postgres_url,
        redis_url=REDIS_URL, rate_limit_conversations_per_client="3/minute",
        login_failures_per_username_and_client="2 per 15 minutes", login_failures_per_username="3 per 15 minutes",
    )  # fmt: skip
    api_ports = [free_port(), free_port()]
    config = data_dir / "haproxy.cfg"
    config.write_text(
        haproxy_config(
            api_port=settings.api_port, api_servers=api_ports, rasa_port=settings.rasa_port,
            rasa_servers=[free_port()], turn_timeout_s=settings.rasa_timeout_s,
        ),
        encoding="utf-8",
    )  # fmt: skip
    apis = [api_process(settings, token="t", port=port, name=f"api-{i}") for i, port in enumerate(api_ports, 1)]
    balancer = ManagedProcess(
        name="haproxy",
        command=[shutil.which("haproxy") or HAPROXY, "-db", "-f", str(config)],
        env={},
        log_path=settings.logs_dir / "haproxy.log",
        ready_url=f"{settings.api_url}/health",
    )
    try:
        for api in apis:
            api.start()
        for api in apis:
            api.wait_ready(timeout_s=120)
        balancer.start()
        balancer.wait_ready(timeout_s=30)
        yield Balanced(settings, api_ports)
    finally:
        for process in [balancer, *apis]:
            process.stop()


def test_replicas_count_a_citizen_together_and_through_haproxy_by_the_citizens_own_address(
    balanced: Balanced,
) -> None:
    address, other = citizen_address(), citizen_address()
    first, second = (balanced.citizen(address, port) for port in balanced.api_ports)
    through_haproxy = balanced.citizen(address)
    # Straight to the replicas (an untrusted peer: counted as itself), two on one and one on the other.
    for api in (first, first, second):
        assert api.post("/api/chat/conversations", json={"language": "nl"}).status_code == 201
    # The fourth, through HAProxy: counted as the same citizen, with the others' counts from Redis.
    refused = through_haproxy.post("/api/chat/conversations", json={"language": "nl"})
    assert refused.status_code == 429
    assert refused.headers["Loket-Rate-Limited"] == "true" and 1 <= int(refused.headers["Retry-After"]) <= 60
    assert refused.json()["detail"] == RATE_LIMITED["nl"]
    # An address the citizen writes into the header is not believed: HAProxy adds the real one.
    spoofed = through_haproxy.post("/api/chat/conversations", headers={"X-Forwarded-For": "203.0.113.9"})
    assert spoofed.status_code == 429
    # Another citizen behind the same HAProxy has a count of its own.
    assert balanced.citizen(other).post("/api/chat/conversations", json={"language": "en"}).status_code == 201


def test_a_username_locked_on_one_replica_is_locked_on_all(balanced: Balanced) -> None:
    address = citizen_address()
    first, second = (balanced.citizen(address, port) for port in balanced.api_ports)
    credentials = {"username": f"nobody-{uuid.uuid4().hex[:8]}", "password": "not the password"}
    assert first.post("/api/auth/login", json=credentials).status_code == 401
    assert second.post("/api/auth/login", json=credentials).status_code == 401
    # This address is locked out of the account on every replica; another address is not ...
    locked = first.post("/api/auth/login", json=credentials)
    assert locked.status_code == 429 and int(locked.headers["Retry-After"]) > 800
    assert balanced.citizen(citizen_address()).post("/api/auth/login", json=credentials).status_code == 401
    # ... until the failures from all addresses together reach the account's own limit (3 here).
    everyone = balanced.citizen(citizen_address()).post("/api/auth/login", json=credentials)
    assert everyone.status_code == 429 and int(everyone.headers["Retry-After"]) > 800
