"""Rate limits of the chat and the login: in one process, and shared by replicas through Redis."""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import Iterator

import pytest

from api.services.rate_limits import (
    ChatLimits,
    LoginRefused,
    LoginThrottle,
    RateLimited,
    async_storage,
    client_key,
    sync_storage,
)
from api.settings import Settings

pytestmark = pytest.mark.anyio


def chat_limits(
    *, conversations: str = "100/minute", per_client: str = "100/minute", per_conversation: str = "100/minute",
    redis_url: str | None = None, key_prefix: str = "unused",
) -> ChatLimits:  # fmt: skip
    return ChatLimits(
        storage=async_storage(redis_url=redis_url, key_prefix=key_prefix),
        conversations_per_client=conversations,
        messages_per_client=per_client,
        messages_per_conversation=per_conversation,
    )


def login_throttle(
    *, failures: str = "5 per 15 minutes", attempts: str = "100/minute", redis_url: str | None = None,
    key_prefix: str = "unused", in_all: str = "50 per 15 minutes",
) -> LoginThrottle:  # fmt: skip
    """`failures`: per username from one address; `in_all`: per username from all addresses."""
    return LoginThrottle(
        storage=sync_storage(redis_url=redis_url, key_prefix=key_prefix),
        failures_per_username_and_client=failures,
        failures_per_username=in_all,
        attempts_per_client=attempts,
    )


@pytest.mark.parametrize(
    ("host", "key"),
    [
        ("203.0.113.7", "203.0.113.7"),
        ("2001:db8:1:2:aaaa::1", "2001:db8:1:2::/64"),
        ("2001:db8:1:2:ffff:1:2:3", "2001:db8:1:2::/64"),  # the same connection's /64
        ("2001:db8:1:3::1", "2001:db8:1:3::/64"),
        ("::ffff:203.0.113.7", "203.0.113.7"),
        ("testclient", "testclient"),
        (None, "unknown"),
    ],
)
def test_clients_are_counted_by_ipv4_address_or_ipv6_slash_64(host: str | None, key: str) -> None:
    assert client_key(host) == key


async def test_new_conversations_past_the_limit_are_refused_with_the_seconds_until_the_window_frees() -> None:
    limits = chat_limits(conversations="3/minute")
    for _ in range(3):
        await limits.open_conversation(client="203.0.113.7")
    with pytest.raises(RateLimited) as refused:
        await limits.open_conversation(client="203.0.113.7")
    assert 58 <= refused.value.retry_after_s <= 60
    await limits.open_conversation(client="203.0.113.8")  # another client has its own count


async def test_messages_are_limited_per_conversation_and_per_client_and_a_refusal_counts_nowhere() -> None:
    limits = chat_limits(per_client="3/minute", per_conversation="2/minute")
    await limits.message(client="one", conversation_id="a")
    await limits.message(client="one", conversation_id="a")
    with pytest.raises(RateLimited):
        await limits.message(client="one", conversation_id="a")  # the conversation's limit
    await limits.message(client="one", conversation_id="b")
    with pytest.raises(RateLimited):
        await limits.message(client="one", conversation_id="b")  # the client's limit, across conversations
    # That refusal did not count for conversation b: it still takes one more message.
    await limits.message(client="two", conversation_id="b")
    with pytest.raises(RateLimited):
        await limits.message(client="two", conversation_id="b")


async def test_the_window_moves_a_refused_client_is_let_in_once_the_oldest_request_has_left_it() -> None:
    limits = chat_limits(conversations="2 per 1 second")
    await limits.open_conversation(client="c")
    await asyncio.sleep(0.5)
    await limits.open_conversation(client="c")
    with pytest.raises(RateLimited) as refused:
        await limits.open_conversation(client="c")
    assert refused.value.retry_after_s == 1
    await asyncio.sleep(0.6)  # the first one has left the window, the second has not
    await limits.open_conversation(client="c")
    with pytest.raises(RateLimited):
        await limits.open_conversation(client="c")


def test_an_address_is_locked_out_of_a_username_after_its_failures_and_only_that_address() -> None:
    throttle = login_throttle(failures="5 per 15 minutes")
    for _ in range(5):
        throttle.attempt(client="203.0.113.7", username="Sanne")
    with pytest.raises(LoginRefused) as refused:
        throttle.attempt(client="203.0.113.7", username=" sanne ")  # the same account and address
    assert 890 <= refused.value.retry_after_s <= 900
    assert (refused.value.limit, refused.value.first) == ("username_and_client", True)
    with pytest.raises(LoginRefused) as again:
        throttle.attempt(client="203.0.113.7", username="sanne")
    assert not again.value.first  # one audit entry per window, however many refusals follow
    # Whoever typed those cannot lock Sanne out: her own address has a count of its own.
    throttle.attempt(client="198.51.100.20", username="sanne")
    throttle.attempt(client="203.0.113.7", username="bas")  # other usernames are not affected


