"""The answer engine on a real (small) index: page, section by aspect, follow-ups, access, decision."""

from __future__ import annotations

from pathlib import Path

import pytest

from knowledge.answerability import EVIDENCE_FEATURES, AnswerabilityModel, LinearModel
from knowledge.answers import AnswerEngine, Topic
from knowledge.aspects import AspectLexicon
from knowledge.chunking import heading_of
from knowledge.embedding import HashingEmbedder
from knowledge.index import build_index
from knowledge.search import KnowledgeSearch, Thresholds
from knowledge.topics import TopicCatalogue
from knowledge.types import Document, Reader

PROJECT_ASPECTS = Path(__file__).resolve().parents[2] / "data" / "answers" / "aspects.yml"

PASSPORT = """# Paspoort aanvragen

U vraagt een paspoort aan bij de balie van het stadhuis. Een paspoort is 10 jaar geldig.

## Wat heeft u nodig

Neem een pasfoto en uw oude paspoort mee naar de afspraak.

## Kosten

Een paspoort kost € 86,55 voor volwassenen. Voor een kind jonger dan 18 kost het € 66,30.

## Hoe lang duurt het

Uw paspoort is na 5 werkdagen klaar.
"""

VISITORS = """# Bezoekersvergunning parkeren

Met een bezoekersvergunning parkeert uw bezoek in uw wijk.

## Kosten

Een bezoekersvergunning kost € 30 per jaar.
"""

PARKING = """# Bewonersvergunning parkeren

Met een bewonersvergunning parkeert u in uw eigen wijk.

## Kosten

Een bewonersvergunning kost € 120 per jaar.

## Aanvragen

U vraagt de vergunning online aan.
"""


@pytest.fixture(scope="module")
def search(tmp_path_factory: pytest.TempPathFactory) -> KnowledgeSearch:
    documents = [
        Document(id="paspoort", title="Paspoort aanvragen", body=PASSPORT, team="burgerzaken"),
        Document(id="parkeren", title="Bewonersvergunning parkeren", body=PARKING, team="parkeren"),
        Document(id="bezoekers", title="Bezoekersvergunning parkeren", body=VISITORS, team="parkeren"),
        Document(
            id="intern",
            title="Werkinstructie paspoort",
            body="# Werkinstructie paspoort\n\n## Kosten\n\nInterne code zeppelinblauw voor paspoortkosten.",
            audience="internal",
            allowed_teams=("burgerzaken",),
        ),
    ]
    index_dir = tmp_path_factory.mktemp("answers") / "index"
    build_index(documents, embedder=HashingEmbedder(), index_dir=index_dir)
    return KnowledgeSearch.open(index_dir)


def engine(search: KnowledgeSearch, *, thresholds: Thresholds | None = None) -> AnswerEngine:
    decision = AnswerabilityModel(None, {"default": 0.5}, thresholds or Thresholds(dense=0.0, bm25=0.0))
    return AnswerEngine(search, aspects=AspectLexicon.from_yaml(PROJECT_ASPECTS), decision=decision)


def test_naming_a_topic_no_document_covers_is_evidence_against_answering(
    search: KnowledgeSearch, tmp_path: Path
) -> None:
    topics = tmp_path / "topics.yml"
    topics.write_text("topics:\n  erfpacht: ['erfpacht']\n  paspoort: ['paspoort']\n", encoding="utf-8")
    # Any similarity answers (dense > 0), unless an uncovered topic was named.
    weights = {"dense": 10.0, "uncovered_topic": -50.0}
    decision = AnswerabilityModel(
        LinearModel(EVIDENCE_FEATURES, weights), {"default": 0.5}, Thresholds(dense=0.0, bm25=0.0)
    )
    answers = AnswerEngine(
        search, aspects=AspectLexicon.from_yaml(PROJECT_ASPECTS), decision=decision,
        topics=TopicCatalogue.from_yaml(topics),
    )  # fmt: skip
    assert answers.topics.uncovered == {"erfpacht"}  # a title names passports
    plain = answers.answer("wat kost een paspoort voor volwassenen", reader=Reader.public())
    lease = answers.answer("wat kost een paspoort voor volwassenen met erfpacht", reader=Reader.public())
    assert plain.evidence is not None and lease.evidence is not None
    assert (plain.evidence.values["uncovered_topic"], lease.evidence.values["uncovered_topic"]) == (0.0, 1.0)
    assert plain.answerable and plain.hit is not None and plain.hit.doc_id == "paspoort"
    assert not lease.answerable and lease.sources == []
    assert (plain.names_uncovered_topic, lease.names_uncovered_topic) == (False, True)


