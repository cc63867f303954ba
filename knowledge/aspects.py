"""Which aspect of a product a question asks about (costs, duration, ...), and which section
headings answer it. The lexicon is data (data/answers/aspects.yml); this module only applies it."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path

import yaml


def fold(text: str) -> str:
    """Lower case without accents: "Wanneer is mijn paspoort klaar?" → "wanneer is mijn paspoort klaar?"."""
    decomposed = unicodedata.normalize("NFKD", text.lower())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


@dataclass(frozen=True)
class Aspect:
    id: str
    triggers: tuple[re.Pattern[str], ...]
    headings: tuple[re.Pattern[str], ...]
    # Asked in questions about anything ("mag ik", "hoe kan ik"): a weaker sign of the section
    # wanted than the specific aspects' words ("kost", "hoe lang", "meenemen").
    broad: bool = False

    def asked_in(self, question: str) -> bool:
        folded = fold(question)
        return any(pattern.search(folded) for pattern in self.triggers)

    def answered_by(self, heading: str) -> bool:
        folded = fold(heading).strip()
        return any(pattern.search(folded) for pattern in self.headings)


@dataclass(frozen=True)
class AspectLexicon:
    aspects: tuple[Aspect, ...]

    @classmethod
    def from_yaml(cls, path: Path) -> AspectLexicon:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        aspects = []
        for aspect_id, entry in (data.get("aspects") or {}).items():
            spec = entry or {}  # an aspect listed without triggers or headings yet
            aspects.append(
                Aspect(
                    id=str(aspect_id),
                    triggers=tuple(re.compile(p) for p in spec.get("triggers") or ()),
                    headings=tuple(re.compile(p) for p in spec.get("headings") or ()),
                    broad=bool(spec.get("broad", False)),
                )
            )
        return cls(tuple(aspects))

    @classmethod
    def empty(cls) -> AspectLexicon:
        return cls(())

    def asked(self, question: str) -> tuple[str, ...]:
        """The aspects a question asks about, in lexicon order (often none, sometimes two)."""
        return tuple(aspect.id for aspect in self.aspects if aspect.asked_in(question))

    def specific(self, aspect_ids: tuple[str, ...]) -> tuple[str, ...]:
        """Those of `aspect_ids` that are not broad (costs, duration, documents; not "moet ik")."""
        return tuple(aspect.id for aspect in self.aspects if aspect.id in aspect_ids and not aspect.broad)

    def answers(self, aspect_ids: tuple[str, ...], heading: str, *, specific_only: bool = False) -> bool:
        """Whether a section with this heading answers any of the aspects asked (`specific_only`:
        any of those that are not broad)."""
        return any(
            aspect.answered_by(heading)
            for aspect in self.aspects
            if aspect.id in aspect_ids and not (specific_only and aspect.broad)
        )
