"""Example questions per section: what citizens ask that a section of a page answers.

`data/answers/example_questions/<page-id>.yml` lists, for every section of a public page (the key
is its heading, "" for the opening text), questions in citizens' own words. The answer engine
compares a question with them as well as with the section's text: e5 compares two questions (both
embedded as queries) more reliably than a question with a passage, and an example carries the
words citizens use rather than the page's. A section's own "Title — heading" counts as one of its
examples (knowledge/answers.py), so a section without any (a page added later) is compared with
its heading alone. Internal documents have questions of the staff who read them.

The examples are checked against the evaluation sets like the NLU's training data
(tests/test_eval_leakage.py): none may equal a held-out question or a question of the dev split.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

import yaml

from knowledge.example_index import ExampleIndex
from knowledge.statutes import article_id
from knowledge.types import Embedder

SectionKey = tuple[str, str]  # (page id, heading; "" for the opening text)


class ExampleQuestionsError(ValueError):
    """An example file that does not have the expected shape."""


def section_label(doc_id: str, heading: str) -> str:
    return f"{doc_id}#{heading}"


def page_of(label: str) -> str:
    """The page id of a `section_label`."""
    return label.split("#", 1)[0]


def _example_files(directory: Path, owner: str, groups: str) -> Iterator[tuple[str, str, tuple[str, ...]]]:
    """(owner, group, questions) from every `*.yml` in `directory` (none when it does not exist):
    `owner: <id>` and `groups: {key: [questions]}` ("page"/"sections", "law"/"articles")."""
    for path in sorted(directory.glob("*.yml")) if directory.is_dir() else []:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        name, members = data.get(owner), data.get(groups)
        if not isinstance(name, str) or not isinstance(members, dict):
            raise ExampleQuestionsError(f"{path}: expected '{owner}: <id>' and '{groups}: {{key: [questions]}}'")
        for key, questions in members.items():
            if not isinstance(questions, list) or not all(isinstance(q, str) and q.strip() for q in questions):
                raise ExampleQuestionsError(f"{path}: {key!r} needs a list of questions")
            yield name, str(key or ""), tuple(q.strip() for q in questions)


@dataclass(frozen=True)
class ExampleQuestions:
    by_section: dict[SectionKey, tuple[str, ...]]

    @classmethod
    def from_dir(cls, directory: Path) -> ExampleQuestions:
        """Every `<page-id>.yml` in `directory` (none when it does not exist)."""
        return cls(
            {(page, heading): questions for page, heading, questions in _example_files(directory, "page", "sections")}
        )

    def questions(self) -> list[str]:
        return [q for questions in self.by_section.values() for q in questions]

    def restricted_to(self, sections: Iterable[SectionKey]) -> ExampleQuestions:
        """Only the examples of sections that exist (a renamed heading's examples are left out)."""
        known = set(sections)
        return ExampleQuestions({key: qs for key, qs in self.by_section.items() if key in known})

    def index(self, embedder: Embedder, *, cache_dir: Path | None = None) -> ExampleIndex:
        """The examples embedded as queries, labelled by section (`section_label`)."""
        labelled = [
            (section_label(doc_id, heading), question)
            for (doc_id, heading), questions in sorted(self.by_section.items())
            for question in questions
        ]
        return ExampleIndex(embedder, labelled, cache_dir=cache_dir)


def article_examples(directory: Path) -> list[tuple[str, str]]:
    """(article document id, question) from every `<law>-<n>.yml` in `directory`: questions staff
    and citizens ask that a statute article answers (data/search/statute_examples; the statute
    search compares a query with them as the answer engine does with a page's sections)."""
    return [
        (article_id(law, number), question)
        for law, number, questions in _example_files(directory, "law", "articles")
        for question in questions
    ]