def test_the_aspect_asked_picks_the_section_of_the_page(search: KnowledgeSearch) -> None:
    answers = engine(search)
    cost = answers.answer("paspoort wat moet ik betalen, hoeveel kost het", reader=Reader.public())
    assert cost.hit is not None and cost.hit.doc_id == "paspoort" and cost.heading == "Kosten"
    assert "costs" in cost.aspects and cost.specific_aspects == ("costs",)
    broad = answers.answer("moet ik dat zelf doen", reader=Reader.public())
    assert broad.aspects == ("conditions",) and broad.specific_aspects == ()
    duration = answers.answer("paspoort hoe lang duurt het voor hij klaar is", reader=Reader.public())
    assert duration.hit is not None and duration.heading == "Hoe lang duurt het"


def test_a_section_answering_a_specific_aspect_is_marked_for_the_ranker(search: KnowledgeSearch) -> None:
    answer = engine(search).answer("paspoort wat kost het", reader=Reader.public())
    page = next(page for page in answer.ranked if page.doc_id == "paspoort")
    marked = {
        heading_of(s.hit.section): (s.features["aspect_match"], s.features["specific_aspect_match"])
        for s in page.sections
    }
    assert marked == {
        "": (0.0, 0.0),
        "Wat heeft u nodig": (0.0, 0.0),
        "Kosten": (1.0, 1.0),
        "Hoe lang duurt het": (0.0, 0.0),
    }


def test_a_follow_up_stays_on_the_page_and_keeps_the_aspect(search: KnowledgeSearch) -> None:
    answers = engine(search)
    first = answers.answer("wat kost een paspoort", reader=Reader.public())
    assert first.topic == Topic("paspoort", "wat kost een paspoort", ("costs",), "Paspoort aanvragen › Kosten")
    child = answers.answer("en voor mijn kind?", reader=Reader.public(), topic=first.topic, follow_up=True)
    assert child.answerable and child.hit is not None
    assert (child.hit.doc_id, child.heading) == ("paspoort", "Kosten")  # the aspect asked before
    bring = answers.answer("en wat neem ik mee?", reader=Reader.public(), topic=first.topic, follow_up=True)
    assert bring.hit is not None and (bring.hit.doc_id, bring.heading) == ("paspoort", "Wat heeft u nodig")


def test_a_variant_naming_a_sibling_page_moves_there_and_keeps_the_aspect(search: KnowledgeSearch) -> None:
    answers = engine(search)
    first = answers.answer("wat kost een bewonersvergunning", reader=Reader.public())
    assert first.hit is not None and (first.hit.doc_id, first.heading) == ("parkeren", "Kosten")
    kwargs = {"reader": Reader.public(), "topic": first.topic, "follow_up": True}
    visitors = answers.answer("en voor bezoekers?", variant=True, **kwargs)
    assert visitors.hit is not None and (visitors.hit.doc_id, visitors.heading) == ("bezoekers", "Kosten")
    assert visitors.topic is not None and visitors.topic.doc_id == "bezoekers"
    # Not a variant ("en als ..."): the page shown stays.
    stays = answers.answer("en voor bezoekers?", **kwargs)
    assert stays.hit is not None and stays.hit.doc_id == "parkeren"
    # A page whose title shares no word with the page shown is no sibling.
    passport = answers.answer("wat kost een paspoort", reader=Reader.public())
    kwargs = {"reader": Reader.public(), "topic": passport.topic, "follow_up": True, "variant": True}
    other = answers.answer("en voor bezoekers?", **kwargs)
    assert other.hit is not None and other.hit.doc_id == "paspoort"


