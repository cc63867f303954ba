"""The client of Rasa's REST channel, against a real HTTP server standing in for Rasa."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from typing import Any

import pytest

from api.services.rasa_client import RasaClient, RasaUnavailable
from tests.api.conftest import free_port

pytestmark = pytest.mark.anyio


class FakeRasaServer:
    """Answers POST /webhooks/rest/webhook like Rasa's REST channel, or with `status`."""

    def __init__(self, *, status: int = 200, delay_s: float = 0) -> None:
        self.status, self.delay_s = status, delay_s
        self.requests: list[dict[str, Any]] = []

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        head = await reader.readuntil(b"\r\n\r\n")
        length = int(
            next(line.split(b":")[1] for line in head.split(b"\r\n") if line.lower().startswith(b"content-length"))
        )
        body = json.loads(await reader.readexactly(length))
        self.requests.append(body)
        await asyncio.sleep(self.delay_s)
        payload = json.dumps([{"recipient_id": body["sender"], "text": f"echo {body['message']}"}]).encode()
        head = f"HTTP/1.1 {self.status} X\r\nContent-Type: application/json\r\nContent-Length: {len(payload)}\r\n\r\n"
        writer.write(head.encode() + payload)
        await writer.drain()
        writer.close()


@pytest.fixture
async def server() -> AsyncIterator[tuple[FakeRasaServer, str]]:
    fake = FakeRasaServer()
    port = free_port()
    listening = await asyncio.start_server(fake.handle, "127.0.0.1", port)
    yield fake, f"http://127.0.0.1:{port}"
    listening.close()


async def test_sends_the_message_with_sender_and_metadata(server: tuple[FakeRasaServer, str]) -> None:
    fake, url = server
    client = RasaClient(base_url=url, timeout_s=5, keepalive=2)
    replies = await client.send(sender="c1", text="hoi", metadata={"language": "nl"})
    await client.close()
    assert replies == [{"recipient_id": "c1", "text": "echo hoi"}]
    assert fake.requests == [{"sender": "c1", "message": "hoi", "metadata": {"language": "nl"}}]


async def test_an_error_status_a_timeout_and_no_server_are_rasa_unavailable(server: tuple[FakeRasaServer, str]) -> None:
    fake, url = server
    fake.status = 500
    client = RasaClient(base_url=url, timeout_s=0.3, keepalive=2)
    with pytest.raises(RasaUnavailable):
        await client.send(sender="c", text="hoi", metadata={})
    fake.status, fake.delay_s = 200, 1.0
    with pytest.raises(RasaUnavailable):
        await client.send(sender="c", text="hoi", metadata={})
    await client.close()
    nobody = RasaClient(base_url=f"http://127.0.0.1:{free_port()}", timeout_s=1, keepalive=1)
    with pytest.raises(RasaUnavailable):
        await nobody.send(sender="c", text="hoi", metadata={})
    await nobody.close()


async def test_a_call_may_wait_less_than_the_clients_timeout(server: tuple[FakeRasaServer, str]) -> None:
    fake, url = server
    fake.delay_s = 0.5
    client = RasaClient(base_url=url, timeout_s=5, keepalive=1)
    with pytest.raises(RasaUnavailable):
        await client.send(sender="c", text="hoi", metadata={}, timeout_s=0.1)
    assert await client.send(sender="c", text="hoi", metadata={}) == [{"recipient_id": "c", "text": "echo hoi"}]
    await client.close()