def test_a_guess_spread_over_many_addresses_locks_the_username_for_everyone() -> None:
    throttle = login_throttle(failures="2 per 15 minutes", in_all="5 per 15 minutes")
    for n in range(5):
        throttle.attempt(client=f"203.0.113.{n}", username="sanne")
    with pytest.raises(LoginRefused) as refused:
        throttle.attempt(client="198.51.100.20", username="sanne")
    assert refused.value.limit == "username" and 890 <= refused.value.retry_after_s <= 900


def test_a_successful_login_clears_the_usernames_failures() -> None:
    throttle = login_throttle(failures="3 per 15 minutes")
    for _ in range(2):
        throttle.attempt(client="c", username="sanne")
    throttle.attempt(client="c", username="sanne")
    throttle.succeeded(client="c", username="SANNE")
    for _ in range(3):
        throttle.attempt(client="c", username="sanne")
    with pytest.raises(RateLimited):
        throttle.attempt(client="c", username="sanne")


def test_one_client_may_try_so_often_whatever_the_usernames() -> None:
    throttle = login_throttle(attempts="3/minute")
    for name in ("a", "b", "c"):
        throttle.attempt(client="203.0.113.7", username=name)
    with pytest.raises(RateLimited) as refused:
        throttle.attempt(client="203.0.113.7", username="d")
    assert 58 <= refused.value.retry_after_s <= 60
    throttle.attempt(client="203.0.113.8", username="d")


async def test_the_limits_come_from_the_settings() -> None:
    settings = Settings(
        rate_limit_conversations_per_client="1/minute", login_failures_per_username="1/hour", redis_url=None
    )
    limits, throttle = ChatLimits.from_settings(settings), LoginThrottle.from_settings(settings)
    await limits.open_conversation(client="c")
    with pytest.raises(RateLimited):
        await limits.open_conversation(client="c")
    throttle.attempt(client="c", username="u")
    with pytest.raises(RateLimited) as refused:
        throttle.attempt(client="c", username="u")
    assert 3590 <= refused.value.retry_after_s <= 3600


@pytest.fixture
def key_prefix(redis_url: str) -> Iterator[str]:
    """A key prefix of this test's own in the real Redis, removed afterwards."""
    import redis

    prefix = f"loket-test-limits-{uuid.uuid4().hex}"
    yield prefix
    client = redis.Redis.from_url(redis_url)
    for key in client.scan_iter(f"{prefix}*"):
        client.delete(key)
    client.close()


async def test_replicas_count_chat_requests_together_in_redis(redis_url: str, key_prefix: str) -> None:
    # Two limiters with storages of their own on one Redis: two api replicas.
    shared = {"redis_url": redis_url, "key_prefix": key_prefix}
    replica_a = chat_limits(conversations="3/minute", per_conversation="2/minute", **shared)
    replica_b = chat_limits(conversations="3/minute", per_conversation="2/minute", **shared)
    await replica_a.open_conversation(client="203.0.113.7")
    await replica_b.open_conversation(client="203.0.113.7")
    await replica_a.open_conversation(client="203.0.113.7")
    with pytest.raises(RateLimited) as refused:
        await replica_b.open_conversation(client="203.0.113.7")
    assert 58 <= refused.value.retry_after_s <= 60
    await replica_a.message(client="203.0.113.7", conversation_id="c")
    await replica_b.message(client="203.0.113.7", conversation_id="c")
    with pytest.raises(RateLimited):
        await replica_a.message(client="203.0.113.7", conversation_id="c")


def test_replicas_share_the_login_throttle_in_redis(redis_url: str, key_prefix: str) -> None:
    replica_a = login_throttle(failures="2 per 15 minutes", redis_url=redis_url, key_prefix=key_prefix)
    replica_b = login_throttle(failures="2 per 15 minutes", redis_url=redis_url, key_prefix=key_prefix)
    replica_a.attempt(client="c", username="sanne")
    replica_b.attempt(client="c", username="sanne")
    with pytest.raises(RateLimited):
        replica_a.attempt(client="c", username="sanne")
    replica_b.succeeded(client="c", username="sanne")  # a success on one replica clears it for all
    replica_a.attempt(client="c", username="sanne")


async def test_without_redis_requests_are_let_through_and_the_failure_is_logged(
    caplog: pytest.LogCaptureFixture,
) -> None:
    unreachable = "redis://127.0.0.1:1/0"
    limits = chat_limits(conversations="1/minute", redis_url=unreachable)
    throttle = login_throttle(failures="1/minute", redis_url=unreachable)
    with caplog.at_level(logging.WARNING, logger="loket.api"):
        for _ in range(2):
            await limits.open_conversation(client="c")
            await limits.message(client="c", conversation_id="x")
            throttle.attempt(client="c", username="u")
        throttle.succeeded(client="c", username="u")
    assert "Rate limits not checked" in caplog.text
    assert "Login throttle not checked" in caplog.text
