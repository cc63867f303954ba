"""The citizens' answer service: the answer engine over public documents only.

Actions get this service instead of the search itself, so no action can choose a reader: what
a citizen is shown is public by construction.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import TYPE_CHECKING

from knowledge.addressee import Addressee, Rewritten
from knowledge.answerability import AnswerModels
from knowledge.answers import PAGE_FEATURES, SECTION_FEATURES, Answer, AnswerEngine, Topic
from knowledge.aspects import AspectLexicon
from knowledge.chunking import heading_of
from knowledge.example_index import ExampleIndex
from knowledge.examples import ExampleQuestions
from knowledge.topics import TopicCatalogue
from knowledge.types import Reader

if TYPE_CHECKING:
    from knowledge.query_vectors import QueryVector
    from knowledge.search import KnowledgeSearch

ASPECTS_FILE = "aspects.yml"
TOPICS_FILE = "municipal_topics.yml"
ADDRESSEE_FILE = "addressee.yml"
MODEL_FILE = "answer_model.yml"
EXAMPLES_DIR = "example_questions"


def example_index(search: KnowledgeSearch, directory: Path) -> ExampleIndex | None:
    """The example questions of the indexed sections (None when they have none). Their vectors
    are cached in the index folder, beside its builds: an edit to the pages keeps them, an edit
    to the examples makes a file of its own (`loket ingest` embeds them, see knowledge_service)."""
    sections = {(chunk.doc_id, heading_of(chunk.section)) for chunk in search.index.chunks}
    examples = ExampleQuestions.from_dir(directory).restricted_to(sections)
    if not examples.by_section:
        return None
    return examples.index(search.embedder, cache_dir=search.index.path.parent)


class CitizenAnswers:
    def __init__(self, engine: AnswerEngine, *, addressee: Addressee | None = None) -> None:
        self.engine = engine
        self.addressee = addressee  # "jullie" searched as the municipality (knowledge/addressee.py)

    @classmethod
    def open(cls, search: KnowledgeSearch, *, answers_dir: Path) -> CitizenAnswers:
        """The engine with the aspect lexicon and the answerability model fitted for `search`'s embedder."""
        models = AnswerModels.load(
            answers_dir / MODEL_FILE,
            embedder=search.embedder.name,
            fallback=search.thresholds,
            page_features=PAGE_FEATURES,
            section_features=SECTION_FEATURES,
        )
        aspects = AspectLexicon.from_yaml(answers_dir / ASPECTS_FILE)
        engine = AnswerEngine(
            search,
            aspects=aspects,
            decision=models.answerability,
            page_ranker=models.page_ranker,
            section_ranker=models.section_ranker,
            # Optional: without a catalogue no question counts as naming an uncovered topic.
            topics=TopicCatalogue.from_yaml(topics) if (topics := answers_dir / TOPICS_FILE).exists() else None,
            examples=example_index(search, answers_dir / EXAMPLES_DIR),
        )
        addressee = Addressee.from_yaml(path) if (path := answers_dir / ADDRESSEE_FILE).exists() else None
        return cls(engine, addressee=addressee)

    def document_language(self, doc_id: str) -> str:
        document = self.engine.search.document(doc_id, reader=Reader.public())
        return document.language if document is not None else "nl"

    def answer(
        self,
        question: str,
        *,
        language: str | None = None,
        topic: Topic | None = None,
        follow_up: bool = False,
        variant: bool = False,
        query_vector: QueryVector | None = None,
        intent: str | None = None,
    ) -> Answer:
        # "wat is jullie adres" is searched as "wat is de gemeente adres" (knowledge/addressee.py);
        # the vector Rasa made of the citizen's own words then no longer fits.
        rewritten = self.addressee.named(question) if self.addressee is not None else Rewritten(question)
        answer = self.engine.answer(
            rewritten.text,
            reader=Reader.public(),
            language=language,
            topic=topic,
            follow_up=follow_up,
            variant=variant,
            query_vector=None if rewritten.changed else query_vector,
            intent=intent,
        )
        return in_the_citizens_words(answer, question, rewritten) if rewritten.changed else answer


def in_the_citizens_words(answer: Answer, question: str, rewritten: Rewritten) -> Answer:
    """`answer` to the rewritten question, with its word offsets and its topic's question given
    back in the words the citizen typed (the actions read them against the message)."""

    def offsets(found: tuple[int, ...]) -> tuple[int, ...]:
        return tuple(at for offset in found if (at := rewritten.original_offset(offset)) is not None)

    topic = answer.topic
    if topic is not None and topic.question == rewritten.text:
        topic = dataclasses.replace(topic, question=question)
    return dataclasses.replace(
        answer, new_subject_at=offsets(answer.new_subject_at), other_subject_at=offsets(answer.other_subject_at),
        topic=topic,
    )  # fmt: skip
