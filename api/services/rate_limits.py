"""Rate limits: how often one client may open conversations, send messages and try to log in.

Counted in moving windows (the `limits` library): "12/minute" refuses the 13th request in any
60 seconds, and the refusal says when the oldest of those 12 leaves the window (Retry-After).
A refused request is not counted. The counters live in this process, or in Redis when
LOKET_REDIS_URL is set, so that api replicas count together. When Redis fails, requests are let
through and a warning is logged: the limits protect capacity, they are no reason to stop the chat
or the login (the chat's turn locks need Redis anyway).
"""

from __future__ import annotations

import ipaddress
import logging
import math
import time
from typing import Any

from limits import RateLimitItem, parse
from limits.aio.storage import RedisStorage as AsyncRedisStorage
from limits.aio.storage import Storage as AsyncStorage
from limits.aio.strategies import MovingWindowRateLimiter as AsyncMovingWindowRateLimiter
from limits.errors import StorageError
from limits.storage import MemoryStorage, RedisStorage, Storage
from limits.strategies import MovingWindowRateLimiter

from api.services.moving_windows import InProcessMovingWindows
from api.settings import Settings

log = logging.getLogger("loket.api")

# Prefix of the counters' keys in Redis.
KEY_PREFIX = "loket:limits"
# A Redis that does not answer within this delays no login or turn for longer.
REDIS_TIMEOUT_S = 2


class RateLimited(Exception):
    """Refused: the window frees in `retry_after_s` seconds."""

    def __init__(self, retry_after_s: int) -> None:
        super().__init__(f"rate limited, retry after {retry_after_s} s")
        self.retry_after_s = retry_after_s


def client_key(host: str | None) -> str:
    """Who is counted: an IPv4 address, or an IPv6 address's /64, since one connection is given a
    whole /64 and counting single IPv6 addresses would count nothing."""
    if not host:
        return "unknown"
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return host  # not an address (a Unix socket, a test client)
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:
            return str(address.ipv4_mapped)
        return str(ipaddress.IPv6Network(f"{address}/64", strict=False))
    return str(address)


def _retry_after(reset_at: float) -> int:
    return max(1, math.ceil(reset_at - time.time()))


def _username(username: str) -> str:
    # As UserStore compares them: "Bas " and "bas" are one account, and one counter.
    return username.strip().lower()


def async_storage(*, redis_url: str | None, connection_pool: Any = None, key_prefix: str = KEY_PREFIX) -> AsyncStorage:
    """The chat's counters: in this process, or in Redis (on `connection_pool` when given, the app's own)."""
    if redis_url is None:
        return InProcessMovingWindows()
    options: dict[str, Any] = (
        {"connection_pool": connection_pool}
        if connection_pool is not None
        else {"socket_timeout": REDIS_TIMEOUT_S, "socket_connect_timeout": REDIS_TIMEOUT_S}
    )
    return AsyncRedisStorage(
        f"async+{redis_url}", implementation="redispy", key_prefix=key_prefix, wrap_exceptions=True, **options
    )


def sync_storage(*, redis_url: str | None, key_prefix: str = KEY_PREFIX) -> Storage:
    """The login's counters: in this process, or in Redis."""
    if redis_url is None:
        return MemoryStorage()
    return RedisStorage(
        redis_url, key_prefix=key_prefix, wrap_exceptions=True,
        socket_timeout=REDIS_TIMEOUT_S, socket_connect_timeout=REDIS_TIMEOUT_S,
    )  # fmt: skip