def test_a_title_word_of_many_pages_makes_no_family(tmp_path: Path) -> None:
    """After the passport's costs, "en voor bezoekers?" does not move to "Bezoekersvergunning
    aanvragen" because both titles say "aanvragen", as most pages' titles do."""
    products = ["Paspoort", "Rijbewijs", "Identiteitskaart", "Bezoekersvergunning", "Uittreksel"]
    documents = [
        Document(id=name.lower(), title=f"{name} aanvragen", body=f"# {name}\n\n## Kosten\n\n{name} kost € 10.")
        for name in products
    ]
    build_index(documents, embedder=HashingEmbedder(), index_dir=tmp_path / "index")
    answers = engine(KnowledgeSearch.open(tmp_path / "index"))
    first = answers.answer("wat kost een paspoort", reader=Reader.public())
    assert first.hit is not None and first.hit.doc_id == "paspoort"
    kwargs = {"reader": Reader.public(), "topic": first.topic, "follow_up": True, "variant": True}
    visitors = answers.answer("en voor bezoekers?", **kwargs)
    assert visitors.hit is not None and visitors.hit.doc_id == "paspoort"


def test_a_question_after_an_answer_may_name_a_subject_the_page_shown_lacks(search: KnowledgeSearch) -> None:
    """Words not on the page shown before, and on few pages; an internal page the reader may not
    see does not count ("paspoort" is on one public page). A new subject of the page answered is
    one such word on that page; "bezoek" is on the visitors' permit only."""
    answers = engine(search)
    public = Reader.public()
    shown = Topic("parkeren", "wat kost een bewonersvergunning", ("costs",))
    question = "wat kost een paspoort voor volwassenen met bezoek"
    words = answers.subject_words(question, page="paspoort", shown="parkeren", reader=public, example_sims=None)
    assert words == [
        (question.index("paspoort"), frozenset({"paspoort"})),
        (question.index("volwassenen"), frozenset({"paspoort"})),
        (question.index("bezoek"), frozenset({"bezoekers"})),
    ]
    passport = answers.answer(question, reader=public, topic=shown)
    assert passport.answerable and passport.hit is not None and passport.hit.doc_id == "paspoort"
    assert passport.new_subject_at == (question.index("paspoort"), question.index("volwassenen"))
    assert passport.other_subject_at == ()  # answered: only for a declined question
    # Its words are all on the page shown: a question about that page, whichever page it found.
    aspect_only = answers.answer("kosten per jaar", reader=public, topic=shown)
    assert aspect_only.hit is not None and aspect_only.new_subject_at == ()
    # Without a page shown before, or as a follow-up on it, there is nothing to compare with.
    assert answers.answer(question, reader=public).new_subject_at == ()
    assert answers.answer(question, reader=public, topic=shown, follow_up=True).new_subject_at == ()
    assert answers.subject_words(question, page="paspoort", shown="paspoort", reader=public, example_sims=None) == [
        (question.index("bezoek"), frozenset({"bezoekers"}))
    ]


def test_a_declined_question_keeps_the_words_naming_what_the_page_shown_lacks(search: KnowledgeSearch) -> None:
    """Declined, wherever those words are: "bezoek" is not on the page the question found."""
    never = engine(search, thresholds=Thresholds(dense=2.0, bm25=1e9))
    question = "wat kost een paspoort voor volwassenen met bezoek"
    shown = Topic("parkeren", "wat kost een bewonersvergunning", ("costs",))
    declined = never.answer(question, reader=Reader.public(), topic=shown)
    assert not declined.answerable and declined.hit is not None and declined.hit.doc_id == "paspoort"
    assert declined.other_subject_at == tuple(question.index(w) for w in ("paspoort", "volwassenen", "bezoek"))


