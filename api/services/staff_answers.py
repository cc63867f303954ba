"""Staff questions: the citizens' answer engine over what one staff member may read.

The same engine (page, section, decision: knowledge/answers.py) runs with the staff member's
Reader over the main index (public pages, internal documents of their teams) and, when built, the
statutes' index; the answer that the decision trusts most is shown, rendered as the chat renders
a citizen's answer. The server keeps no conversation: the page sends its earlier questions and
the topic a follow-up refers to is found again from them (a recent question's page is remembered,
without its text, to spare a second search). Every internal document shown (the
answer's and the alternatives') is audited exactly as the search audits it. The question and the
earlier ones are redacted first, as a search query is (api/services/staff_search.py): the engine,
the audit entry and the cache of topics only ever get the redacted text.
"""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import quote

from sqlalchemy.orm import Session, sessionmaker

from actions.dialogue_config import dialogue_config
from actions.followup import is_follow_up, is_variant
from actions.knowledge_answers import reads_as_follow_up, shorten
from api.services.citizen_answers import CitizenAnswers
from api.services.message_html import message_html
from api.services.personal_data import Kind, redact
from api.services.staff_search import DocType, doc_type, reader_for, record_shown, section_anchor
from api.services.users import User
from knowledge.answers import Answer, AnswerEngine, Topic
from knowledge.chunking import heading_of, section_url

if TYPE_CHECKING:
    from knowledge.search import KnowledgeSearch
    from knowledge.types import Document, Hit, Reader

# Earlier questions a follow-up is read against: a conversation's topic is set by its last few.
MAX_HISTORY = 5
# The next best pages offered under an answer (or instead of one), to click through.
MAX_ALTERNATIVES = 3


@dataclass(frozen=True)
class Citation:
    doc_id: str
    title: str
    section: str
    heading: str  # "" for a page's opening text
    url: str  # the public page at the section, or the workspace's document view at it
    doc_type: DocType
    team: str | None
    language: str
    version: str | None
    effective_date: date | None
    official_url: str | None  # a statute's page on wetten.overheid.nl


@dataclass(frozen=True)
class StaffAnswer:
    answered: bool  # False: the documents this person may read do not answer it
    html: str | None  # the answering sentences as safe HTML, as the citizen's chat shows them
    citation: Citation | None
    alternatives: list[Citation] = field(default_factory=list)
    follow_up: bool = False  # read as a follow-up of the conversation's topic
    score: float = 0.0  # the decision's probability that the documents answer it
    removed: tuple[Kind, ...] = ()  # kinds of personal data left out of the question before it ran


def internal_in(engine: AnswerEngine, reader: Reader) -> Callable[[str], bool]:
    """Whether a document is one of the reader's teams' internal documents: their own working rules
    answer a civil servant before the public page on the same subject does, when they answer at all."""

    def internal(doc_id: str) -> bool:
        document = engine.search.document(doc_id, reader=reader)
        return document is not None and doc_type(document) == "internal"

    return internal


def document_link(document: Document, section: str) -> str:
    """Where a citation opens: public pages on the site itself, everything else in the workspace."""
    if doc_type(document) == "public" and document.url:
        return section_url(document.url, section) or document.url
    heading = heading_of(section) or document.title
    return f"/staff#doc={quote(document.id, safe='')}&section={quote(section_anchor(heading), safe='')}"


