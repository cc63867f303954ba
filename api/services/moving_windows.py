"""The chat's rate-limit counters when they live in this process (no Redis): moving windows whose
cost does not grow with the number of conversations open.

The `limits` library's own in-process async storage expires every key on every counted request,
with a hop to a worker thread per key, and the chat has a key per open conversation: a loop of
200 counted requests a second over 100 keys spent 0.6-0.8 CPU seconds per second in it (~0.2
over 10 keys; this storage 0.02 over any number; bench/hot_path_parts.py), CPU the chat's turns
need (docs/deployment.md).
Here a key's old entries are dropped when that key is used, and keys nobody used for a whole
window are swept at most once per SWEEP_INTERVAL_S, inside a call: no timer, no thread, no task.

Only the moving-window strategy is served (the one `ChatLimits` uses); the fixed-window counters
that every `limits` storage must offer are kept as simply.

Single event loop: nothing here awaits, so a call is never interleaved with another.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable

from limits.aio.storage import MovingWindowSupport, Storage

# How often keys left alone for longer than their window are forgotten.
SWEEP_INTERVAL_S = 60.0


class InProcessMovingWindows(Storage, MovingWindowSupport):
    """`limits` async storage for MovingWindowRateLimiter, in this process."""

    STORAGE_SCHEME = ["loket+memory"]

    def __init__(self, uri: str | None = None, *, clock: Callable[[], float] = time.time) -> None:
        super().__init__(uri)
        self._clock = clock
        # Per key the times of its entries, oldest first, and the length of its window.
        self._entries: dict[str, deque[float]] = {}
        self._windows: dict[str, float] = {}
        # Fixed-window counters: per key the count and when it ends.
        self._counters: dict[str, tuple[int, float]] = {}
        self._next_sweep = self._clock() + SWEEP_INTERVAL_S

    @property
    def base_exceptions(self) -> type[Exception] | tuple[type[Exception], ...]:
        return ValueError

    def keys(self) -> int:
        """How many keys are held (moving windows and counters)."""
        return len(self._entries) + len(self._counters)

    # Moving windows --------------------------------------------------------------------------

    async def acquire_entry(self, key: str, limit: int, expiry: int, amount: int = 1) -> bool:
        if amount > limit:
            return False
        now = self._clock()
        self._sweep(now)
        entries = self._current(key, expiry, now)
        if len(entries) + amount > limit:
            return False
        entries.extend([now] * amount)
        self._entries[key] = entries
        self._windows[key] = expiry
        return True

    async def get_moving_window(self, key: str, limit: int, expiry: int) -> tuple[float, int]:
        now = self._clock()
        entries = self._current(key, expiry, now)
        if not entries:
            return now, 0
        return entries[0], len(entries)

    def _current(self, key: str, expiry: float, now: float) -> deque[float]:
        """The key's entries still inside a window of `expiry` seconds ending now."""
        entries = self._entries.get(key)
        if entries is None:
            return deque()
        start = now - expiry
        while entries and entries[0] < start:
            entries.popleft()
        if not entries:
            del self._entries[key]
            self._windows.pop(key, None)
        return entries

    def _sweep(self, now: float) -> None:
        if now < self._next_sweep:
            return
        self._next_sweep = now + SWEEP_INTERVAL_S
        for key in [k for k, entries in self._entries.items() if entries[-1] < now - self._windows[k]]:
            del self._entries[key]
            del self._windows[key]
        for key in [k for k, (_, ends) in self._counters.items() if ends <= now]:
            del self._counters[key]

    # Fixed-window counters (the storage interface asks for them) -------------------------------

    async def incr(self, key: str, expiry: float, amount: int = 1) -> int:
        now = self._clock()
        self._sweep(now)
        count, ends = self._counter(key, now)
        if count == 0:
            ends = now + expiry
        self._counters[key] = (count + amount, ends)
        return count + amount

    async def get(self, key: str) -> int:
        return self._counter(key, self._clock())[0]

    async def get_expiry(self, key: str) -> float:
        now = self._clock()
        count, ends = self._counter(key, now)
        return ends if count else now

    def _counter(self, key: str, now: float) -> tuple[int, float]:
        count, ends = self._counters.get(key, (0, now))
        if ends <= now:
            self._counters.pop(key, None)
            return 0, now
        return count, ends

    # Housekeeping ------------------------------------------------------------------------------

    async def check(self) -> bool:
        return True

    async def reset(self) -> int | None:
        held = self.keys()
        self._entries.clear()
        self._windows.clear()
        self._counters.clear()
        return held

    async def clear(self, key: str) -> None:
        self._entries.pop(key, None)
        self._windows.pop(key, None)
        self._counters.pop(key, None)