def test_a_new_subject_needs_citizens_questions_about_its_page_to_come_closer(search: KnowledgeSearch) -> None:
    """A rare word is not enough when the question is as close to citizens' questions about the
    page shown as to those about the page it found."""
    from knowledge.example_index import ExampleIndex

    question = "wat kost een paspoort voor volwassenen"

    def subject_at(examples: list[tuple[str, str]]) -> tuple[int, ...]:
        answers = AnswerEngine(
            search, aspects=AspectLexicon.from_yaml(PROJECT_ASPECTS), decision=engine(search).decision,
            examples=ExampleIndex(HashingEmbedder(), examples),
        )  # fmt: skip
        sims = answers.examples.similarities(answers.search.query_vector(question).vector)  # type: ignore[union-attr]
        words = answers.subject_words(
            question, page="paspoort", shown="parkeren", reader=Reader.public(), example_sims=sims
        )
        return tuple(offset for offset, _ in words)

    closer = [("paspoort#Kosten", question), ("parkeren#Kosten", "bewonersvergunning aanvragen")]
    as_close = [("paspoort#Kosten", question), ("parkeren#Kosten", question)]
    assert subject_at(closer) == (question.index("paspoort"), question.index("volwassenen"))
    assert subject_at(as_close) == ()


PASSPORT_EN = """# Applying for a passport

You apply for a passport at the town hall desk. A passport is valid for 10 years.

## Costs

A passport costs € 86.55 for adults and € 66.30 for a child under 18.

## How long it takes

Your passport is ready after 5 working days.
"""


def test_a_page_with_a_translation_answers_in_the_citizens_language(tmp_path: Path) -> None:
    """A translation shares the page's id with "-<language>" added; its own section answers, so the
    citizen is never told the information is only available in another language when it is not."""
    documents = [
        Document(id="paspoort", title="Paspoort aanvragen", body=PASSPORT, team="burgerzaken"),
        Document(id="paspoort-en", title="Applying for a passport", language="en", body=PASSPORT_EN),
        Document(id="parkeren", title="Bewonersvergunning parkeren", body=PARKING, team="parkeren"),
    ]
    build_index(documents, embedder=HashingEmbedder(), index_dir=tmp_path / "index")
    answers = engine(KnowledgeSearch.open(tmp_path / "index"))
    public = Reader.public()
    question = "wat kost een paspoort voor volwassenen"  # Dutch words: the Dutch page is found
    assert answers.answer(question, reader=public, language="nl").hit.doc_id == "paspoort"  # type: ignore[union-attr]
    english = answers.answer(question, reader=public, language="en")
    assert english.answerable and english.hit is not None
    assert (english.hit.doc_id, heading_of(english.hit.section)) == ("paspoort-en", "Costs")
    assert english.topic is not None and english.topic.doc_id == "paspoort-en"
    # A page without a translation stays as it is.
    parking = answers.answer("wat kost een bewonersvergunning per jaar", reader=public, language="en")
    assert parking.hit is not None and parking.hit.doc_id == "parkeren"


def test_the_public_never_gets_an_internal_passage(search: KnowledgeSearch) -> None:
    answer = engine(search).answer("zeppelinblauw kosten paspoort", reader=Reader.public())
    assert all(page.doc_id != "intern" for page in answer.ranked)
    staff = engine(search).answer(
        "zeppelinblauw", reader=Reader(roles=frozenset({"staff"}), teams=frozenset({"burgerzaken"}))
    )
    assert staff.hit is not None and staff.hit.doc_id == "intern"


def test_a_preferred_document_wins_when_it_answers_itself(search: KnowledgeSearch) -> None:
    staff = Reader(roles=frozenset({"staff"}), teams=frozenset({"burgerzaken"}))
    question = "wat kost een paspoort voor volwassenen"
    plain = engine(search).answer(question, reader=staff)
    assert plain.hit is not None and plain.hit.doc_id == "paspoort"  # the public page ranks first
    assert any(page.doc_id == "intern" for page in plain.ranked)
    preferred = engine(search).answer(question, reader=staff, prefer=lambda doc_id: doc_id == "intern")
    assert preferred.answerable and preferred.hit is not None and preferred.hit.doc_id == "intern"
    assert preferred.topic is not None and preferred.topic.doc_id == "intern"
    # A preferred document that does not answer by itself leaves the answer where it was.
    strict = engine(search, thresholds=Thresholds(dense=1.01, bm25=1e9))
    kept = strict.answer(question, reader=staff, prefer=lambda doc_id: doc_id == "intern")
    assert kept.hit is not None and kept.hit.doc_id == "paspoort" and not kept.answerable


