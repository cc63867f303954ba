"""Admission control in front of Rasa: a bounded number of turns at once, a bounded queue.

Rasa answers a turn with CPU work (NLU, policies, the answer search): beyond a few turns at
once more concurrency only makes every turn slower, and an unbounded queue turns a lunchtime
peak into timeouts for everyone. Past the queue, or after waiting too long, a turn is refused
with `Busy`: the citizen is told it is busy and the page retries by itself (429 + Retry-After).
"""

from __future__ import annotations

import asyncio
import math
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager


class Busy(RuntimeError):
    """Past capacity: nothing was processed; retry after `retry_after_s` seconds."""

    def __init__(self, retry_after_s: int) -> None:
        super().__init__(f"busy, retry after {retry_after_s} s")
        self.retry_after_s = retry_after_s


class Admission:
    """At most `capacity` turns at Rasa at once and at most `queue_limit` waiting (per process)."""

    def __init__(self, *, capacity: int, queue_limit: int, max_wait_s: float, retry_after_s: int = 2) -> None:
        if capacity < 1 or queue_limit < 0 or max_wait_s <= 0:
            raise ValueError("capacity >= 1, queue_limit >= 0 and max_wait_s > 0 are required")
        self._slots = asyncio.Semaphore(capacity)
        self._queue_limit = queue_limit
        self._max_wait_s = max_wait_s
        self._retry_after_s = retry_after_s
        self.waiting = 0

    @asynccontextmanager
    async def slot(self) -> AsyncIterator[None]:
        if self._slots.locked() and self.waiting >= self._queue_limit:
            raise Busy(self._retry_after_s)
        self.waiting += 1
        try:
            await asyncio.wait_for(self._slots.acquire(), timeout=self._max_wait_s)
        except TimeoutError:
            raise Busy(max(self._retry_after_s, math.ceil(self._max_wait_s / 4))) from None
        finally:
            self.waiting -= 1
        try:
            yield
        finally:
            self._slots.release()
