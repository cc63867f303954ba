"""The citizens' answers come from public documents only, whatever the question or the topic.
A tiny real index (hashing embedder) and the project's aspect lexicon and answer models."""

from __future__ import annotations

from pathlib import Path

import pytest

from api.services.citizen_answers import CitizenAnswers
from api.settings import PROJECT_ROOT
from knowledge.answers import Topic
from knowledge.embedding import make_embedder
from knowledge.index import build_index
from knowledge.search import KnowledgeSearch
from knowledge.types import Document, Reader

PASPOORT = Document(
    id="paspoort", title="Paspoort aanvragen", team="burgerzaken",
    body="# Paspoort aanvragen\n\n## Kosten\n\nEen paspoort voor volwassenen kost 84 euro.",
)  # fmt: skip
PASSPORT_EN = Document(
    id="passport", title="Applying for a passport", language="en", team="burgerzaken",
    body="# Applying for a passport\n\n## Costs\n\nA passport for adults costs 84 euros.",
)  # fmt: skip
SPOED = Document(
    id="spoed", title="Werkinstructie spoedbalie", audience="internal", team="burgerzaken",
    allowed_teams=("burgerzaken",),
    body="# Werkinstructie spoedbalie\n\n## Codewoord\n\nGebruik codewoord TULP-7 bij de spoedbalie.",
)  # fmt: skip
SECRET_QUESTION = "Welk codewoord gebruik ik bij de spoedbalie?"


@pytest.fixture(scope="module")
def answers(tmp_path_factory: pytest.TempPathFactory) -> CitizenAnswers:
    index_dir = tmp_path_factory.mktemp("citizen-answers") / "index"
    build_index([PASPOORT, PASSPORT_EN, SPOED], embedder=make_embedder("hashing"), index_dir=index_dir)
    return CitizenAnswers.open(KnowledgeSearch.open(index_dir), answers_dir=PROJECT_ROOT / "data" / "answers")


def test_a_public_question_is_answered_from_the_public_page(answers: CitizenAnswers) -> None:
    answer = answers.answer("Wat kost een paspoort?", language="nl")
    assert answer.hit is not None and answer.hit.doc_id in {"paspoort", "passport"}
    assert all(source.audience == "public" for source in answer.sources)


def test_an_internal_document_is_never_the_answer(answers: CitizenAnswers) -> None:
    # The same engine finds it for a reader who may read it: the question does match it.
    staff = answers.engine.answer(SECRET_QUESTION, reader=Reader.staff(teams={"burgerzaken"}))
    assert staff.hit is not None and staff.hit.doc_id == "spoed"

    citizen = answers.answer(SECRET_QUESTION, language="nl")
    shown = ([citizen.hit] if citizen.hit else []) + citizen.sources
    assert "spoed" not in {hit.doc_id for hit in shown}
    assert "TULP-7" not in " ".join(hit.passage for hit in shown)
    assert "spoed" not in {page.doc_id for page in citizen.ranked}


def test_a_follow_up_on_an_internal_topic_finds_nothing(answers: CitizenAnswers) -> None:
    topic = Topic(doc_id="spoed", question=SECRET_QUESTION)
    answer = answers.answer("en waar is dat?", topic=topic, follow_up=True)
    assert not answer.answerable and answer.hit is None and answer.sources == []


def test_a_documents_language_is_told_only_for_public_documents(answers: CitizenAnswers) -> None:
    assert answers.document_language("passport") == "en"
    assert answers.document_language("paspoort") == "nl"
    assert answers.document_language("spoed") == "nl"  # the default: an internal page does not exist here
    assert answers.document_language("nope") == "nl"


def test_the_engine_reads_the_aspect_lexicon_from_the_answers_dir(answers: CitizenAnswers, tmp_path: Path) -> None:
    assert answers.engine.aspects.asked("Wat kost een paspoort?")  # "kosten" is an aspect of the project's lexicon
    (tmp_path / "aspects.yml").write_text("{}\n", encoding="utf-8")
    bare = CitizenAnswers.open(answers.engine.search, answers_dir=tmp_path)  # no answer_model.yml: defaults
    assert bare.engine.aspects.asked("Wat kost een paspoort?") == ()
    # ... and the municipal topics too: without the catalogue no question names an uncovered one.
    assert answers.engine.topics.uncovered_in("Wanneer is de weekmarkt?") == ("weekmarkt",)
    assert bare.engine.topics.uncovered_in("Wanneer is de weekmarkt?") == ()


CONTACT = Document(
    id="contact", title="Openingstijden en contact", team="klantcontact",
    body="# Openingstijden en contact\n\n## Bezoekadres\n\nHet stadhuis van de gemeente staat aan het Stadhuisplein 1.",
)  # fmt: skip
MOVING = Document(
    id="verhuizen", title="Verhuizing doorgeven", team="burgerzaken",
    body="# Verhuizing doorgeven\n\n## Wat heeft u nodig\n\nUw nieuwe adres en de datum van de verhuizing.",
)  # fmt: skip


def test_a_short_question_to_the_municipality_is_searched_with_its_name(tmp_path: Path) -> None:
    """ "wat is jullie adres" shares "adres" with the moving page only; asked of the municipality,
    it finds the page that names it. The answer keeps the citizen's own words as its topic."""
    index_dir = tmp_path / "index"
    build_index([CONTACT, MOVING], embedder=make_embedder("hashing"), index_dir=index_dir)
    search = KnowledgeSearch.open(index_dir)
    answers = CitizenAnswers.open(search, answers_dir=PROJECT_ROOT / "data" / "answers")
    bare = CitizenAnswers(answers.engine)  # the same engine without the addressee

    assert bare.answer("wat is jullie adres", language="nl").ranked[0].doc_id == "verhuizen"
    answer = answers.answer("wat is jullie adres", language="nl")
    assert answer.ranked[0].doc_id == "contact"
    assert answer.topic is not None and answer.topic.question == "wat is jullie adres"
