"""One turn at a time per conversation: in one process, and across replicas through Redis."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from typing import Any

import pytest

from api.services.admission import Busy
from api.services.conversation_locks import (
    ConversationLocks,
    LocalConversationLocks,
    RedisConversationLocks,
    conversation_locks,
)
from api.services.shared_state import open_redis

pytestmark = pytest.mark.anyio


async def turn(locks: ConversationLocks, conversation: str, name: str, log: list[str], seconds: float = 0.05) -> None:
    async with locks.hold(conversation):
        log.append(f"start {name}")
        await asyncio.sleep(seconds)
        log.append(f"end {name}")


@pytest.fixture
async def redis(redis_url: str) -> AsyncIterator[Any]:
    client = open_redis(redis_url)
    yield client
    await client.aclose()


async def test_local_turns_of_one_conversation_never_overlap_and_keep_their_order() -> None:
    locks = LocalConversationLocks(max_wait_s=5)
    log: list[str] = []
    await asyncio.gather(turn(locks, "c", "1", log), turn(locks, "c", "2", log), turn(locks, "c", "3", log))
    assert log == ["start 1", "end 1", "start 2", "end 2", "start 3", "end 3"]
    assert len(locks) == 0  # no lock is kept for a conversation nobody is waiting on


async def test_local_turns_of_other_conversations_run_side_by_side() -> None:
    locks = LocalConversationLocks(max_wait_s=5)
    log: list[str] = []
    await asyncio.gather(turn(locks, "a", "a", log), turn(locks, "b", "b", log))
    assert log[:2] == ["start a", "start b"]


async def test_a_turn_waiting_too_long_is_busy() -> None:
    locks = LocalConversationLocks(max_wait_s=0.02, retry_after_s=5)
    log: list[str] = []
    running = asyncio.create_task(turn(locks, "c", "long", log, seconds=0.2))
    await asyncio.sleep(0.01)
    with pytest.raises(Busy) as refused:
        await turn(locks, "c", "late", log)
    assert refused.value.retry_after_s == 5
    await running
    assert "start late" not in log and len(locks) == 0


async def test_two_replicas_share_the_turn_lock_through_redis(redis: Any) -> None:
    # Two lock objects, as two api processes would have, on the same Redis.
    replica_a = RedisConversationLocks(redis, ttl_s=10, max_wait_s=5)
    replica_b = RedisConversationLocks(redis, ttl_s=10, max_wait_s=5)
    conversation = uuid.uuid4().hex
    log: list[str] = []
    await asyncio.gather(turn(replica_a, conversation, "a", log, 0.1), turn(replica_b, conversation, "b", log, 0.1))
    assert log in (["start a", "end a", "start b", "end b"], ["start b", "end b", "start a", "end a"])


async def test_a_live_turn_longer_than_the_lock_ttl_keeps_its_lock(redis: Any) -> None:
    locks = RedisConversationLocks(redis, ttl_s=0.3, max_wait_s=0.2)
    conversation = uuid.uuid4().hex
    log: list[str] = []
    running = asyncio.create_task(turn(locks, conversation, "long", log, seconds=1.0))
    await asyncio.sleep(0.6)  # twice the ttl: without renewal the lock would be gone
    with pytest.raises(Busy):
        await turn(locks, conversation, "intruder", log)
    await running
    assert log == ["start long", "end long"]


async def test_a_lock_left_by_a_dead_replica_expires(redis: Any) -> None:
    conversation = uuid.uuid4().hex
    # A replica that died mid-turn: its lock is never released, only expires.
    abandoned = redis.lock(f"loket:conversation:{conversation}:turn", timeout=0.3)
    assert await abandoned.acquire()
    locks = RedisConversationLocks(redis, ttl_s=10, max_wait_s=2)
    log: list[str] = []
    await turn(locks, conversation, "after", log)
    assert log == ["start after", "end after"]


async def test_the_factory_picks_redis_only_when_one_is_configured(redis: Any) -> None:
    assert isinstance(conversation_locks(redis=None, max_wait_s=1, retry_after_s=2), LocalConversationLocks)
    assert isinstance(conversation_locks(redis=redis, max_wait_s=1, retry_after_s=2), RedisConversationLocks)
