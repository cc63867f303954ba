"""Talks to the Rasa server over its REST channel (/webhooks/rest/webhook), without holding a thread."""

from __future__ import annotations

from typing import Any

import httpx


class RasaUnavailable(RuntimeError):
    """Rasa did not answer (down, starting, or too slow)."""


class RasaClient:
    def __init__(self, *, base_url: str, timeout_s: float, max_connections: int) -> None:
        # Admission control keeps the number of turns at Rasa at `max_connections` at most;
        # the pool matches it, so no turn waits for a connection on top of that.
        self._client = httpx.AsyncClient(
            base_url=base_url,
            timeout=timeout_s,
            limits=httpx.Limits(max_connections=max_connections, max_keepalive_connections=max_connections),
        )

    async def send(self, *, sender: str, text: str, metadata: dict[str, Any]) -> list[dict[str, Any]]:
        try:
            response = await self._client.post(
                "/webhooks/rest/webhook",
                json={"sender": sender, "message": text, "metadata": metadata},
            )
            response.raise_for_status()
        except httpx.HTTPError as error:
            raise RasaUnavailable(str(error)) from error
        return list(response.json() or [])

    async def close(self) -> None:
        await self._client.aclose()
