"""The connection to Redis, where api replicas keep what they must share (LOKET_REDIS_URL)."""

from __future__ import annotations

from typing import Any


def open_redis(url: str) -> Any:
    """An asyncio Redis client; connections are made on first use, so start-up does not wait."""
    from redis.asyncio import Redis

    return Redis.from_url(url, health_check_interval=30, socket_connect_timeout=2)
