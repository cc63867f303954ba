"""One turn at a time per conversation, so two messages sent together are handled in order.

In one api process an asyncio lock per conversation does it; with several replicas
(`LOKET_REDIS_URL` set) the lock lives in Redis, so whichever replica a message reaches
waits for the turn another replica is still handling. Rasa keeps its own lock per
conversation as well (its lock store); this one also keeps the stored messages in order.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import AbstractAsyncContextManager, asynccontextmanager, suppress
from typing import Any, Protocol

from api.services.admission import Busy


class ConversationLocks(Protocol):
    def hold(self, conversation_id: str) -> AbstractAsyncContextManager[None]:
        """Wait for the conversation's previous turn; raise Busy when that takes too long."""
        ...


class LocalConversationLocks:
    """Locks for one process; a conversation's lock exists only while someone holds or waits for it."""

    def __init__(self, *, max_wait_s: float, retry_after_s: int = 2) -> None:
        self._locks: dict[str, tuple[asyncio.Lock, int]] = {}
        self._max_wait_s = max_wait_s
        self._retry_after_s = retry_after_s

    @asynccontextmanager
    async def hold(self, conversation_id: str) -> AsyncIterator[None]:
        lock, users = self._locks.get(conversation_id, (asyncio.Lock(), 0))
        self._locks[conversation_id] = (lock, users + 1)
        try:
            try:
                await asyncio.wait_for(lock.acquire(), timeout=self._max_wait_s)
            except TimeoutError:
                raise Busy(self._retry_after_s) from None
            try:
                yield
            finally:
                lock.release()
        finally:
            lock, users = self._locks[conversation_id]
            if users == 1:
                del self._locks[conversation_id]
            else:
                self._locks[conversation_id] = (lock, users - 1)

    def __len__(self) -> int:
        return len(self._locks)


class RedisConversationLocks:
    """Locks shared by every api replica.

    A lock lives `ttl_s` unless its holder renews it, which it does every third of that while
    the turn runs: a replica that dies holding a lock blocks its conversation for at most
    `ttl_s`, however long a live turn takes.
    """

    def __init__(self, redis: Any, *, ttl_s: float, max_wait_s: float, retry_after_s: int = 2) -> None:
        self._redis = redis  # redis.asyncio.Redis
        self._ttl_s = ttl_s
        self._max_wait_s = max_wait_s
        self._retry_after_s = retry_after_s

    @asynccontextmanager
    async def hold(self, conversation_id: str) -> AsyncIterator[None]:
        from redis.exceptions import LockError

        lock = self._redis.lock(
            f"loket:conversation:{conversation_id}:turn",
            timeout=self._ttl_s,
            sleep=0.02,
            blocking_timeout=self._max_wait_s,
        )
        if not await lock.acquire():
            raise Busy(self._retry_after_s)
        renewing = asyncio.create_task(self._keep_alive(lock))
        try:
            yield
        finally:
            renewing.cancel()
            # Expired anyway (Redis unreachable for longer than ttl_s): nothing left to release.
            with suppress(LockError):
                await lock.release()

    async def _keep_alive(self, lock: Any) -> None:
        from redis.exceptions import LockError, RedisError

        with suppress(LockError, RedisError):
            while True:
                await asyncio.sleep(self._ttl_s / 3)
                await lock.reacquire()


# How long a conversation stays locked after the replica holding it died (renewed while alive).
REDIS_LOCK_TTL_S = 5.0


def conversation_locks(*, redis: Any | None, max_wait_s: float, retry_after_s: int) -> ConversationLocks:
    """Redis locks when replicas share a Redis, else locks in this process."""
    if redis is None:
        return LocalConversationLocks(max_wait_s=max_wait_s, retry_after_s=retry_after_s)
    return RedisConversationLocks(redis, ttl_s=REDIS_LOCK_TTL_S, max_wait_s=max_wait_s, retry_after_s=retry_after_s)
