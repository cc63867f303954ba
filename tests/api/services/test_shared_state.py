"""The Redis connection the replicas share."""

from __future__ import annotations

import uuid

import pytest

from api.services.shared_state import open_redis

pytestmark = pytest.mark.anyio


async def test_open_redis_talks_to_the_configured_server(redis_url: str) -> None:
    redis = open_redis(redis_url)
    key = f"loket:test:{uuid.uuid4().hex}"
    try:
        await redis.set(key, "1", ex=5)
        assert await redis.get(key) == b"1"
    finally:
        await redis.delete(key)
        await redis.aclose()


async def test_open_redis_does_not_connect_before_first_use() -> None:
    # Start-up must not wait for (or fail on) a Redis that is briefly away.
    redis = open_redis("redis://127.0.0.1:1/0")
    await redis.aclose()