class StaffAnswers:
    def __init__(
        self, *, engine: AnswerEngine, sessions: sessionmaker[Session], statutes: AnswerEngine | None = None
    ) -> None:
        self._engines = [engine] if statutes is None else [engine, statutes]
        self._sessions = sessions
        self._found = FoundTopics()

    @classmethod
    def open(
        cls,
        *,
        engine: AnswerEngine,
        sessions: sessionmaker[Session],
        statutes: KnowledgeSearch | None,
        answers_dir: Path,
    ) -> StaffAnswers:
        """`engine`: the citizens' (its heading vectors are shared); the statutes get their own."""
        statute_engine = CitizenAnswers.open(statutes, answers_dir=answers_dir).engine if statutes else None
        return cls(engine=engine, sessions=sessions, statutes=statute_engine)

    def ask(self, question: str, *, user: User, history: Sequence[str] = (), language: str = "nl") -> StaffAnswer:
        """`history`: the conversation's earlier questions, oldest first (the last MAX_HISTORY count)."""
        redaction = redact(question)
        question = redaction.text
        history = [redact(earlier).text for earlier in history[-MAX_HISTORY:]]
        reader = reader_for(user)
        topic = self.topic_of(history[-MAX_HISTORY:], reader=reader, language=language)
        follow_up = topic is not None and is_follow_up(question, config=dialogue_config())
        # "en voor bezoekers?" after the resident permit: the engine may move to the sibling page it names.
        variant = follow_up and is_variant(question, config=dialogue_config())
        tried = self._tried(
            question, reader=reader, language=language, topic=topic, follow_up=follow_up, variant=variant
        )
        engine, answer = best(tried)
        found = Found.of(answer, follow_up=follow_up) if follow_up else self._read(question, answer, shown=topic)
        # The next request's history holds this question: how it was read is known now.
        self._found.put(self._found.key(question, reader=reader, language=language, shown=topic), found)
        if found.follow_up and not follow_up:
            # As in the chat: a short question that found no page of its own, or one it does not
            # name (by its aspect alone), asks about the page of the conversation.
            follow_up = True
            tried = self._tried(question, reader=reader, language=language, topic=topic, follow_up=True)
            engine, answer = best(tried)
        citation = None
        if answer.answerable and answer.hit is not None:
            citation = self._citation(engine, answer.hit, reader=reader)
        alternatives = self._alternatives(tried, leaving_out=answer.hit.doc_id if citation and answer.hit else None,
                                          reader=reader)  # fmt: skip
        shown = ([citation] if citation else []) + alternatives
        record_shown(
            self._sessions, user=user, query=question,
            doc_ids=[c.doc_id for c in shown if c.doc_type == "internal"],
        )  # fmt: skip
        return StaffAnswer(
            answered=citation is not None,
            html=message_html("bot", shorten(answer.hit.passage)) if citation and answer.hit else None,
            citation=citation,
            alternatives=alternatives,
            follow_up=follow_up,
            score=round(answer.score, 3),
            removed=redaction.kinds,
        )

    def topic_of(self, history: Sequence[str], *, reader: Reader, language: str) -> Topic | None:
        """The topic the conversation's last questions left, each read as `ask` read it (as the
        chat's `last_topic`): a follow-up keeps the page before it and asks its aspect, a question
        that found a page of its own sets it, and a declined one leaves the topic before it."""
        topic: Topic | None = None
        for question in history:
            found = self._found_by(question, shown=topic, reader=reader, language=language)
            if topic is not None and found.follow_up:
                asked = self._engines[0].aspects.asked(question)
                # The section shown stays known until a follow-up asks another aspect.
                topic = Topic(topic.doc_id, topic.question, asked or topic.aspects, "" if asked else topic.section)
            elif found.topic is not None:
                topic = found.topic
        return topic

    def _read(self, question: str, answer: Answer, *, shown: Topic | None) -> Found:
        """How a question that is not a follow-up by its words reads after `shown`: what it found on
        its own, and whether it is a question about the page shown after all (a short one that
        found no page of its own, or one it neither names nor names a new subject of)."""
        return Found.of(answer, follow_up=reads_as_follow_up(question, answer, shown))

    def _found_by(self, question: str, *, shown: Topic | None, reader: Reader, language: str) -> Found:
        key = self._found.key(question, reader=reader, language=language, shown=shown)
        known = self._found.get(key)
        if known is not None:
            return known
        if shown is not None and is_follow_up(question, config=dialogue_config()):
            found = Found(None, follow_up=True)
        else:
            _, answer = best(self._tried(question, reader=reader, language=language, topic=shown, follow_up=False))
            found = self._read(question, answer, shown=shown)
        self._found.put(key, found)
        return found

    def _tried(
        self,
        question: str,
        *,
        reader: Reader,
        language: str,
        topic: Topic | None,
        follow_up: bool,
        variant: bool = False,
    ) -> list[tuple[AnswerEngine, Answer]]:
        """A follow-up asks the engine whose index holds the topic's page; a question asks them all."""
        if follow_up and topic is not None:
            holder = next((e for e in self._engines if e.search.document(topic.doc_id, reader=reader)), None)
            engine = holder or self._engines[0]  # none: the page is gone, and the engine says so
            answer = engine.answer(
                question, reader=reader, language=language, topic=topic, follow_up=True, variant=variant
            )
            return [(engine, answer)]
        # The topic goes along to tell a new subject from a question about the page shown.
        return [
            (
                engine,
                engine.answer(
                    question, reader=reader, language=language, topic=topic, prefer=internal_in(engine, reader)
                ),
            )
            for engine in self._engines
        ]

    def _citation(self, engine: AnswerEngine, hit: Hit, *, reader: Reader) -> Citation | None:
        document = engine.search.document(hit.doc_id, reader=reader)
        if document is None:  # unreachable: the engine only ranks what the reader may read
            return None
        kind = doc_type(document)
        return Citation(
            doc_id=document.id, title=document.title, section=hit.section, heading=heading_of(hit.section),
            url=document_link(document, hit.section), doc_type=kind, team=document.team,
            language=document.language, version=document.version, effective_date=document.effective_date,
            official_url=document.url if kind == "statute" else None,
        )  # fmt: skip

    def _alternatives(
        self, tried: list[tuple[AnswerEngine, Answer]], *, leaving_out: str | None, reader: Reader
    ) -> list[Citation]:
        """The next best pages of every index, each at its best section, when relevant at all
        (a passage clears the search's relevance thresholds): the same bar as a search result."""
        pages = sorted(
            ((engine, page) for engine, answer in tried for page in answer.ranked if page.doc_id != leaving_out),
            key=lambda pair: -pair[1].score,
        )
        found: list[Citation] = []
        for engine, page in pages:
            bar = engine.search.thresholds
            if not any(s.hit.dense_score >= bar.dense or s.hit.bm25_score >= bar.bm25 for s in page.sections):
                continue
            citation = self._citation(engine, page.best.hit, reader=reader)
            if citation is not None and all(c.doc_id != citation.doc_id for c in found):
                found.append(citation)
            if len(found) >= MAX_ALTERNATIVES:
                break
        return found


