"""Typo correction of query words against an index's vocabulary."""

from __future__ import annotations

import pytest

from knowledge.typos import MAX_CORRECTIONS, TypoCorrector, one_edit


@pytest.mark.parametrize(
    ("typed", "meant", "close"),
    [
        ("bijstant", "bijstand", True),  # changed
        ("bijstnd", "bijstand", True),  # left out
        ("bijstaand", "bijstand", True),  # added
        ("bijtsand", "bijstand", True),  # neighbours swapped
        ("bjistnad", "bijstand", False),  # two edits
        ("bijstand", "bijstand", False),  # the same word is no correction
    ],
)
def test_one_edit(typed: str, meant: str, close: bool) -> None:
    assert one_edit(typed, meant) is close and one_edit(meant, typed) is close


def test_a_word_the_index_lacks_gets_the_terms_one_edit_away() -> None:
    corrector = TypoCorrector(["bijstand", "bijstandsnorm", "paspoort", "ophalen"])
    assert corrector.corrections("bijstant") == ["bijstand"]
    assert corrector.corrections("paspoot") == ["paspoort"]
    assert corrector.corrections("bijstand") == []  # a word the index has
    assert corrector.corrections("pasp") == []  # too short: too many neighbours
    assert corrector.corrections("fietsenstalling") == []  # nothing close


def test_a_group_with_a_known_term_is_left_alone_and_corrections_are_capped() -> None:
    corrector = TypoCorrector(["kosten", "kasten", "kusten", "kisten", "costen"])
    groups = [("kosten",), ("kxsten",)]
    corrected = corrector.corrected(groups)
    assert corrected[0] == ("kosten",)
    assert corrected[1][0] == "kxsten" and len(corrected[1]) == 1 + MAX_CORRECTIONS
    assert set(corrected[1][1:]) <= {"kosten", "kasten", "kusten", "kisten"}
