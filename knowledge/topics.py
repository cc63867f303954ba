"""Municipal topics the documents do not cover, recognised in a question.

A citizen asks about naturalisation, a market stall or a polling station; the sample pages say
nothing about them, yet some passage is always the nearest one, and a similarity score alone
cannot tell "the nearest passage" from "the answer". A catalogue of what municipalities commonly
handle (data/answers/municipal_topics.yml) is checked against the indexed documents: a topic
that no title or section heading names is uncovered (the answer engine's choice: a passing mention
in a passage seldom answers questions about it), and a question naming one is evidence for an
honest "I have no information on that" (knowledge/answerability.py, feature `uncovered_topic`).
The catalogue is general; what counts as covered follows the documents. `loket topics` lists both.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import yaml

from knowledge.aspects import fold
from knowledge.types import Chunk


def titles_and_headings(chunks: Iterable[Chunk]) -> set[str]:
    """What a topic must be named in to count as covered: the documents' titles and section
    headings (a passing mention in a passage seldom answers questions about the topic)."""
    return {text for chunk in chunks for text in (chunk.title, chunk.section)}


def _term_pattern(term: str) -> re.Pattern[str]:
    # From the start of a word: "naturalisat" matches "naturalisatie" and "naturalisation".
    return re.compile(r"(?<!\w)" + term)


@dataclass(frozen=True)
class MunicipalTopic:
    id: str
    terms: tuple[re.Pattern[str], ...]

    def named_in(self, folded: str) -> bool:
        return any(term.search(folded) for term in self.terms)


@dataclass(frozen=True)
class TopicCatalogue:
    topics: tuple[MunicipalTopic, ...]
    # The ids of the topics that no text given to `covered_by` names (all of them before that).
    uncovered: frozenset[str]

    @classmethod
    def from_yaml(cls, path: Path) -> TopicCatalogue:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        topics = tuple(
            MunicipalTopic(id=str(topic_id), terms=tuple(_term_pattern(str(term)) for term in terms or ()))
            for topic_id, terms in (data.get("topics") or {}).items()
        )
        return cls(topics, frozenset(topic.id for topic in topics))

    @classmethod
    def empty(cls) -> TopicCatalogue:
        return cls((), frozenset())

    def named_by(self, texts: Iterable[str]) -> dict[str, str]:
        """Each still uncovered topic that one of `texts` names, with the first text that does."""
        remaining = {topic.id: topic for topic in self.topics if topic.id in self.uncovered}
        named: dict[str, str] = {}
        for text in texts:
            if not remaining:
                break
            folded = fold(text)
            for topic_id in [t for t, topic in remaining.items() if topic.named_in(folded)]:
                named[topic_id] = text
                del remaining[topic_id]
        return named

    def covered_by(self, texts: Iterable[str]) -> TopicCatalogue:
        """This catalogue with every topic that one of `texts` (the documents' titles and headings,
        as the answer engine asks) names counted as covered."""
        return TopicCatalogue(self.topics, self.uncovered - self.named_by(texts).keys())

    def uncovered_in(self, question: str) -> tuple[str, ...]:
        """The uncovered topics the question names, in catalogue order."""
        if not self.uncovered:
            return ()
        folded = fold(question)
        return tuple(t.id for t in self.topics if t.id in self.uncovered and t.named_in(folded))
