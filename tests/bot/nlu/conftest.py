"""The custom NLU components run where Rasa runs: in the Rasa environment, as subprocesses.

`in_rasa` runs a script there and returns what it printed as JSON, so the assertions stay in the
test. `rasa_parser` keeps one Rasa process with the trained model for the whole session (loading it
takes ~30 s) and parses messages the way the REST channel does (text + metadata).
"""

from __future__ import annotations

import json
import subprocess
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from api.operations.rasa_model import rasa_env
from api.settings import PROJECT_ROOT, Settings

RESULT = "RESULT "
# Prepended to every script: `report(value)` prints the JSON the test reads.
RESULT_HELPER = f"""
import json as _json


def report(value):
    print({RESULT!r} + _json.dumps(value), flush=True)

"""


def in_rasa(script: str, *args: str, timeout: int = 300) -> Any:
    """Runs `script` with the Rasa environment's Python in the project root; the JSON it printed
    after `RESULT ` (see `RESULT_HELPER`), or a failure with its output."""
    settings = Settings()
    result = subprocess.run(
        [str(settings.rasa_python), "-c", RESULT_HELPER + script, *args],
        cwd=PROJECT_ROOT, env=rasa_env(settings), capture_output=True, text=True, timeout=timeout,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-3000:]
    lines = [line for line in result.stdout.splitlines() if line.startswith(RESULT)]
    assert len(lines) == 1, result.stdout[-2000:]
    return json.loads(lines[0][len(RESULT) :])


# Loads the model with Rasa's own Agent, then parses one JSON message per input line until the
# input ends, printing one JSON line per message.
PARSE_SERVER = """
import asyncio, json, sys
from rasa.core.agent import Agent
from rasa.core.channels.channel import UserMessage

async def main():
    agent = Agent.load(sys.argv[1])
    print("READY", flush=True)
    while True:
        line = sys.stdin.readline()
        if not line:
            break
        item = json.loads(line)
        parsed = await agent.processor.parse_message(UserMessage(item["text"], metadata=item.get("metadata")))
        print("PARSED " + json.dumps({
            "intent": parsed["intent"]["name"], "entities": parsed["entities"],
            "text_embedding": parsed.get("text_embedding"),
        }), flush=True)

asyncio.run(main())
"""

Parser = Callable[[list[dict[str, Any]]], list[dict[str, Any]]]


@pytest.fixture(scope="session")
def rasa_parser(trained_model: Path) -> Iterator[Parser]:
    """Parses messages ({"text", "metadata"}) with the trained model, in one Rasa process."""
    settings = Settings()
    with tempfile.TemporaryFile(mode="w+") as errors:
        process = subprocess.Popen(
            [str(settings.rasa_python), "-c", PARSE_SERVER, str(trained_model)],
            cwd=PROJECT_ROOT, env=rasa_env(settings), stdin=subprocess.PIPE, stdout=subprocess.PIPE,
            stderr=errors, text=True,
        )  # fmt: skip
        assert process.stdin is not None and process.stdout is not None

        def next_line(prefix: str) -> str:
            while line := process.stdout.readline():
                if line.startswith(prefix):
                    return line[len(prefix) :]
            errors.seek(0)
            raise AssertionError(f"the Rasa parser stopped (exit code {process.poll()}): {errors.read()[-3000:]}")

        def parse(messages: list[dict[str, Any]]) -> list[dict[str, Any]]:
            process.stdin.write("".join(json.dumps(message) + "\n" for message in messages))
            process.stdin.flush()
            return [json.loads(next_line("PARSED ")) for _ in messages]

        try:
            next_line("READY")
            yield parse
        finally:
            process.stdin.close()
            try:
                process.wait(timeout=60)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
