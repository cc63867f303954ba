"""Runs Rasa's custom actions in threads of their own.

The actions are `async def` (rasa-sdk's interface) but do blocking work: the answer search
and the database take tens of milliseconds of CPU. Run on the api's event loop they would
stall every other request meanwhile; run in FastAPI's shared thread pool they would compete
with the requests that are waiting for Rasa to call them. Each call gets a worker thread from
a pool of its own, with an event loop of its own for the action's coroutine.
"""

from __future__ import annotations

import asyncio
from typing import Any

import anyio
from anyio import to_thread
from rasa_sdk.executor import ActionExecutor


class ActionRunner:
    def __init__(self, executor: ActionExecutor, *, workers: int) -> None:
        self._executor = executor
        self._workers = anyio.CapacityLimiter(workers)

    async def run(self, action_call: dict[str, Any]) -> dict[str, Any] | None:
        """The action server's response to one call; rasa-sdk's exceptions pass through."""

        def in_worker() -> dict[str, Any] | None:
            response = asyncio.run(self._executor.run(action_call))
            return response.model_dump() if response else None

        return await to_thread.run_sync(in_worker, limiter=self._workers)
