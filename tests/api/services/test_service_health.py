"""Rasa's and the database's state for /health: short timeouts, asked at most every few seconds."""

from __future__ import annotations

import asyncio
from pathlib import Path

import httpx
from sqlalchemy import create_engine

from api.services.service_health import DependencyHealth, DependencyStates
from tests.clock import ManualClock


def rasa_answering(status: int, asked: list[str]) -> httpx.MockTransport:
    def handle(request: httpx.Request) -> httpx.Response:
        asked.append(request.url.path)
        return httpx.Response(status, json={"model_loaded": status == 200})

    return httpx.MockTransport(handle)


def states(health: DependencyHealth) -> DependencyStates:
    async def ask() -> DependencyStates:
        try:
            return await health.states()
        finally:
            await health.close()

    return asyncio.run(ask())


def health_for(
    tmp_path: Path, transport: httpx.AsyncBaseTransport, clock: ManualClock, url: str = ""
) -> DependencyHealth:
    engine = create_engine(url or f"sqlite:///{tmp_path / 'loket.db'}")
    return DependencyHealth(
        rasa_url="http://127.0.0.1:5005", engine=engine, timeout_s=1, cache_s=5, clock=clock, transport=transport
    )


def test_rasa_with_its_model_and_the_database_are_up(tmp_path: Path) -> None:
    asked: list[str] = []
    health = health_for(tmp_path, rasa_answering(200, asked), ManualClock(0.0))
    assert states(health) == DependencyStates(rasa="up", database="up")
    assert asked == ["/ready"]


def test_rasa_without_a_model_is_down(tmp_path: Path) -> None:
    health = health_for(tmp_path, rasa_answering(503, []), ManualClock(0.0))
    assert states(health).rasa == "down"


def test_rasa_refusing_or_not_answering_in_time_is_down(tmp_path: Path) -> None:
    def refuse(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("refused", request=request)

    def hang(request: httpx.Request) -> httpx.Response:
        raise httpx.ReadTimeout("no answer in 1 s", request=request)

    for failure in (refuse, hang):
        health = health_for(tmp_path, httpx.MockTransport(failure), ManualClock(0.0))
        assert states(health) == DependencyStates(rasa="down", database="up")


def test_a_database_that_cannot_be_reached_is_down(tmp_path: Path) -> None:
    health = health_for(
        tmp_path, rasa_answering(200, []), ManualClock(0.0), url=f"sqlite:///{tmp_path / 'no-such-dir' / 'loket.db'}"
    )
    assert states(health) == DependencyStates(rasa="up", database="down")


def test_the_answer_is_kept_for_a_few_seconds(tmp_path: Path) -> None:
    asked: list[str] = []
    clock = ManualClock(0.0)
    health = health_for(tmp_path, rasa_answering(200, asked), clock)

    async def checks() -> None:
        # A burst of checks, as from a balancer and a monitor at once: one question to Rasa.
        await asyncio.gather(*(health.states() for _ in range(10)))
        clock.now = 4.9
        await health.states()
        assert len(asked) == 1
        clock.now = 5.0
        await health.states()
        assert len(asked) == 2
        await health.close()

    asyncio.run(checks())