def test_without_a_fitted_model_the_search_thresholds_decide(search: KnowledgeSearch) -> None:
    strict = engine(search, thresholds=Thresholds(dense=1.01, bm25=1e9))
    answer = strict.answer("wat kost een paspoort", reader=Reader.public())
    assert not answer.answerable and answer.sources == []
    assert answer.hit is not None  # what was found is still reported (audits, fitting)


def test_topic_round_trip_and_bad_slot_values() -> None:
    topic = Topic("paspoort", "wat kost een paspoort", ("costs",), "Paspoort aanvragen › Kosten")
    assert Topic.from_json(topic.to_json()) == topic
    # A topic stored before the section was kept: the section is simply unknown.
    assert Topic.from_json({"doc_id": "paspoort", "question": "q", "aspects": ["costs"]}) == Topic(
        "paspoort", "q", ("costs",)
    )
    assert Topic.from_json("wat kost een paspoort") is None  # an old text slot value
    assert Topic.from_json({"question": "x"}) is None


def test_section_heading_of_a_hit(search: KnowledgeSearch) -> None:
    hits = search.passages_of("kosten", reader=Reader.public(), doc_ids=["paspoort"])
    assert {heading_of(hit.section) for hit in hits} == {"", "Wat heeft u nodig", "Kosten", "Hoe lang duurt het"}


def test_section_headings_are_embedded_as_questions(search: KnowledgeSearch) -> None:
    """A heading ("Wie betaalt", "Hoe lang duurt het") reads like what a citizen asks, not like a
    passage: it is compared with the question query-to-query."""
    from tests.knowledge.conftest import CountingEmbedder

    embedder = CountingEmbedder()
    answers = engine(KnowledgeSearch(search.index, embedder))
    answers.warm_up()
    assert "Paspoort aanvragen — Kosten" in embedder.queries
    assert not any("—" in text for text in embedder.embedded)


def test_an_answer_from_the_last_passage_of_a_long_section_shows_what_it_qualifies(tmp_path: Path) -> None:
    """A section longer than one passage is split; when its short last passage answers, the answer
    shows the rules before it too, not the qualifying sentence alone."""
    rules = "\n".join(f"- **Regel {n}:** " + "dakkapel achterkant meestal vergunningvrij " * 4 for n in range(1, 7))
    body = (
        "# Dakkapel plaatsen\n\nOver dakkapellen.\n\n## Heeft u een vergunning nodig\n\n"
        f"Doe eerst de vergunningcheck.\n\n{rules}\n\n"
        "Ook als u geen vergunning nodig heeft, houdt u zich aan de bouwregels en denkt u aan uw buren."
    )
    build_index([Document(id="dakkapel", title="Dakkapel plaatsen", body=body)], embedder=HashingEmbedder(),
                index_dir=tmp_path / "index")  # fmt: skip
    search = KnowledgeSearch.open(tmp_path / "index")
    answer = engine(search).answer("bouwregels buren geen vergunning nodig", reader=Reader.public())
    assert answer.hit is not None and heading_of(answer.hit.section) == "Heeft u een vergunning nodig"
    sections = [chunk for chunk in search.index.chunks if chunk.section == answer.hit.section]
    assert len(sections) == 2 and answer.hit.chunk_id == sections[1].chunk_id  # the last passage answered
    shown = answer.hit.passage.splitlines()
    assert shown[-1].startswith("Ook als u geen vergunning nodig heeft")
    assert shown[0].startswith("- **Regel") and len(shown) > 2  # the rules it qualifies come first
    assert len(answer.hit.passage.split()) <= 120
