"""The answer engine: which page, which section of it, and whether to answer at all.

A citizen's question is answered from one section of one page, or declined:

1. candidates: the hybrid search ranks passages; the best few pages are kept, with the pages of
               the closest questions citizens ask (knowledge/examples.py), and every section
               of those pages is scored for the question (a follow-up — "en voor mijn kind?" —
               keeps the previous answer's page and is scored together with its question).
2. ranking:    a small linear ranker over features of each section (similarity, BM25 coverage,
               the page's rank, the closest example question, whether its heading answers the
               aspect asked — costs, duration, documents, ... (knowledge/aspects.py) — and words
               shared with heading and title) picks the section; its page is the answer's page.
3. decision:   a calibrated answerability score from the same evidence (and a threshold that
               depends on what the NLU thought the message was) says whether to show it or to say
               honestly that there is no information (knowledge/answerability.py).

Ranker and decision are fitted on the dev split of the answers set (`loket eval answers --fit`)
and stored per embedding model in data/answers/answer_model.yml.
"""

from __future__ import annotations

import functools
import math
import threading
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING

import numpy as np

from knowledge.answerability import AnswerabilityModel, Evidence, LinearModel
from knowledge.aspects import AspectLexicon
from knowledge.chunking import SECTION_SEP, heading_of, section_window
from knowledge.example_classifier import LOG_FLOOR, page_log_probabilities, section_classifier
from knowledge.examples import page_of, section_label
from knowledge.languages import SUPPORTED_LANGUAGES
from knowledge.sentences import SentenceVectors
from knowledge.topics import TopicCatalogue, titles_and_headings

if TYPE_CHECKING:
    from knowledge.example_index import ExampleIndex
    from knowledge.query_vectors import QueryVector
    from knowledge.search import KnowledgeSearch
    from knowledge.types import Document, Hit, Reader

PAGE_POOL = 5  # pages whose sections compete; the right page is in the top 5 for ~0.97 of questions
# Pages whose example questions come closest join the search's pages: a question told as a story
# shares few words with the page that answers it, but often many with a citizen's example.
EXAMPLE_POOL = 2

# Two rankers, both linear and fitted on the dev split: the page first, then the section within it.
# Page and section evidence are kept apart so that similarity between pages does not drown the
# small differences between sections of one page.
PAGE_FEATURES = (
    "dense",
    "dense_gap",
    "bm25",
    "coverage",
    "page_rank",
    "title_overlap",
    "heading_dense",
    "sentence_dense",
    "sentence_dense_gap",
    "page_coverage",
    "example_dense",
    "example_dense_gap",
    "example_top2",
    "example_class",
)
SECTION_FEATURES = (
    "dense_gap",
    "heading_dense_gap",
    "bm25_gap",
    "coverage",
    "opening",
    "aspect_match",
    "specific_aspect_match",
    "aspect_miss",
    "heading_overlap",
    "sentence_dense_gap",
    "example_dense_gap",
    "example_top2_gap",
    "example_class_gap",
)

# Before rankers are fitted for an embedder: similarity, nudged towards the aspect's section.
DEFAULT_PAGE_RANKER = LinearModel(PAGE_FEATURES, {"dense": 1.0, "page_rank": 0.02})
DEFAULT_SECTION_RANKER = LinearModel(SECTION_FEATURES, {"dense_gap": 1.0, "aspect_match": 0.06})


@dataclass(frozen=True)
class Topic:
    """What a conversation is about after an answer: the page and the question that found it,
    the aspects asked last and the section shown last."""

    doc_id: str
    question: str
    aspects: tuple[str, ...] = ()
    section: str = ""  # "" for the page's opening text, or when not known (a topic stored before)

    def to_json(self) -> dict[str, object]:
        return {
            "doc_id": self.doc_id,
            "question": self.question,
            "aspects": list(self.aspects),
            "section": self.section,
        }

    @classmethod
    def from_json(cls, data: object) -> Topic | None:
        if not isinstance(data, dict) or not isinstance(data.get("doc_id"), str):
            return None
        aspects = data.get("aspects")
        return cls(
            doc_id=data["doc_id"],
            question=str(data.get("question") or ""),
            aspects=tuple(str(a) for a in aspects) if isinstance(aspects, list) else (),
            section=str(data.get("section") or ""),
        )


