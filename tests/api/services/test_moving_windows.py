"""The in-process moving windows behind the chat's rate limits (no Redis)."""

from __future__ import annotations

import pytest
from limits import parse
from limits.aio.strategies import MovingWindowRateLimiter

from api.services.moving_windows import SWEEP_INTERVAL_S, InProcessMovingWindows
from tests.clock import ManualClock

pytestmark = pytest.mark.anyio


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(1_000_000.0)


@pytest.fixture
def storage(clock: ManualClock) -> InProcessMovingWindows:
    return InProcessMovingWindows(clock=clock)


async def test_a_window_refuses_past_its_limit_and_frees_as_entries_age(
    storage: InProcessMovingWindows, clock: ManualClock
) -> None:
    limiter = MovingWindowRateLimiter(storage)
    three = parse("3/minute")
    for _ in range(3):  # at 0, 10 and 20 s
        assert await limiter.hit(three, "conversation", "a")
        clock.now += 10
    clock.now -= 10
    assert not await limiter.hit(three, "conversation", "a")
    assert not await limiter.test(three, "conversation", "a")
    # The window is the last 60 s: the first entry (20 s ago + 41 s) has left it, the others not.
    clock.now += 41
    assert await limiter.test(three, "conversation", "a")
    assert await limiter.hit(three, "conversation", "a")
    assert not await limiter.hit(three, "conversation", "a")


async def test_the_window_stats_tell_when_the_oldest_entry_leaves(
    storage: InProcessMovingWindows, clock: ManualClock
) -> None:
    limiter = MovingWindowRateLimiter(storage)
    two = parse("2/minute")
    first = clock.now
    assert await limiter.hit(two, "client", "203.0.113.7")
    clock.now += 15
    assert await limiter.hit(two, "client", "203.0.113.7")
    stats = await limiter.get_window_stats(two, "client", "203.0.113.7")
    assert stats.remaining == 0
    assert stats.reset_time == pytest.approx(first + 60)
    empty = await limiter.get_window_stats(two, "client", "198.51.100.1")
    assert empty.remaining == 2


async def test_keys_count_apart_and_a_refusal_takes_no_entry(storage: InProcessMovingWindows) -> None:
    limiter = MovingWindowRateLimiter(storage)
    one = parse("1/minute")
    assert await limiter.hit(one, "conversation", "a")
    assert await limiter.hit(one, "conversation", "b")
    assert not await limiter.hit(one, "conversation", "a")
    assert (await limiter.get_window_stats(one, "conversation", "a")).remaining == 0
    await limiter.clear(one, "conversation", "a")
    assert await limiter.hit(one, "conversation", "a")


async def test_a_cost_above_the_limit_is_refused(storage: InProcessMovingWindows) -> None:
    assert not await storage.acquire_entry("k", limit=2, expiry=60, amount=3)
    assert await storage.acquire_entry("k", limit=2, expiry=60, amount=2)
    assert not await storage.acquire_entry("k", limit=2, expiry=60)


async def test_keys_left_alone_for_a_window_are_forgotten_without_being_used_again(
    storage: InProcessMovingWindows, clock: ManualClock
) -> None:
    for conversation in range(500):
        assert await storage.acquire_entry(f"conversation/{conversation}", limit=12, expiry=60)
    assert storage.keys() == 500
    clock.now += SWEEP_INTERVAL_S + 61
    assert await storage.acquire_entry("conversation/new", limit=12, expiry=60)
    assert storage.keys() == 1


async def test_a_key_still_in_its_window_survives_the_sweep(
    storage: InProcessMovingWindows, clock: ManualClock
) -> None:
    taken = clock.now
    assert await storage.acquire_entry("client/203.0.113.7", limit=5, expiry=900)
    clock.now += SWEEP_INTERVAL_S + 1
    assert await storage.acquire_entry("other", limit=5, expiry=60)
    assert storage.keys() == 2
    assert await storage.get_moving_window("client/203.0.113.7", limit=5, expiry=900) == (taken, 1)


async def test_fixed_window_counters_count_and_expire(storage: InProcessMovingWindows, clock: ManualClock) -> None:
    assert await storage.incr("k", expiry=10) == 1
    assert await storage.incr("k", expiry=10, amount=2) == 3
    assert await storage.get("k") == 3
    assert await storage.get_expiry("k") == pytest.approx(clock.now + 10)
    clock.now += 10
    assert await storage.get("k") == 0
    assert await storage.incr("k", expiry=10) == 1
    assert await storage.reset() == 1
    assert await storage.get("k") == 0
    assert await storage.check()
