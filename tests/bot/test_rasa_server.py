"""bot/rasa_server.py: the action-response check keeps Rasa's behaviour, run in the Rasa environment."""

from __future__ import annotations

import subprocess

import pytest

from api.services.rasa_model import rasa_env
from api.settings import PROJECT_ROOT, Settings

pytestmark = pytest.mark.integration

CHECK = """
import time
from jsonschema import ValidationError, validate
from rasa.core.actions.action import RemoteAction
from bot.rasa_server import validate_action_result

schema = RemoteAction.action_response_format_spec()
good = {"events": [{"event": "slot", "name": "language", "value": "en", "timestamp": None}],
        "responses": [{"text": "Hallo", "buttons": [], "custom": {"sources": []}}]}
bad = [{"events": [{"name": "language"}]}, {"events": "slot"}, {"responses": "hallo"}]
assert validate_action_result(None, good) is True
validate(good, schema)  # Rasa's own check agrees
for result in bad:
    try:
        validate(result, schema)
    except ValidationError:
        pass
    else:
        raise SystemExit(f"Rasa's own check accepts {result}")
    try:
        validate_action_result(None, result)
    except ValidationError as error:
        assert "Failed to validate Action server response" in error.message
    else:
        raise SystemExit(f"accepted {result}")
started = time.perf_counter()
for _ in range(20):
    validate_action_result(None, good)
print("ms per check", (time.perf_counter() - started) / 20 * 1000)
"""


def test_compiled_check_accepts_and_rejects_what_rasa_does() -> None:
    settings = Settings()
    result = subprocess.run(
        [str(settings.rasa_python), "-c", CHECK], cwd=PROJECT_ROOT, env=rasa_env(settings),
        capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-3000:]
    assert "ms per check" in result.stdout

