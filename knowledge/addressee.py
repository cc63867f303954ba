"""The municipality, where a citizen addresses it: "wat is jullie adres" asks the municipality's
address, but the words it shares with the pages ("adres") are those of the page about reporting
a change of address, and "jullie" is on no page. In a short question such a word is searched as
the municipality's name ("wat is de gemeente adres"), so the contact page's own words and
examples match. A long question keeps its words: there "jullie" is seldom what it asks about
("wat doen jullie daar nou eigenlijk mee" in a story about a nuisance report), and the name
pulled such questions towards the contact page.

The words are Dutch only: English "you" and "your" are just as often the generic "you" ("how do
you renew your passport"), and "what is your name" searched as the municipality's name found the
contact page. English contact questions are left to the examples and the NLU (dev: 2 of 6 right).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

import yaml


@dataclass(frozen=True)
class Replacement:
    start: int  # where the name stands in the rewritten text
    end: int
    typed_end: int  # where the replaced word ended in the original


@dataclass(frozen=True)
class Rewritten:
    """A question with the addressee named, and where its characters stand in the original."""

    text: str
    replacements: tuple[Replacement, ...] = ()  # in order

    @property
    def changed(self) -> bool:
        return bool(self.replacements)

    def original_offset(self, at: int) -> int | None:
        """Where the character at `at` of `text` stands in the original question; None inside a
        name put in (the citizen did not type it)."""
        shift = 0  # how much longer the text is than the original up to here
        for replacement in self.replacements:
            if at < replacement.start:
                break
            if at < replacement.end:
                return None
            shift = replacement.end - replacement.typed_end
        return at - shift


@dataclass(frozen=True)
class Addressee:
    """Words that address the municipality, and what they are searched as."""

    names: Mapping[str, str]  # lower-case word -> the municipality's name
    max_words: int = 8

    @classmethod
    def from_yaml(cls, path: Path) -> Addressee:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        names = {str(word).lower(): str(name) for word, name in (data.get("names") or {}).items()}
        return cls(names=names, max_words=int(data.get("max_words", 8)))

    @cached_property
    def _pattern(self) -> re.Pattern[str]:
        words = "|".join(re.escape(word) for word in self.names)
        return re.compile(rf"(?<!\w)({words})(?!\w)", flags=re.IGNORECASE)

    def named(self, question: str) -> Rewritten:
        """`question` with each addressing word replaced by the name, when it is short."""
        if not self.names or len(question.split()) > self.max_words:
            return Rewritten(question)
        text = ""
        replacements: list[Replacement] = []
        position = 0
        for match in self._pattern.finditer(question):
            text += question[position : match.start()]
            name = self.names[match.group(0).lower()]
            replacements.append(Replacement(len(text), len(text) + len(name), match.end()))
            text += name
            position = match.end()
        return Rewritten(text + question[position:], tuple(replacements))
