"""Talks to the Rasa server over its REST channel (/webhooks/rest/webhook), without holding a thread."""

from __future__ import annotations

from typing import Any

import httpx


class RasaUnavailable(RuntimeError):
    """Rasa did not answer (down, starting, or too slow)."""


class RasaClient:
    def __init__(self, *, base_url: str, timeout_s: float, keepalive: int) -> None:
        # No cap on connections here: admission control bounds the ordinary turns, and a crisis
        # turn, which bypasses it, must not wait for a pooled connection. `keepalive`: the usual
        # number of turns at Rasa at once.
        self._client = httpx.AsyncClient(
            base_url=base_url,
            timeout=timeout_s,
            limits=httpx.Limits(max_connections=None, max_keepalive_connections=keepalive),
        )

    async def send(
        self, *, sender: str, text: str, metadata: dict[str, Any], timeout_s: float | None = None
    ) -> list[dict[str, Any]]:
        """Rasa's replies; `timeout_s` overrides the client's timeout for this call."""
        try:
            response = await self._client.post(
                "/webhooks/rest/webhook",
                json={"sender": sender, "message": text, "metadata": metadata},
                timeout=timeout_s if timeout_s is not None else httpx.USE_CLIENT_DEFAULT,
            )
            response.raise_for_status()
        except httpx.HTTPError as error:
            raise RasaUnavailable(str(error)) from error
        return list(response.json() or [])

    async def close(self) -> None:
        await self._client.aclose()