@dataclass(frozen=True)
class ScoredPassage:
    hit: Hit
    features: dict[str, float]
    score: float


@dataclass(frozen=True)
class RankedPage:
    doc_id: str
    features: dict[str, float]
    score: float
    sections: tuple[ScoredPassage, ...]  # best first

    @property
    def best(self) -> ScoredPassage:
        return self.sections[0]


@dataclass(frozen=True)
class Answer:
    answerable: bool
    score: float  # calibrated probability that the documents answer this question
    hit: Hit | None  # the passage that answers (its page and section), None when nothing came up
    sources: list[Hit] = field(default_factory=list)  # relevant pages only, the answering one first
    aspects: tuple[str, ...] = ()
    # Of those, the ones whose words nearly always mean one section (costs, duration, documents):
    # "moet ik" asks the broad "conditions" of anything, chit-chat included.
    specific_aspects: tuple[str, ...] = ()
    topic: Topic | None = None  # what a follow-up refers to
    evidence: Evidence | None = None
    ranked: tuple[RankedPage, ...] = ()  # the candidate pages with their sections, best first
    # Asked after an answer on another page: where in the question (character offsets) the words
    # naming a subject of this answer's page that the page shown before does not mention stand
    # (AnswerEngine.subject_words).
    new_subject_at: tuple[int, ...] = ()
    # Declined after an answer on another page: likewise, the words naming something the page shown
    # does not mention, on whichever page they are.
    other_subject_at: tuple[int, ...] = ()

    @property
    def heading(self) -> str:
        """The section heading of the answer ("" for a page's opening text)."""
        return heading_of(self.hit.section) if self.hit is not None else ""

    @property
    def names_uncovered_topic(self) -> bool:
        """Whether the question names a municipal topic no document covers (knowledge/topics.py)."""
        return self.evidence is not None and self.evidence.values.get("uncovered_topic", 0.0) > 0.0

    @property
    def names_its_page(self) -> bool:
        """Whether the question shares a word with the title of the page it is answered from
        ("wat kost een paspoort" and "Paspoort aanvragen"; not "wat kost dat per jaar")."""
        if self.hit is None:
            return False
        page = next((page for page in self.ranked if page.doc_id == self.hit.doc_id), None)
        return page is not None and page.features.get("title_overlap", 0.0) > 0.0


# A word names a title's word when it is that word or, long enough not to be a chance prefix,
# begins a Dutch compound with it ("bezoekers" names "bezoekersvergunning"; "kind" does not
# name "kinderopvang").
MIN_COMPOUND_PREFIX = 6
# A word on at most this share of the pages a reader may see names a subject ("kliko", "kenteken",
# "lantaarnpaal"); "kosten", "aanvragen" or "weken" are on most pages and name none.
SUBJECT_WORD_SHARE = 0.12
# And the question reads as one about its own page: a citizen's example question there comes at
# least this much closer than any about the page shown ("waar regel ik dat" after an exit's costs
# has "regel", a rare word, but is as close to either page's examples).
SUBJECT_EXAMPLE_MARGIN = 0.02
# A title word on more than this share of the pages (and more than this many) is a common one.
COMMON_TITLE_WORD_SHARE = 0.1
COMMON_TITLE_WORD_MIN = 3


def _names(word: str, title_word: str) -> bool:
    return word == title_word or (len(word) >= MIN_COMPOUND_PREFIX and title_word.startswith(word))