class ChatLimits:
    """The citizen chat's limits, checked before a message is stored or reaches Rasa.

    Async: on the chat path no thread waits for Redis.
    """

    def __init__(
        self,
        *,
        storage: AsyncStorage,
        conversations_per_client: str,
        messages_per_client: str,
        messages_per_conversation: str,
    ) -> None:
        self._limiter = AsyncMovingWindowRateLimiter(storage)
        self._conversations_per_client = parse(conversations_per_client)
        self._messages_per_client = parse(messages_per_client)
        self._messages_per_conversation = parse(messages_per_conversation)

    @classmethod
    def from_settings(cls, settings: Settings, *, connection_pool: Any = None) -> ChatLimits:
        return cls(
            storage=async_storage(redis_url=settings.redis_url, connection_pool=connection_pool),
            conversations_per_client=settings.rate_limit_conversations_per_client,
            messages_per_client=settings.rate_limit_messages_per_client,
            messages_per_conversation=settings.rate_limit_messages_per_conversation,
        )

    async def open_conversation(self, *, client: str) -> None:
        """Count a new conversation of `client` (client_key); RateLimited past the limit."""
        await self._take([(self._conversations_per_client, ("chat-conversations", client))])

    async def message(self, *, client: str, conversation_id: str) -> None:
        """Count a message against its conversation and its client; RateLimited past either limit,
        and then it counts against neither."""
        await self._take(
            [
                (self._messages_per_conversation, ("chat-conversation", conversation_id)),
                (self._messages_per_client, ("chat-messages", client)),
            ]
        )

    async def _take(self, limits: list[tuple[RateLimitItem, tuple[str, ...]]]) -> None:
        try:
            if len(limits) > 1:  # first see that every limit has room, so a refusal counts nowhere
                for item, identifiers in limits:
                    if not await self._limiter.test(item, *identifiers):
                        raise RateLimited(await self._retry_after(item, identifiers))
            for item, identifiers in limits:
                if not await self._limiter.hit(item, *identifiers):
                    raise RateLimited(await self._retry_after(item, identifiers))
        except StorageError as error:
            log.warning("Rate limits not checked, their storage failed: %s", error.storage_error)

    async def _retry_after(self, item: RateLimitItem, identifiers: tuple[str, ...]) -> int:
        return _retry_after((await self._limiter.get_window_stats(item, *identifiers)).reset_time)


class LoginRefused(RateLimited):
    """A login refused by the throttle: `limit` says which (`client`, `username_and_client` or
    `username`); `first` is True for the first refusal of this username from this address in the
    window, the one worth an audit entry (a flood of refusals writes one)."""

    def __init__(self, retry_after_s: int, *, limit: str, first: bool) -> None:
        super().__init__(retry_after_s)
        self.limit = limit
        self.first = first


class LoginThrottle:
    """Login attempts, counted before the password is checked, so that a flood costs no Argon2 time.

    Per client address every attempt counts. Per username, the attempts since its last successful
    login count twice: from this address (a low limit: this address is locked out of the account
    for the rest of the window) and from all addresses together (a higher one, against a guess
    spread over many addresses). Counting per address keeps anyone from locking a moderator out by
    typing wrong passwords for their username: the moderator's own address has a count of its own.
    Unknown usernames are counted alike (the answer must not tell whether one exists). Sync: the
    login runs in FastAPI's thread pool, like the password check.
    """

    def __init__(
        self,
        *,
        storage: Storage,
        failures_per_username: str,
        attempts_per_client: str,
        failures_per_username_and_client: str | None = None,
    ) -> None:
        self._limiter = MovingWindowRateLimiter(storage)
        self._failures_per_username = parse(failures_per_username)
        self._failures_per_pair = parse(failures_per_username_and_client or failures_per_username)
        self._attempts_per_client = parse(attempts_per_client)
        # One audit entry per username, address and window of the per-address limit.
        self._reported = parse(f"1 per {self._failures_per_pair.get_expiry()} seconds")

    @classmethod
    def from_settings(cls, settings: Settings) -> LoginThrottle:
        return cls(
            storage=sync_storage(redis_url=settings.redis_url),
            failures_per_username=settings.login_failures_per_username,
            failures_per_username_and_client=settings.login_failures_per_username_and_client,
            attempts_per_client=settings.login_attempts_per_client,
        )

    def attempt(self, *, client: str, username: str) -> None:
        """Count a login attempt; LoginRefused when the client, or the username from this client
        or from everywhere, has tried too often."""
        name = _username(username)
        try:
            for limit, item, identifiers in (
                ("client", self._attempts_per_client, ("login-client", client)),
                ("username_and_client", self._failures_per_pair, ("login-username-client", name, client)),
                ("username", self._failures_per_username, ("login-username", name)),
            ):
                if not self._limiter.hit(item, *identifiers):
                    retry_after = _retry_after(self._limiter.get_window_stats(item, *identifiers).reset_time)
                    first = self._limiter.hit(self._reported, "login-refused", name, client)
                    raise LoginRefused(retry_after, limit=limit, first=first)
        except StorageError as error:
            log.warning("Login throttle not checked, its storage failed: %s", error.storage_error)

    def succeeded(self, *, client: str, username: str) -> None:
        """The password was right: the username's failures are forgiven, from this address and in all."""
        name = _username(username)
        try:
            self._limiter.clear(self._failures_per_pair, "login-username-client", name, client)
            self._limiter.clear(self._failures_per_username, "login-username", name)
        except StorageError as error:
            log.warning("Login throttle not cleared, its storage failed: %s", error.storage_error)
