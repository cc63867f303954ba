"""Whether what the api depends on answers: Rasa (with its model loaded) and the database.

For GET /health. Each is asked with a short timeout and the answer kept for a few seconds: a
load balancer checks every api process every second, and must neither wait on a hanging Rasa
nor make every check a request to it.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

import httpx
from anyio import to_thread
from sqlalchemy import text
from sqlalchemy.engine import Engine
from sqlalchemy.exc import SQLAlchemyError

State = Literal["up", "down"]


@dataclass(frozen=True)
class DependencyStates:
    rasa: State  # up: answers with its model loaded (bot/rasa_server.py, GET /ready)
    database: State


class DependencyHealth:
    def __init__(
        self,
        *,
        rasa_url: str,
        engine: Engine,
        timeout_s: float,
        cache_s: float,
        clock: Callable[[], float] = time.monotonic,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self._rasa = httpx.AsyncClient(base_url=rasa_url, timeout=timeout_s, transport=transport)
        self._engine = engine
        self._timeout_s = timeout_s
        self._cache_s = cache_s
        self._clock = clock
        self._last: tuple[float, DependencyStates] | None = None
        self._lock = asyncio.Lock()  # checks that arrive together share one round of questions

    async def states(self) -> DependencyStates:
        async with self._lock:
            if self._last is not None and self._clock() - self._last[0] < self._cache_s:
                return self._last[1]
            rasa, database = await asyncio.gather(self._rasa_state(), self._database_state())
            states = DependencyStates(rasa=rasa, database=database)
            self._last = (self._clock(), states)
            return states

    async def _rasa_state(self) -> State:
        try:
            response = await self._rasa.get("/ready")
        except httpx.HTTPError:  # refused, reset, or no answer within the timeout
            return "down"
        return "up" if response.status_code == 200 else "down"

    async def _database_state(self) -> State:
        try:
            # A hanging connection attempt is left to finish in its thread; the check does not wait.
            await asyncio.wait_for(to_thread.run_sync(self._ping, abandon_on_cancel=True), self._timeout_s)
        except (TimeoutError, SQLAlchemyError):
            return "down"
        return "up"

    def _ping(self) -> None:
        with self._engine.connect() as connection:
            connection.execute(text("SELECT 1"))

    async def close(self) -> None:
        await self._rasa.aclose()
