"""Fixtures for the knowledge tests: tiny corpora on disk and a call-counting fake embedder."""

from __future__ import annotations

import textwrap
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from knowledge.embedding import HashingEmbedder
from knowledge.sparse import Analyzer
from knowledge.types import Document


class CountingEmbedder(HashingEmbedder):
    """The hashing fake, recording every text it is asked to embed (documents and queries)."""

    def __init__(self) -> None:
        super().__init__()
        self.embedded: list[str] = []
        self.queries: list[str] = []

    def embed_documents(self, texts: list[str]) -> np.ndarray:
        self.embedded.extend(texts)
        return super().embed_documents(texts)

    def embed_queries(self, texts: list[str]) -> np.ndarray:
        self.queries.extend(texts)
        return super().embed_queries(texts)


WriteDoc = Callable[..., Path]


@pytest.fixture
def write_doc(tmp_path: Path) -> WriteDoc:
    """write_doc("name.md", body, **front_matter) -> path; no front matter if none given."""

    def write(name: str, body: str, folder: Path | None = None, **meta: object) -> Path:
        path = (folder or tmp_path / "docs") / name
        path.parent.mkdir(parents=True, exist_ok=True)
        text = textwrap.dedent(body).lstrip("\n")
        if meta:
            lines = []
            for key, value in meta.items():
                if isinstance(value, (list, tuple)):
                    value = "[" + ", ".join(str(v) for v in value) + "]"
                lines.append(f"{key}: {value}")
            text = "---\n" + "\n".join(lines) + "\n---\n\n" + text
        path.write_text(text, encoding="utf-8")
        return path

    return write


@pytest.fixture
def counting_embedder() -> CountingEmbedder:
    return CountingEmbedder()


@pytest.fixture(scope="session")
def analyzer() -> Analyzer:
    # One per session: loading the spaCy lookup tables takes a second or two.
    return Analyzer()


def make_doc(doc_id: str, body: str, **fields: Any) -> Document:
    fields.setdefault("url", f"/documents/{doc_id}")  # what ingest gives a document without url
    fields.setdefault("title", doc_id.replace("-", " ").title())
    return Document(id=doc_id, body=body, **fields)


@pytest.fixture
def doc_factory() -> Callable[..., Document]:
    return make_doc


@pytest.fixture
def small_corpus() -> list[Document]:
    """Three public documents and two internal ones, in Dutch, on distinct topics."""
    return [
        make_doc(
            "paspoort",
            "# Paspoort aanvragen\n\nU vraagt een paspoort aan bij de balie van het stadhuis.\n\n"
            "## Kosten\n\nEen paspoort kost € 86,55 voor volwassenen. "
            "Voor kinderen kost het paspoort € 66,30.",
            title="Paspoort aanvragen",
            team="burgerzaken",
        ),
        make_doc(
            "verhuizing",
            "# Verhuizing doorgeven\n\nGaat u verhuizen? Geef uw nieuwe adres binnen 5 dagen door aan de gemeente.",
            title="Verhuizing doorgeven",
            team="burgerzaken",
        ),
        make_doc(
            "grofvuil",
            "# Grofvuil\n\nGrote spullen zoals een bank of matras laat u ophalen. Maak een afspraak.",
            title="Grofvuil",
            team="afval",
        ),
        make_doc(
            "spoed-intern",
            "# Werkinstructie spoedaanvraag\n\nBij een spoedaanvraag controleert de baliemedewerker "
            "de kwartiercode zeppelinblauw in het reisdocumentensysteem.",
            title="Werkinstructie spoedaanvraag",
            audience="internal",
            team="burgerzaken",
            allowed_teams=("burgerzaken",),
        ),
        make_doc(
            "handhaving-intern",
            "# Handhavingsstrategie\n\nDe dwangsom voor illegale bewoning bedraagt € 5000 per maand "
            "volgens de interventieladder van de boa's.",
            title="Handhavingsstrategie",
            audience="internal",
            team="handhaving",
            allowed_teams=("handhaving",),
        ),
    ]
