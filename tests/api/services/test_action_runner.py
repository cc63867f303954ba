"""Custom actions run in worker threads of their own, never on the api's event loop."""

from __future__ import annotations

import asyncio
import threading
import time
from typing import Any

import pytest
from rasa_sdk import Action
from rasa_sdk.executor import ActionExecutor
from rasa_sdk.interfaces import ActionNotFoundException

from api.services.action_runner import ActionRunner

pytestmark = pytest.mark.anyio

running: list[int] = []
peak: list[int] = [0]
guard = threading.Lock()


class BlockingAction(Action):
    """Blocks its thread like the answer search does (CPU and database, no awaits)."""

    def name(self) -> str:
        return "action_blocking_test"

    async def run(self, dispatcher: Any, tracker: Any, domain: Any) -> list[dict[str, Any]]:
        with guard:
            running.append(1)
            peak[0] = max(peak[0], len(running))
        time.sleep(0.1)
        with guard:
            running.pop()
        dispatcher.utter_message(text=f"ran in {threading.current_thread().name}")
        return []


def call(action: str = "action_blocking_test") -> dict[str, Any]:
    return {
        "next_action": action,
        "sender_id": "abc",
        "tracker": {"sender_id": "abc", "slots": {}, "latest_message": {}, "events": [], "paused": False,
                    "followup_action": None, "active_loop": {}, "latest_action_name": None},
        "domain": {},
        "version": "3.6.21",
    }  # fmt: skip


@pytest.fixture
def runner() -> ActionRunner:
    executor = ActionExecutor()
    executor.register_action(BlockingAction())
    peak[0] = 0
    return ActionRunner(executor, workers=2)


async def test_the_event_loop_keeps_serving_while_actions_block(runner: ActionRunner) -> None:
    ticks = 0

    async def ticker() -> None:
        nonlocal ticks
        for _ in range(10):
            await asyncio.sleep(0.01)
            ticks += 1

    responses = await asyncio.gather(runner.run(call()), runner.run(call()), ticker())
    assert ticks == 10
    for response in responses[:2]:
        assert response is not None
        assert response["responses"][0]["text"] != f"ran in {threading.current_thread().name}"


async def test_no_more_actions_run_at_once_than_workers(runner: ActionRunner) -> None:
    await asyncio.gather(*(runner.run(call()) for _ in range(5)))
    assert peak[0] == 2


async def test_rasa_sdk_errors_reach_the_webhook(runner: ActionRunner) -> None:
    with pytest.raises(ActionNotFoundException):
        await runner.run(call("action_that_does_not_exist"))
