"""Typos in a query word: the index terms one edit away from a word the index does not have.

Citizens and staff type "bijstant", "geleegt" or "vergunnig". BM25 finds nothing for such a word,
and the dense model only partly recovers it. A word of five letters or more that no indexed text
contains also matches the index terms one letter away (left out, added, changed, or two
neighbours swapped), at most MAX_CORRECTIONS of them. A symmetric-delete table (every term and
each of its one-letter deletions) finds them without scanning the vocabulary per word.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

MIN_FUZZY_LENGTH = 5  # shorter words have too many neighbours one edit away
MAX_CORRECTIONS = 3


def one_edit(a: str, b: str) -> bool:
    """Whether b is a one-letter deletion, insertion or substitution of a, or swaps two neighbours."""
    if a == b or abs(len(a) - len(b)) > 1:
        return False
    if len(a) == len(b):
        diff = [i for i in range(len(a)) if a[i] != b[i]]
        return len(diff) == 1 or (len(diff) == 2 and diff[1] == diff[0] + 1 and a[diff[0]] == b[diff[1]]
                                  and a[diff[1]] == b[diff[0]])  # fmt: skip
    short, long = (a, b) if len(a) < len(b) else (b, a)
    return any(long[:i] + long[i + 1 :] == short for i in range(len(long)))


def _deletions(term: str) -> set[str]:
    return {term, *(term[:i] + term[i + 1 :] for i in range(len(term)))}


class TypoCorrector:
    """The corrections of query words against one index's vocabulary (built on first use)."""

    def __init__(self, vocabulary: Iterable[str]) -> None:
        self._vocabulary = set(vocabulary)
        self._table: dict[str, list[str]] | None = None

    def _deletes(self) -> dict[str, list[str]]:
        if self._table is None:
            table: dict[str, list[str]] = {}
            for term in self._vocabulary:
                if len(term) >= MIN_FUZZY_LENGTH and term.isalpha():
                    for variant in _deletions(term):
                        table.setdefault(variant, []).append(term)
            self._table = table
        return self._table

    def corrections(self, term: str) -> list[str]:
        """Index terms one edit from `term`, a word the index does not have; none for short words
        or words it has."""
        if len(term) < MIN_FUZZY_LENGTH or not term.isalpha() or term in self._vocabulary:
            return []
        table = self._deletes()
        found: dict[str, None] = {}
        for variant in _deletions(term):
            for candidate in table.get(variant, ()):
                if candidate != term and one_edit(term, candidate):
                    found.setdefault(candidate, None)
        return sorted(found)[:MAX_CORRECTIONS]

    def corrected(self, groups: Sequence[tuple[str, ...]]) -> list[tuple[str, ...]]:
        """The query's term groups; a group none of whose terms the index has also gets the
        corrections of its terms ("bijstant" -> "bijstand")."""
        out = []
        for group in groups:
            if any(term in self._vocabulary for term in group):
                out.append(group)
            else:
                extra = [c for term in group for c in self.corrections(term)]
                out.append(tuple(dict.fromkeys([*group, *extra])))
        return out
