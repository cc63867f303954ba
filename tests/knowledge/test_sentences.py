"""Sentence-level evidence: a section's sentences, their vectors kept once, the best match per turn."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from knowledge.answerability import AnswerabilityModel
from knowledge.answers import AnswerEngine
from knowledge.aspects import AspectLexicon
from knowledge.index import build_index, load_index, resolve_index_path
from knowledge.search import KnowledgeSearch
from knowledge.sentences import SENTENCES_VERSION, SentenceVectors, sentence_units
from knowledge.types import Document, Hit, Reader
from tests.knowledge.conftest import CountingEmbedder

LONG_SECTION = """U vraagt een paspoort aan bij de balie van het stadhuis. Maak eerst een afspraak.

Let op!
Neem een pasfoto mee die niet ouder is dan 6 maanden.
- uw oude paspoort of identiteitskaart
- een verklaring van vermissing als u het kwijt bent"""


def test_units_are_sentences_and_lines_with_short_ones_joined_to_the_next() -> None:
    assert sentence_units(LONG_SECTION) == [
        "U vraagt een paspoort aan bij de balie van het stadhuis.",
        "Maak eerst een afspraak.",
        "Let op! Neem een pasfoto mee die niet ouder is dan 6 maanden.",
        "- uw oude paspoort of identiteitskaart",
        "- een verklaring van vermissing als u het kwijt bent",
    ]


def test_a_short_last_piece_joins_the_one_before_and_a_short_text_stays_whole() -> None:
    assert sentence_units("Het paspoort is na vijf werkdagen klaar.\nKosten:") == [
        "Het paspoort is na vijf werkdagen klaar. Kosten:"
    ]
    assert sentence_units("Zie hieronder.") == ["Zie hieronder."]
    assert sentence_units("  \n") == []


def _hit(text: str, chunk_id: str = "") -> Hit:
    return Hit(doc_id="d", title="T", section="T", url=None, audience="public", team=None, score=0.0,
               passage=text, chunk_id=chunk_id)  # fmt: skip


def test_the_best_sentence_scores_a_long_section_as_its_answering_sentence() -> None:
    embedder = CountingEmbedder()
    vectors = SentenceVectors(embedder)
    question = embedder.embed_queries(["verklaring van vermissing paspoort kwijt"])[0]
    whole = float(embedder.embed_documents([LONG_SECTION])[0] @ question)
    sentence = float(embedder.embed_documents(["- een verklaring van vermissing als u het kwijt bent"])[0] @ question)
    best = vectors.best([_hit(LONG_SECTION), _hit("")], question)
    assert best[1] == 0.0
    assert abs(best[0] - sentence) < 1e-5 and best[0] > whole


def test_without_an_index_sentence_vectors_are_embedded_once_per_text_in_one_batch() -> None:
    embedder = CountingEmbedder()
    vectors = SentenceVectors(embedder)
    vectors.ensure([LONG_SECTION, "Een paspoort kost 86 euro voor volwassenen."])
    embedded = len(embedder.embedded)
    assert embedded == 6 and len(vectors) == 2 and not vectors.stored
    query = embedder.embed_queries(["kosten"])[0]
    vectors.best([_hit(LONG_SECTION)], query)
    vectors.ensure([LONG_SECTION])
    assert len(embedder.embedded) == embedded  # per turn only the product with the query vector


def _documents() -> list[Document]:
    return [
        Document(
            id="paspoort",
            title="Paspoort aanvragen",
            body=f"# Paspoort aanvragen\n\n## Wat heeft u nodig\n\n{LONG_SECTION}",
        ),
        Document(id="afval", title="Afval", body="# Afval\n\nDe container wordt elke dinsdag geleegd."),
    ]


def test_the_index_stores_every_chunks_sentence_vectors_and_reuses_them(tmp_path: Path) -> None:
    embedder = CountingEmbedder()
    build_index(_documents(), embedder=embedder, index_dir=tmp_path / "index")
    index = load_index(tmp_path / "index")
    assert index.manifest["sentences"] == SENTENCES_VERSION
    for row, chunk in enumerate(index.chunks):
        stored = index.sentences_of(row)
        assert stored is not None
        assert np.allclose(stored, embedder.embed_documents(sentence_units(chunk.text)), atol=1e-6)
    # Unchanged chunks keep their sentence vectors: a rebuild embeds only the edited page's.
    edited = [_documents()[0], Document(id="afval", title="Afval", body="# Afval\n\nDe container gaat op maandag.")]
    embedder.embedded.clear()
    build_index(edited, embedder=embedder, index_dir=tmp_path / "index")
    assert sorted(set(embedder.embedded)) == sorted(
        {"Afval: De container gaat op maandag.", "De container gaat op maandag."}
    )
    rebuilt = load_index(tmp_path / "index")
    assert np.allclose(rebuilt.sentences_of(0), index.sentences_of(0))  # type: ignore[arg-type]


def test_the_engine_reads_stored_vectors_and_embeds_only_for_an_older_index(tmp_path: Path) -> None:
    embedder = CountingEmbedder()
    build_index(_documents(), embedder=embedder, index_dir=tmp_path / "index")
    search = KnowledgeSearch(load_index(tmp_path / "index"), embedder)
    engine = AnswerEngine(search, aspects=AspectLexicon(()), decision=AnswerabilityModel(None))
    embedder.embedded.clear()
    engine.warm_up()
    assert engine.sentences.stored and not any(text in LONG_SECTION for text in embedder.embedded)
    answer = engine.answer("wat als ik mijn paspoort kwijt ben, verklaring van vermissing", reader=Reader.public())
    assert answer.evidence is not None and answer.ranked
    best = answer.ranked[0]
    assert best.features["sentence_dense"] == max(s.features["sentence_dense"] for s in best.sections)
    assert best.best.features["sentence_dense"] >= best.best.hit.dense_score
    assert answer.evidence.values["sentence_dense"] == best.best.features["sentence_dense"]
    assert not any(text in LONG_SECTION for text in embedder.embedded)  # per turn: no sentence embedded

    # A build from before the vectors were stored: the engine embeds them itself, once.
    for name in ("sentences.npy", "sentence_offsets.npy"):
        (resolve_index_path(tmp_path / "index") / name).unlink()
    older = AnswerEngine(
        KnowledgeSearch(load_index(tmp_path / "index"), embedder),
        aspects=AspectLexicon(()),
        decision=AnswerabilityModel(None),
    )
    older.warm_up()
    assert not older.sentences.stored and len(older.sentences) == len(older.search.index.chunks)