@dataclass(frozen=True)
class Found:
    """How a question read after the page shown before it: what it found on its own (the page,
    without the question's text; None: declined), whether it names that page (a word of its
    title), and whether it was read as a question about the page shown."""

    topic: Topic | None
    names_its_page: bool = False
    follow_up: bool = False

    @classmethod
    def of(cls, answer: Answer, *, follow_up: bool = False) -> Found:
        if follow_up or not answer.answerable or answer.topic is None:
            return cls(None, follow_up=follow_up)
        found = answer.topic
        return cls(Topic(found.doc_id, "", found.aspects, found.section), answer.names_its_page)


class FoundTopics:
    """How recent questions read, so that a follow-up's `history` costs no second run of the
    engine. Keyed by a digest of reader, language, the page shown before the question and the
    question: no question text is kept. The index is fixed for the life of a process, so an entry
    never goes stale."""

    def __init__(self, size: int = 4096) -> None:
        self._size = size
        self._topics: OrderedDict[str, Found] = OrderedDict()
        self._lock = threading.Lock()

    @staticmethod
    def key(question: str, *, reader: Reader, language: str, shown: Topic | None = None) -> str:
        who = ",".join(sorted(reader.roles)) + "|" + ",".join(sorted(reader.teams))
        page = shown.doc_id if shown is not None else ""
        return hashlib.sha256(f"{who}\n{language}\n{page}\n{question}".encode()).hexdigest()

    def get(self, key: str) -> Found | None:
        """What the question found, when it was seen; None when not."""
        with self._lock:
            if key not in self._topics:
                return None
            self._topics.move_to_end(key)
            return self._topics[key]

    def put(self, key: str, found: Found) -> None:
        with self._lock:
            self._topics[key] = found
            self._topics.move_to_end(key)
            while len(self._topics) > self._size:
                self._topics.popitem(last=False)


def best(tried: list[tuple[AnswerEngine, Answer]]) -> tuple[AnswerEngine, Answer]:
    """An answer beats a refusal; between answers, the one the (shared) decision trusts most, and
    at equal trust the page its (shared) page ranker scores higher."""
    return max(tried, key=lambda pair: (pair[1].answerable, pair[1].score, page_score(pair[1])))


def page_score(answer: Answer) -> float:
    return answer.ranked[0].score if answer.ranked else float("-inf")