class AnswerEngine:
    def __init__(
        self,
        search: KnowledgeSearch,
        *,
        aspects: AspectLexicon,
        decision: AnswerabilityModel,
        page_ranker: LinearModel | None = None,
        section_ranker: LinearModel | None = None,
        topics: TopicCatalogue | None = None,
        examples: ExampleIndex | None = None,
    ) -> None:
        self.search = search
        self.aspects = aspects
        # Only the topics no document's title or section heading names count (knowledge/topics.py).
        self.topics = (topics or TopicCatalogue.empty()).covered_by(titles_and_headings(search.index.chunks))
        self.decision = decision
        self.page_ranker = page_ranker or DEFAULT_PAGE_RANKER
        self.section_ranker = section_ranker or DEFAULT_SECTION_RANKER
        # "Title — heading" embeddings, computed on first use: how well a heading alone matches
        # the question separates sections of one page better than their whole text does. They are
        # embedded as queries: "Paspoort aanvragen — Kosten" reads like what a citizen asks, and e5
        # compares two queries symmetrically (docs/answers.md, "page words").
        self._heading_vectors: dict[str, np.ndarray] = {}
        self._lock = threading.Lock()
        # The sentences of every section, likewise: the best single sentence is the evidence
        # that a long section or a question told as a story does not dilute.
        self.sentences = SentenceVectors(search.embedder, search.index)
        # Questions citizens ask that a section answers (knowledge/examples.py), and a classifier
        # fitted on them: which section a question asks about (knowledge/example_classifier.py).
        self.examples = examples
        self.classifier = section_classifier(examples, search.index) if examples is not None else None

    def warm_up(self) -> None:
        """Embed every section heading (and, for an older index, every sentence) now rather than
        during the first questions."""
        self._heading_vectors_for([chunk.section for chunk in self.search.index.chunks])
        if not self.sentences.stored:  # an index built before they were stored
            self.sentences.ensure(chunk.text for chunk in self.search.index.chunks)
        if self.examples is not None:
            self.examples.warm_up()
        if self.classifier is not None:
            self.classifier.warm_up()

    def _heading_vectors_for(self, sections: list[str]) -> dict[str, np.ndarray]:
        missing = sorted({s for s in sections if s not in self._heading_vectors})
        if missing:
            texts = [" — ".join(section.split(SECTION_SEP)) for section in missing]
            vectors = self.search.embedder.embed_queries(texts)
            with self._lock:
                self._heading_vectors.update(zip(missing, vectors, strict=True))
        return self._heading_vectors

    def answer(
        self,
        question: str,
        *,
        reader: Reader,
        language: str | None = None,
        topic: Topic | None = None,
        follow_up: bool = False,
        variant: bool = False,
        query_vector: QueryVector | None = None,
        intent: str | None = None,
        prefer: Callable[[str], bool] | None = None,
    ) -> Answer:
        """`follow_up`: the caller judged the message elliptical; `topic` is what it refers to.
        `variant`: the follow-up names another case of the question before ("and for visitors?"
        after the resident permit's costs); when that case has a sibling page of its own, the
        answer moves there and keeps the aspect asked before.
        `language`: the citizen's language (a page in it is not preferred, only noted).
        `prefer`: documents that win over better-ranked ones whenever they answer the question
        themselves (the staff's own internal policy over the public page on the same subject)."""
        asked = self.aspects.asked(question)
        if follow_up and topic is not None:
            # The follow-up's own words with the page's title: the earlier question's words
            # would pull the section back to the aspect asked before.
            document = self.search.document(topic.doc_id, reader=reader)
            if document is None:  # re-indexed away, or not this reader's: nothing to follow up on
                return Answer(answerable=False, score=0.0, hit=None, aspects=asked,
                              specific_aspects=self.aspects.specific(asked))  # fmt: skip
            sibling = self._sibling_named_by(question, document, reader=reader) if variant else None
            query = f"{question} {(sibling or document).title}"
            if sibling is not None and not asked and (shown := heading_of(topic.section)):
                # "and for visitors? Bezoekersvergunning parkeren Costs": on the page it names,
                # the variant asks what the heading shown before answered.
                query = f"{query} {shown}"
            document = sibling or document
            aspects = asked or topic.aspects
            vector = self.search.query_vector(query)
            pages = [document.id]
            example_sims = self._example_sims(vector)
        else:
            query, aspects = question, asked
            vector = self.search.query_vector(question, query_vector)
            candidates = self.search.candidates(question, reader=reader, query_vector=vector)
            pages = list(dict.fromkeys(hit.doc_id for hit in candidates))[:PAGE_POOL]
            example_sims = self._example_sims(vector)
            pages += [page for page in self._pages_by_examples(example_sims, reader=reader) if page not in pages]
        ranked = self.rank(
            query, reader=reader, pages=pages, aspects=aspects, language=language, vector=vector,
            example_sims=example_sims,
        )  # fmt: skip
        if not ranked:
            return Answer(answerable=False, score=0.0, hit=None, aspects=aspects,
                          specific_aspects=self.aspects.specific(aspects))  # fmt: skip
        is_follow_up = follow_up and topic is not None
        threshold = self.decision.threshold_for(intent)
        uncovered_topic = bool(self.topics.uncovered_in(question))
        page, evidence, probability = self._decide(
            question, ranked, 0, follow_up=is_follow_up, uncovered_topic=uncovered_topic
        )
        if prefer is not None and not prefer(page.doc_id):
            for index in range(1, len(ranked)):
                if not prefer(ranked[index].doc_id):
                    continue
                candidate = self._decide(
                    question, ranked, index, follow_up=is_follow_up, uncovered_topic=uncovered_topic
                )
                if candidate[2] >= threshold:
                    page, evidence, probability = candidate
                break  # only the best-ranked preferred document is weighed
        section = page.best
        # A follow-up stays on the page the citizen is already reading: its section is answered.
        answerable = is_follow_up or probability >= threshold
        translated = self._translation(page.doc_id, language, reader=reader) if answerable and language else None
        if translated is not None:
            # The same page in the citizen's language: its section that answers, not a note that the
            # information is only available in another language.
            in_language = self.rank(
                query, reader=reader, pages=[translated], aspects=aspects, language=language, vector=vector,
                example_sims=example_sims,
            )  # fmt: skip
            if in_language:
                page = in_language[0]
                section = page.best
                ranked = [page, *(other for other in ranked if other.doc_id != page.doc_id)]
        new_subject: tuple[int, ...] = ()
        other_subject: tuple[int, ...] = ()
        if topic is not None and not is_follow_up and page.doc_id != topic.doc_id:
            words = self.subject_words(
                question, page=page.doc_id, shown=topic.doc_id, reader=reader, example_sims=example_sims
            )
            new_subject = tuple(offset for offset, pages in words if page.doc_id in pages)
            other_subject = () if answerable else tuple(offset for offset, _ in words)
        return Answer(
            answerable=answerable,
            score=probability,
            hit=self._shown(section.hit),
            sources=[section.hit] if answerable else [],
            aspects=aspects,
            specific_aspects=self.aspects.specific(aspects),
            topic=Topic(page.doc_id, topic.question if follow_up and topic else question, aspects, section.hit.section),
            evidence=evidence,
            ranked=tuple(ranked),
            new_subject_at=new_subject,
            other_subject_at=other_subject,
        )

    def _shown(self, hit: Hit) -> Hit:
        """`hit` with the text an answer shows: when its section was split into several passages,
        the one that answers with as much of the rest of the section around it as fits. A short
        last passage alone ("Ook als u geen vergunning nodig heeft, ...") answers nothing."""
        chunks, position = self.search.index.section_chunks(hit.chunk_id)
        if len(chunks) < 2:
            return hit
        return replace(hit, passage=section_window([chunk.text for chunk in chunks], position))

    def _translation(self, doc_id: str, language: str, *, reader: Reader) -> str | None:
        """The page that is `doc_id` in `language`, when it is in another language and the reader
        may read one: pages in several languages share an id, a translation's ending in "-<language>"
        ("paspoort-aanvragen" and "paspoort-aanvragen-en")."""
        document = self.search.index.documents.get(doc_id)
        if document is None or document.language == language:
            return None
        base = next(
            (doc_id.removesuffix(f"-{lang}") for lang in SUPPORTED_LANGUAGES if doc_id.endswith(f"-{lang}")), doc_id
        )
        for candidate in (base, *(f"{base}-{lang}" for lang in SUPPORTED_LANGUAGES)):
            other = self.search.index.documents.get(candidate)
            if candidate != doc_id and other is not None and other.language == language:
                return candidate if self.search.document(candidate, reader=reader) is not None else None
        return None

    def subject_words(
        self, question: str, *, page: str, shown: str, reader: Reader, example_sims: np.ndarray | None
    ) -> list[tuple[int, frozenset[str]]]:
        """The question's words (character offsets, with the pages that hold them) that name
        something the page shown before does not mention: not on `shown`, and on few pages.
        "grijze bak niet geleegd" after a passport's costs has "grijze", on the waste calendar. An
        aspect asked of the page shown ("welke papieren moet ik meebrengen", "duurt dat lang") has
        none: its words are on most pages. None either when the question is not clearly closer to
        citizens' questions about `page`, the page it found, than about `shown`."""
        own, before = self._page_example(example_sims, page), self._page_example(example_sims, shown)
        if own is not None and before is not None and own - before < SUBJECT_EXAMPLE_MARGIN:
            return []
        # A word on one page only names that page's subject, however few pages there are.
        rare = max(1.0, SUBJECT_WORD_SHARE * self.search.readable_documents(reader))
        return [
            (offset, pages)
            for offset, pages in self.search.pages_per_word(question, reader=reader)
            if pages and shown not in pages and len(pages) <= rare
        ]

    def _sibling_named_by(self, question: str, shown: Document, *, reader: Reader) -> Document | None:
        """The page a variant follow-up names instead of the page shown, when there is one: its
        title has a word of the follow-up and a word of the shown page's title ("and for
        visitors?" after "Applying for a resident parking permit": "Bezoekersvergunning
        parkeren"). None when no page, or more than one equally, fits."""
        asked = self._terms(question)
        shown_title = self._terms(shown.title)
        family = shown_title - self._common_title_words
        best: list[tuple[float, Document]] = []
        for doc_id, candidate in self.search.index.documents.items():
            if doc_id == shown.id:
                continue
            title = self._terms(candidate.title)
            if title <= shown_title or shown_title <= title:
                continue  # the shown page in another language (glossary words): nothing new
            named = {term for term in title if any(_names(word, term) for word in asked)}
            if not (named and family & title):
                continue
            document = self.search.document(doc_id, reader=reader)
            if document is not None:
                best.append((len(named) / len(title), document))
        best.sort(key=lambda pair: -pair[0])
        if not best or (len(best) > 1 and best[1][0] == best[0][0]):
            return None
        return best[0][1]

    @functools.cached_property
    def _common_title_words(self) -> frozenset[str]:
        """Title words of many pages ("aanvragen", "melden"): sharing one makes no family."""
        documents = self.search.index.documents
        counts = Counter(term for document in documents.values() for term in self._terms(document.title))
        limit = max(COMMON_TITLE_WORD_MIN, COMMON_TITLE_WORD_SHARE * len(documents))
        return frozenset(term for term, n in counts.items() if n > limit)

    def _decide(
        self, question: str, ranked: list[RankedPage], index: int, *, follow_up: bool, uncovered_topic: bool
    ) -> tuple[RankedPage, Evidence, float]:
        """The evidence for answering from `ranked[index]`, measured against the best other page."""
        page = ranked[index]
        others = [other.score for i, other in enumerate(ranked) if i != index]
        evidence = Evidence.of(
            page=page.features,
            section=page.best.features,
            page_score=page.score,
            page_margin=page.score - max(others) if others else 1.0,
            section_score=page.best.score,
            query_terms=len(self.search.analyzer.analyze_query(question)),
            follow_up=follow_up,
            uncovered_topic=uncovered_topic,
        )
        return page, evidence, self.decision.probability(evidence)

    def rank(
        self,
        query: str,
        *,
        reader: Reader,
        pages: list[str],
        aspects: tuple[str, ...],
        language: str | None,
        vector: QueryVector,
        example_sims: np.ndarray | None = None,
    ) -> list[RankedPage]:
        """`pages` (in the search's order) with their sections, each ranked by its ranker, best first.
        `example_sims`: the query's similarity to every example question (ExampleIndex.similarities)."""
        passages = self.search.passages_of(query, reader=reader, doc_ids=pages, query_vector=vector)
        if not passages:
            return []
        analyzer = self.search.analyzer
        query_terms = set(analyzer.analyze_query(query))
        heading_vectors = self._heading_vectors_for([p.section for p in passages])
        by_page: dict[str, list[Hit]] = {}
        for passage in passages:
            by_page.setdefault(passage.doc_id, []).append(passage)
        heading_dense = {p.chunk_id: float(np.dot(heading_vectors[p.section], vector.vector)) for p in passages}
        top_dense = max(p.dense_score for p in passages)
        sentence_dense = dict(
            zip((p.chunk_id for p in passages), self.sentences.best(passages, vector.vector), strict=True)
        )
        top_sentence = max(sentence_dense.values())
        example_dense = {p.chunk_id: self._example_dense(p, heading_dense[p.chunk_id], example_sims) for p in passages}
        top_example = max(example_dense.values())
        # The mean of a section's two closest examples: one lucky example does not decide it.
        example_top2 = {
            p.chunk_id: self._example_dense(p, heading_dense[p.chunk_id], example_sims, k=2) for p in passages
        }
        page_coverage = self.search.page_coverage(query, reader=reader, doc_ids=pages)
        section_class = self._section_log_probabilities(vector, reader=reader)
        page_class = page_log_probabilities(section_class)
        page_example = {doc_id: max(example_dense[p.chunk_id] for p in members) for doc_id, members in by_page.items()}
        ranked = []
        for rank, doc_id in enumerate(pages):
            members = by_page.get(doc_id)
            if not members:
                continue
            best_dense = max(p.dense_score for p in members)
            best_heading = max(heading_dense[p.chunk_id] for p in members)
            best_bm25 = max(p.bm25_score for p in members)
            best_sentence = max(sentence_dense[p.chunk_id] for p in members)
            best_example = page_example[doc_id]
            best_top2 = max(example_top2[p.chunk_id] for p in members)
            class_of = {p.chunk_id: self._class_log_probability(p, section_class) for p in members}
            best_class = max(class_of.values())
            sections = []
            for passage in members:
                heading = heading_of(passage.section)
                answers_aspect = bool(aspects) and self.aspects.answers(aspects, heading)
                answers_specific = answers_aspect and self.aspects.answers(aspects, heading, specific_only=True)
                features = {
                    "dense_gap": passage.dense_score - best_dense,
                    "heading_dense_gap": heading_dense[passage.chunk_id] - best_heading,
                    "bm25_gap": math.log1p(passage.bm25_score) - math.log1p(best_bm25),
                    "coverage": passage.coverage,
                    "opening": 0.0 if heading else 1.0,
                    "aspect_match": 1.0 if answers_aspect else 0.0,
                    # On top of aspect_match: costs, duration or documents asked and answered.
                    "specific_aspect_match": 1.0 if answers_specific else 0.0,
                    "aspect_miss": 1.0 if aspects and not answers_aspect else 0.0,
                    "heading_overlap": self._overlap(query_terms, heading) if heading else 0.0,
                    "sentence_dense_gap": sentence_dense[passage.chunk_id] - best_sentence,
                    "example_dense_gap": example_dense[passage.chunk_id] - best_example,
                    "example_top2_gap": example_top2[passage.chunk_id] - best_top2,
                    "example_class_gap": class_of[passage.chunk_id] - best_class,
                    "example_dense": example_dense[passage.chunk_id],
                    # For the decision: how well the answering section's best sentence matches.
                    "sentence_dense": sentence_dense[passage.chunk_id],
                }
                sections.append(ScoredPassage(passage, features, self.section_ranker.score(features)))
            sections.sort(key=lambda p: (-p.score, p.hit.chunk_id))
            document = self.search.index.documents.get(doc_id)
            page_features = {
                "dense": best_dense,
                "dense_gap": best_dense - top_dense,
                "bm25": math.log1p(best_bm25),
                "coverage": max(p.coverage for p in members),
                "page_rank": 1.0 / (1.0 + rank),
                "title_overlap": self._overlap(query_terms, members[0].title),
                "heading_dense": best_heading,
                "sentence_dense": best_sentence,
                "sentence_dense_gap": best_sentence - top_sentence,
                # The question's words anywhere on the page: what names the subject asked about
                # is missing from a page on another subject, whichever section is shown.
                "page_coverage": page_coverage.get(doc_id, 0.0),
                # How close the question comes to one a citizen asked of a section of this page.
                "example_dense": best_example,
                "example_dense_gap": best_example - top_example,
                "example_top2": best_top2,
                # How probable the classifier finds it that the question asks about this page.
                "example_class": page_class.get(doc_id, LOG_FLOOR),
                # For the decision: how much closer a citizen's example of this page comes than any
                # other page's (0 when it is the only page, as for a follow-up).
                "example_margin": best_example
                - max((v for other, v in page_example.items() if other != doc_id), default=best_example),
                # For the decision, not the page ranker: fitted on this corpus, a ranker weight on
                # it learned "English pages are wrong" from the few English pages there are.
                "language_match": 1.0 if language and document is not None and document.language == language else 0.0,
            }
            ranked.append(RankedPage(doc_id, page_features, self.page_ranker.score(page_features), tuple(sections)))
        ranked.sort(key=lambda page: -page.score)
        return ranked

    def _section_log_probabilities(self, vector: QueryVector, *, reader: Reader) -> dict[str, float]:
        """The classifier's log-probability per section label, among the pages the reader may read."""
        if self.classifier is None:
            return {}
        return self.classifier.log_probabilities(
            vector.vector, readable=lambda page: self.search.document(page, reader=reader) is not None, key=reader
        )

    @staticmethod
    def _class_log_probability(passage: Hit, section_class: dict[str, float]) -> float:
        return section_class.get(section_label(passage.doc_id, heading_of(passage.section)), LOG_FLOOR)

    def _example_sims(self, vector: QueryVector) -> np.ndarray | None:
        """The query's similarity to every example question, once per turn."""
        return self.examples.similarities(vector.vector) if self.examples is not None else None

    def _pages_by_examples(self, sims: np.ndarray | None, *, reader: Reader) -> list[str]:
        """The pages the reader may read of the example questions closest to the question, best
        first (at most EXAMPLE_POOL)."""
        if self.examples is None or sims is None:
            return []
        pages: list[str] = []
        for example in self.examples.nearest(sims, 8 * EXAMPLE_POOL):
            page = page_of(example.label)
            if page not in pages and self.search.document(page, reader=reader) is not None:
                pages.append(page)
            if len(pages) == EXAMPLE_POOL:
                break
        return pages

    @functools.cached_property
    def _example_rows_by_page(self) -> dict[str, np.ndarray]:
        labels = self.examples.labels if self.examples is not None else []
        rows: dict[str, list[int]] = {}
        for row, label in enumerate(labels):
            rows.setdefault(page_of(label), []).append(row)
        return {page: np.array(members) for page, members in rows.items()}

    def _page_example(self, sims: np.ndarray | None, page: str) -> float | None:
        """The question's similarity to the closest example question of any section of the page."""
        rows = self._example_rows_by_page.get(page)
        return float(sims[rows].max()) if sims is not None and rows is not None else None

    def _example_dense(self, passage: Hit, heading_dense: float, sims: np.ndarray | None, *, k: int = 1) -> float:
        """The best similarity of the question to the section's example questions, its own
        "Title — heading" counting as one; k > 1: the mean of the k closest examples. A section
        without examples has its heading's similarity."""
        if self.examples is None or sims is None:
            return heading_dense
        best = self.examples.best(sims, section_label(passage.doc_id, heading_of(passage.section)), k=k)
        if best is None:
            return heading_dense
        return max(heading_dense, best) if k == 1 else best

    @functools.lru_cache(maxsize=4096)  # noqa: B019 - one engine per process; headings and titles repeat
    def _terms(self, text: str) -> frozenset[str]:
        return frozenset(self.search.analyzer.analyze_query(text))

    def _overlap(self, query_terms: set[str], text: str) -> float:
        """Share of `text`'s words (a heading or a title) that the question contains."""
        terms = self._terms(text)
        return len(query_terms & terms) / len(terms) if terms else 0.0
