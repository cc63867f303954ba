"""Query-time translations: the English words a citizen types → the Dutch words of the pages.

Most pages exist only in Dutch. The dense model matches across languages, but BM25 matches words,
so without help an English question ("bulky waste pick-up") has no word-level evidence for the
Dutch page ("grofvuil ophalen") at all. The glossary adds the Dutch words to each English query
word's term group (knowledge/sparse.py), so BM25 and the answer engine's word overlap see them.
Documents are not changed: a glossary edit needs no re-index.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import yaml


class GlossaryError(ValueError):
    """The glossary file cannot be used (the message names the file and the entry)."""


@dataclass(frozen=True)
class Glossary:
    entries: Mapping[str, tuple[str, ...]]  # lower-case English word -> Dutch words

    @classmethod
    def load(cls, path: Path, *, key: str = "glossary") -> Glossary:
        """`key`: the top-level mapping to read ("glossary"; "synonyms" for the statutes' legal
        synonyms, data/search/legal_synonyms.yml, which maps Dutch words to Dutch words)."""
        try:
            data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        except (OSError, yaml.YAMLError) as error:
            raise GlossaryError(f"{path}: cannot read the glossary ({error})") from None
        raw = data.get(key) if isinstance(data, dict) else None
        if not isinstance(raw, dict):
            raise GlossaryError(f"{path}: expected a mapping under '{key}:'")
        entries: dict[str, tuple[str, ...]] = {}
        for word, values in raw.items():
            words = values if isinstance(values, list) else [values]
            valid = all(isinstance(w, str) and w.strip() for w in words)
            if not isinstance(word, str) or not word.strip() or not valid:
                raise GlossaryError(f"{path}: {word!r} must map a word to a list of words")
            entries[word.strip().lower()] = tuple(w.strip().lower() for w in words)
        return cls(entries)

    def translations(self, *forms: str) -> tuple[str, ...]:
        """The Dutch words for any of `forms` (a word as typed and its lemma), in glossary order."""
        found: dict[str, None] = {}
        for form in forms:
            for word in self.entries.get(form.lower(), ()):
                found.setdefault(word, None)
        return tuple(found)
