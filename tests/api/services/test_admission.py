"""Admission control: a bounded number of turns at once, a bounded queue, busy past that."""

from __future__ import annotations

import asyncio

import pytest

from api.services.admission import Admission, Busy

pytestmark = pytest.mark.anyio


async def hold(admission: Admission, seconds: float, log: list[str], name: str) -> None:
    async with admission.slot():
        log.append(f"in {name}")
        await asyncio.sleep(seconds)
        log.append(f"out {name}")


async def test_at_most_capacity_turns_run_at_once_and_the_rest_wait_their_turn() -> None:
    admission = Admission(capacity=2, queue_limit=10, max_wait_s=5)
    log: list[str] = []
    await asyncio.gather(*(hold(admission, 0.05, log, str(i)) for i in range(5)))
    running = peak = 0
    for entry in log:
        running += 1 if entry.startswith("in") else -1
        peak = max(peak, running)
    assert peak == 2 and len(log) == 10


async def test_a_full_queue_refuses_at_once() -> None:
    admission = Admission(capacity=1, queue_limit=1, max_wait_s=5, retry_after_s=4)
    log: list[str] = []
    first = asyncio.create_task(hold(admission, 0.2, log, "first"))
    queued = asyncio.create_task(hold(admission, 0, log, "queued"))
    await asyncio.sleep(0.02)
    started = asyncio.get_running_loop().time()
    with pytest.raises(Busy) as refused:
        async with admission.slot():
            pass
    assert asyncio.get_running_loop().time() - started < 0.05
    assert refused.value.retry_after_s == 4
    await asyncio.gather(first, queued)
    assert log == ["in first", "out first", "in queued", "out queued"]


async def test_waiting_longer_than_max_wait_is_busy_and_gives_back_its_place() -> None:
    admission = Admission(capacity=1, queue_limit=5, max_wait_s=0.05)
    log: list[str] = []
    first = asyncio.create_task(hold(admission, 0.3, log, "first"))
    await asyncio.sleep(0.01)
    with pytest.raises(Busy):
        async with admission.slot():
            pass
    assert admission.waiting == 0
    await first
    async with admission.slot():  # the slot came back: nothing leaked
        pass


def test_nonsense_limits_are_refused() -> None:
    with pytest.raises(ValueError):
        Admission(capacity=0, queue_limit=1, max_wait_s=1)
